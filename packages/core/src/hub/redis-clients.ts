/**
 * The few calls the hub makes on the program's own Redis clients, for the two Node clients people
 * use: node-redis (`redis`, v4 and later) and ioredis. The packages depend on neither: a client
 * is recognised by its shape. Anything else can be used by giving a `RedisConnection` directly.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe } from '../options.js';

/** A Redis connection as the hub uses it: publish on one, subscribe on another. */
export interface RedisConnection {
  /** True while the connection is up and commands go straight to the server. */
  isReady(): boolean;
  /** PUBLISH; resolves once Redis took it. */
  publish(channel: string, message: string): Promise<unknown>;
  /** SUBSCRIBE (on the subscriber connection); resolves once Redis confirmed it. */
  subscribe(channel: string): Promise<unknown>;
  /** UNSUBSCRIBE. */
  unsubscribe(channel: string): Promise<unknown>;
  /**
   * Starts telling `events`: each message on a subscribed channel, the connection lost and back.
   * Returns how to stop telling them.
   */
  listen(events: RedisConnectionEvents): () => void;
}

export interface RedisConnectionEvents {
  message(channel: string, message: string): void;
  /** The connection is gone (the client reconnects by itself); `error` when it gave one. */
  down(error?: unknown): void;
  /** The connection is back and ready for commands. */
  up(): void;
}

type Listener = (...args: never[]) => void;
interface EmitterLike {
  on(event: string, listener: Listener): unknown;
  off?(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}
interface NodeRedisLike extends EmitterLike {
  isReady: boolean;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}
interface IoRedisLike extends EmitterLike {
  status: string;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const hasMethods = (value: Record<string, unknown>, names: string[]) => names.every((name) => typeof value[name] === 'function');

/** Listens to `emitter` for each of `events`; returns the undo. */
function listenAll(emitter: EmitterLike, events: Array<[string, Listener]>): () => void {
  for (const [event, listener] of events) emitter.on(event, listener);
  return () => {
    for (const [event, listener] of events) emitter.removeListener(event, listener);
  };
}

function nodeRedis(client: NodeRedisLike): RedisConnection {
  let onMessage: ((message: string, channel: string) => void) | null = null;
  const messageListener = (message: string, channel: string) => onMessage?.(message, channel);
  return {
    isReady: () => client.isReady,
    publish: (channel, message) => client.publish(channel, message),
    // One listener function for every channel: node-redis keeps listeners in a set, so subscribing again after a reconnect adds none.
    subscribe: (channel) => client.subscribe(channel, messageListener),
    unsubscribe: (channel) => client.unsubscribe(channel, messageListener),
    listen(events) {
      onMessage = (message, channel) => events.message(channel, message);
      const undo = listenAll(client, [
        ['ready', () => events.up()],
        ['reconnecting', () => events.down()],
        ['end', () => events.down()],
        // Listening to 'error' also keeps node-redis from throwing an unheard 'error' event.
        ['error', (error: unknown) => events.down(error)],
      ]);
      return () => {
        onMessage = null;
        undo();
      };
    },
  };
}

function ioRedis(client: IoRedisLike): RedisConnection {
  return {
    isReady: () => client.status === 'ready',
    publish: (channel, message) => client.publish(channel, message),
    subscribe: (channel) => client.subscribe(channel),
    unsubscribe: (channel) => client.unsubscribe(channel),
    listen: (events) =>
      listenAll(client, [
        ['message', (channel: string, message: string) => events.message(channel, message)],
        ['ready', () => events.up()],
        ['close', () => events.down()],
        ['reconnecting', () => events.down()],
        ['end', () => events.down()],
        ['error', (error: unknown) => events.down(error)],
      ]),
  };
}

/** `client` as a RedisConnection: a node-redis or ioredis client, or a RedisConnection itself. */
export function redisConnection(client: unknown, what: string): RedisConnection {
  if (isObject(client)) {
    if (hasMethods(client, ['isReady', 'publish', 'subscribe', 'unsubscribe', 'listen'])) return client as unknown as RedisConnection;
    const emitter = hasMethods(client, ['on', 'removeListener', 'publish', 'subscribe', 'unsubscribe']);
    if (emitter && typeof client.isReady === 'boolean') return nodeRedis(client as unknown as NodeRedisLike);
    if (emitter && typeof client.status === 'string') return ioRedis(client as unknown as IoRedisLike);
  }
  throw new InvalidArgumentError(
    `createHub: ${what} must be a node-redis client (npm package redis), an ioredis client, or a RedisConnection, got ${describe(client)}`,
  );
}
