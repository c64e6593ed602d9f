/**
 * A publish/subscribe hub: subscribers by topic, and any code publishes. In one process a message
 * goes straight to the topic's subscribers. Under node:cluster the primary relays: a worker's
 * publish goes to the primary, which hands it to its own subscribers and sends it once to every
 * worker (the publisher included), so each subscriber in each process gets it exactly once.
 * Messages that cross processes go over the cluster's IPC, so they must survive it (JSON by
 * default: strings, numbers, booleans, null, plain objects and arrays).
 */
import cluster from 'node:cluster';
import { InvalidArgumentError } from './errors.js';
import { defaultErrorLogger, type ErrorLogger } from './logger.js';
import { describe } from './options.js';

export type HubListener = (message: unknown, topic: string) => void;

/**
 * A hub.
 *
 * @example
 * const hub = createHub();
 * const unsubscribe = hub.subscribe('room:1', (message) => channel.send(JSON.stringify(message)));
 * hub.publish('room:1', { from: 'ann', text: 'hi' });
 * unsubscribe();
 */
export interface Hub {
  /** Calls `listener(message, topic)` for every message published to `topic`; returns the unsubscribe. */
  subscribe(topic: string, listener: HubListener): () => void;
  /** Delivers `message` to every subscriber of `topic`, in this process and, under node:cluster, in every other. */
  publish(topic: string, message: unknown): void;
  /** Subscribers of `topic` in this process. */
  subscriberCount(topic: string): number;
}

export interface HubOptions {
  /** Hubs with different names never see each other's messages (default 'default'). */
  name?: string;
  /** Told when a listener throws; the other subscribers still get the message (default console.error). */
  errorLogger?: ErrorLogger;
}

/** What crosses IPC: the marker tells it from the program's own messages. */
interface HubMessage {
  httpKitHub: string;
  topic: string;
  message: unknown;
}

const isHubMessage = (value: unknown): value is HubMessage =>
  typeof value === 'object' && value !== null && typeof (value as { httpKitHub?: unknown }).httpKitHub === 'string'
  && typeof (value as { topic?: unknown }).topic === 'string';

/** This process's hubs by name: what a message from IPC is delivered to. */
const hubs = new Map<string, Set<(topic: string, message: unknown) => void>>();

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

/** From the primary: its own hubs, then every worker. */
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

/**
 * Makes a hub (one per program and name: a hub lives as long as the process). In a cluster worker its messages go through the primary (which relays them to every
 * worker); elsewhere they are delivered at once, in this process.
 *
 * @example
 * const hub = createHub();
 * hub.subscribe('news', (message) => console.log(message));
 * hub.publish('news', 'hello');
 */
export function createHub(options: HubOptions = {}): Hub {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`createHub: options must be an object, got ${describe(options)}`);
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`createHub: name must be a non-empty string, got ${describe(name)}`);
  const errorLogger = options.errorLogger ?? defaultErrorLogger;
  if (typeof errorLogger !== 'function') throw new InvalidArgumentError(`createHub: errorLogger must be a function, got ${describe(errorLogger)}`);
  const topics = new Map<string, Set<HubListener>>();

  const deliver = (topic: string, message: unknown) => {
    const listeners = topics.get(topic);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener(message, topic);
      } catch (error) {
        errorLogger(`Hub subscriber to ${JSON.stringify(topic)} threw`, error);
      }
    }
  };
  let named = hubs.get(name);
  if (named === undefined) hubs.set(name, (named = new Set()));
  named.add(deliver);

  const inWorker = cluster.isWorker && typeof process.send === 'function';
  if (inWorker) listenToPrimary();
  else relayHubMessages();

  return {
    subscribe(topic, listener) {
      if (typeof topic !== 'string') throw new InvalidArgumentError(`hub.subscribe: topic must be a string, got ${describe(topic)}`);
      if (typeof listener !== 'function') throw new InvalidArgumentError(`hub.subscribe: listener must be a function, got ${describe(listener)}`);
      // Each subscription is its own entry, so one listener subscribed twice is called twice and unsubscribed once each.
      const entry: HubListener = (message, t) => listener(message, t);
      let listeners = topics.get(topic);
      if (listeners === undefined) topics.set(topic, (listeners = new Set()));
      listeners.add(entry);
      return () => {
        const current = topics.get(topic);
        if (current === undefined || !current.delete(entry)) return;
        if (current.size === 0) topics.delete(topic);
      };
    },
    publish(topic, message) {
      if (typeof topic !== 'string') throw new InvalidArgumentError(`hub.publish: topic must be a string, got ${describe(topic)}`);
      const envelope: HubMessage = { httpKitHub: name, topic, message };
      // Hubs of one name are one hub: in this process too, each of them gets the message.
      if (inWorker) process.send!(envelope);
      else fanOut(envelope);
    },
    subscriberCount(topic) {
      return topics.get(topic)?.size ?? 0;
    },
  };
}
