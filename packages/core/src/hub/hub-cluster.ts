/**
 * The hub's transport inside one machine: in one process a message goes straight to the topic's
 * subscribers; under node:cluster the primary relays. A worker's publish goes to the primary,
 * which hands it to its own hubs and sends it once to every worker (the publisher included), so
 * each subscriber in each process gets it exactly once. Messages that cross processes go over
 * the cluster's IPC, so they must survive it (JSON: strings, numbers, booleans, null, plain
 * objects and arrays).
 */
import cluster from 'node:cluster';

/** Delivers one message to the subscribers of one hub in this process. */
export type LocalDelivery = (topic: string, message: unknown) => void;

/** What crosses IPC: the marker tells it from the program's own messages. */
interface HubMessage {
  httpKitHub: string;
  topic: string;
  message: unknown;
}

const isHubMessage = (value: unknown): value is HubMessage =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { httpKitHub?: unknown }).httpKitHub === 'string' &&
  typeof (value as { topic?: unknown }).topic === 'string';

/** This process's hubs by name (those without Redis): what a message from IPC is delivered to. */
const hubs = new Map<string, Set<LocalDelivery>>();

function deliverHere(envelope: HubMessage): void {
  const named = hubs.get(envelope.httpKitHub);
  if (named !== undefined) for (const deliver of named) deliver(envelope.topic, envelope.message);
}

let relaying = false;

/**
 * In a cluster primary: relays hub messages from workers to the primary's own hubs and to every
 * worker. Installed by createHub in the primary and by runServer's `workers`; once is enough.
 */
export function relayHubMessages(): void {
  if (relaying || !cluster.isPrimary) return;
  relaying = true;
  cluster.on('message', (_worker, value: unknown) => {
    if (isHubMessage(value)) fanOut(value);
  });
}

/** From the primary (or a lone process): its own hubs, then every worker. */
function fanOut(envelope: HubMessage): void {
  deliverHere(envelope);
  for (const worker of Object.values(cluster.workers ?? {})) {
    if (worker !== undefined && worker.isConnected()) worker.send(envelope);
  }
}

let listeningToPrimary = false;

/** In a worker: hub messages the primary relays are delivered to this process's hubs. */
function listenToPrimary(): void {
  if (listeningToPrimary) return;
  listeningToPrimary = true;
  process.on('message', (value: unknown) => {
    if (isHubMessage(value)) deliverHere(value);
  });
}

/** Joins hub `name` in this process; returns how to publish to it (here and in every other process of the cluster; false when the primary is gone). */
export function joinProcessHub(
  name: string,
  deliver: LocalDelivery,
): { publish: (topic: string, message: unknown) => boolean; leave: () => void } {
  let named = hubs.get(name);
  if (named === undefined) hubs.set(name, (named = new Set()));
  named.add(deliver);
  const inWorker = cluster.isWorker && typeof process.send === 'function';
  if (inWorker) listenToPrimary();
  else relayHubMessages();
  return {
    publish(topic, message) {
      const envelope: HubMessage = { httpKitHub: name, topic, message };
      // Hubs of one name are one hub: in this process too, each of them gets the message.
      if (!inWorker) fanOut(envelope);
      else if (process.connected) process.send!(envelope);
      else return false; // the primary is gone (this worker is about to exit)
      return true;
    },
    leave() {
      named.delete(deliver);
      if (named.size === 0 && hubs.get(name) === named) hubs.delete(name);
    },
  };
}
