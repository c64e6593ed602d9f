/**
 * A publish/subscribe hub: subscribers by topic (functions, or channels: a long poll, a stream,
 * Server-Sent Events, a WebSocket), and any code publishes. Where a message travels depends on
 * how the hub was made: in one process it goes straight to the topic's subscribers; under
 * node:cluster through the primary to every worker (hub-cluster.ts); with `redis` through Redis
 * pub/sub to every process on every machine that shares it (hub-redis.ts). Either way each
 * subscriber everywhere gets each message once.
 */
import { kWatchClose, watchClose, type CloseWatcher } from '../closed-signal.js';
import { InvalidArgumentError } from '../errors.js';
import { joinProcessHub } from './hub-cluster.js';
import { RedisTransport, type HubRedisEvent } from './hub-redis.js';
import { defaultErrorLogger, type ErrorLogger } from '../logger.js';
import { describe } from '../options.js';
import { redisConnection } from './redis-clients.js';

export type HubListener = (message: unknown, topic: string) => void;

/**
 * A channel as the hub sees it (http1's Channel and EventStream, a WebSocket channel): each
 * message is sent to it, and it is dropped from the hub when it closes.
 */
export interface HubChannel {
  readonly isOpen: boolean;
  /** Settles when the channel has closed. */
  readonly closed: PromiseLike<unknown>;
  // `never` takes any channel's send, whatever data it accepts; the hub gives it what `format` makes.
  send(data: never): unknown;
}

export interface ChannelSubscribeOptions {
  /**
   * What the channel is sent for each message (default: a string as it is, anything else as
   * JSON text). For a long poll, a response: `(m) => ({ status: 200, body: JSON.stringify(m) })`.
   */
  format?: (message: unknown, topic: string) => unknown;
}
// (One message's formatted value is sent to every channel subscribed with the same `format`, so a
// format must not make something a channel changes; responses, strings and buffers are not changed.)

/**
 * A hub.
 *
 * @example
 * const hub = createHub();
 * const unsubscribe = hub.subscribe('room:1', (message) => console.log(message));
 * hub.subscribe('room:1', channel); // a channel: sent each message, dropped when it closes
 * hub.publish('room:1', { from: 'ann', text: 'hi' });
 * unsubscribe();
 */
export interface Hub {
  /**
   * Calls `listener(message, topic)`, or sends to `channel`, for every message published to
   * `topic`; returns the unsubscribe (a channel is also unsubscribed when it closes).
   */
  subscribe(topic: string, listener: HubListener): () => void;
  subscribe(topic: string, channel: HubChannel, options?: ChannelSubscribeOptions): () => void;
  /**
   * Delivers `message` to every subscriber of `topic` everywhere the hub reaches. Resolves true
   * once it is on its way to all of them (in one process: delivered), false when it could not be
   * sent (Redis down: reported to `onRedisEvent` as 'undelivered'); never rejects. Across
   * processes the message travels as JSON.
   */
  publish(topic: string, message: unknown): Promise<boolean>;
  /** Subscribers of `topic` in this process. */
  subscriberCount(topic: string): number;
  /** Resolves once every subscription made so far is active (with Redis: confirmed by Redis). */
  ready(): Promise<void>;
  /** Whether messages can travel now (false while the hub's Redis connections are down). */
  readonly connected: boolean;
  /** Drops every subscriber and leaves Redis (unsubscribes; the program's clients stay open). */
  close(): Promise<void>;
}

export interface HubRedisOptions {
  /** The connection to publish on: a node-redis or ioredis client, connected. */
  publisher: unknown;
  /** A second, dedicated connection to subscribe on (`publisher.duplicate()`), connected. */
  subscriber: unknown;
}

export interface HubOptions {
  /** Hubs with different names never see each other's messages (default 'default'). */
  name?: string;
  /** Told when a listener throws; the other subscribers still get the message (default console.error). */
  errorLogger?: ErrorLogger;
  /** Carries messages through Redis pub/sub, to every process on every machine sharing it. */
  redis?: HubRedisOptions;
  /** Told when Redis connections go and come back, and of publishes that could not be sent (default: errorLogger). */
  onRedisEvent?: (event: HubRedisEvent) => void;
}

export type { HubRedisEvent };

/** One subscriber to one topic; a channel's subscription is also what watches it close. */
class Subscription implements CloseWatcher {
  /** False once unsubscribed: the channel's close signal lets go of it. */
  watching = true;
  listener: HubListener | null = null;
  channel: HubChannel | null = null;
  format: ((message: unknown, topic: string) => unknown) | null = null;

  constructor(
    readonly topic: string,
    /** The hub's delivery count when it subscribed: a delivery that began before it does not reach it. */
    readonly since: number,
    private readonly drop: (subscription: Subscription) => void,
  ) {}

  channelClosed(): void {
    this.drop(this);
  }
}

const NOT_MADE = Symbol('not made');

/** `() => unsubscribe(subscription)`, made here so that the build's keepNames does not wrap one per subscription. */
function unsubscriber(unsubscribe: (subscription: Subscription) => void, subscription: Subscription): () => void {
  return () => unsubscribe(subscription);
}
/** A channel's close can be watched: one of ours (without touching `closed`, which would make its promise), or any with a `closed` thenable. */
const isClosable = (channel: HubChannel): boolean =>
  typeof (channel as { [kWatchClose]?: unknown })[kWatchClose] === 'function' || typeof channel.closed?.then === 'function';
const asText = (message: unknown): string => (typeof message === 'string' ? message : JSON.stringify(message));

/** The default for onRedisEvent: one line for each event. */
function logRedisEvent(errorLogger: ErrorLogger, name: string): (event: HubRedisEvent) => void {
  return (event) => {
    if (event.type === 'disconnected')
      errorLogger(`Hub ${JSON.stringify(name)}: Redis ${event.connection} connection lost; reconnecting`, event.error);
    else if (event.type === 'resubscribed') {
      errorLogger(
        `Hub ${JSON.stringify(name)}: Redis is back, ${event.topics} topic(s) subscribed again; messages published elsewhere in the ${event.awayMs} ms away did not reach this process`,
      );
    } else errorLogger(`Hub ${JSON.stringify(name)}: a message to ${JSON.stringify(event.topic)} was not delivered`, event.error);
  };
}

function checkOptions(options: HubOptions): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`createHub: options must be an object, got ${describe(options)}`);
  const { name, errorLogger, redis, onRedisEvent } = options;
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    throw new InvalidArgumentError(`createHub: name must be a non-empty string, got ${describe(name)}`);
  if (errorLogger !== undefined && typeof errorLogger !== 'function')
    throw new InvalidArgumentError(`createHub: errorLogger must be a function, got ${describe(errorLogger)}`);
  if (onRedisEvent !== undefined && typeof onRedisEvent !== 'function')
    throw new InvalidArgumentError(`createHub: onRedisEvent must be a function, got ${describe(onRedisEvent)}`);
  if (redis !== undefined && (redis === null || typeof redis !== 'object')) {
    throw new InvalidArgumentError(`createHub: redis must be { publisher, subscriber } (two connected clients), got ${describe(redis)}`);
  }
}

/**
 * Makes a hub. Without `redis` it reaches this process and, under node:cluster, every worker
 * (hubs of one name are one hub); with `redis`, every process that shares the Redis server.
 *
 * @example
 * const hub = createHub();
 * hub.subscribe('news', (message) => console.log(message));
 * hub.publish('news', 'hello');
 *
 * @example
 * import { createClient } from 'redis';
 * const publisher = await createClient({ url: process.env.REDIS_URL }).connect();
 * const subscriber = await publisher.duplicate().connect();
 * const hub = createHub({ redis: { publisher, subscriber } });
 */
export function createHub(options: HubOptions = {}): Hub {
  checkOptions(options);
  const name = options.name ?? 'default';
  const errorLogger = options.errorLogger ?? defaultErrorLogger;
  const topics = new Map<string, Set<Subscription>>();

  let deliveries = 0;
  let closed = false;
  const deliver = (topic: string, message: unknown) => {
    const subscriptions = topics.get(topic);
    if (subscriptions === undefined) return;
    // A subscription made while this message is delivered (a pipelined long poll, parked as the
    // one before it is answered) waits for the next message: a Set's iteration would reach it.
    const delivery = ++deliveries;
    // What a format made, kept for the next channel with the same format: 10,000 parked polls cost one JSON.stringify, not 10,000.
    let madeBy: unknown = NOT_MADE;
    let made: unknown;
    for (const subscription of subscriptions) {
      if (subscription.since >= delivery) continue;
      try {
        if (subscription.listener !== null) subscription.listener(message, topic);
        else if (subscription.channel!.isOpen) {
          const format = subscription.format;
          if (madeBy !== format) {
            made = format === null ? asText(message) : format(message, topic);
            madeBy = format;
          }
          subscription.channel!.send(made as never);
        }
      } catch (error) {
        errorLogger(`Hub subscriber to ${JSON.stringify(topic)} threw`, error);
      }
    }
  };

  let redis: RedisTransport | null = null;
  let processHub: ReturnType<typeof joinProcessHub> | null = null;
  if (options.redis !== undefined) {
    const publisher = redisConnection(options.redis.publisher, 'redis.publisher');
    const subscriber = redisConnection(options.redis.subscriber, 'redis.subscriber');
    if (options.redis.publisher === options.redis.subscriber) {
      throw new InvalidArgumentError(
        'createHub: redis.subscriber must be a connection of its own (publisher.duplicate()): a subscribed Redis connection cannot publish',
      );
    }
    redis = new RedisTransport({
      publisher,
      subscriber,
      prefix: `http-kit:${name}:`,
      deliver,
      report: options.onRedisEvent ?? logRedisEvent(errorLogger, name),
      badMessage: (channel, error) =>
        errorLogger(`Hub ${JSON.stringify(name)}: a message on Redis channel ${JSON.stringify(channel)} is not JSON; dropped`, error),
    });
  } else {
    processHub = joinProcessHub(name, deliver);
  }

  const unsubscribe = (subscription: Subscription) => {
    subscription.watching = false;
    const topic = subscription.topic;
    const current = topics.get(topic);
    if (current === undefined || !current.delete(subscription)) return;
    if (current.size > 0) return;
    topics.delete(topic);
    redis?.topicRemoved(topic);
  };

  return {
    subscribe(topic: string, subscriber: HubListener | HubChannel, subscribeOptions?: ChannelSubscribeOptions) {
      if (typeof topic !== 'string') throw new InvalidArgumentError(`hub.subscribe: topic must be a string, got ${describe(topic)}`);
      if (closed)
        throw new InvalidArgumentError(`hub.subscribe: the hub ${JSON.stringify(name)} is closed; subscribe to a hub made after close()`);
      // Each subscription is its own entry, so one listener subscribed twice is called twice and unsubscribed once each.
      const subscription = new Subscription(topic, deliveries, unsubscribe);
      if (typeof subscriber === 'function') subscription.listener = subscriber;
      else if (subscriber !== null && typeof subscriber === 'object' && typeof subscriber.send === 'function' && isClosable(subscriber)) {
        const format = subscribeOptions?.format;
        if (format !== undefined && typeof format !== 'function')
          throw new InvalidArgumentError(`hub.subscribe: format must be a function, got ${describe(format)}`);
        subscription.channel = subscriber;
        subscription.format = format ?? null;
      } else {
        throw new InvalidArgumentError(`hub.subscribe: the subscriber must be a function or a channel, got ${describe(subscriber)}`);
      }
      let subscriptions = topics.get(topic);
      if (subscriptions === undefined) {
        topics.set(topic, (subscriptions = new Set()));
        redis?.topicAdded(topic);
      }
      subscriptions.add(subscription);
      // Our channels tell the subscription synchronously as they close, without making their `closed` promise.
      if (subscription.channel !== null) watchClose(subscription.channel, subscription);
      return unsubscriber(unsubscribe, subscription);
    },
    publish(topic, message) {
      if (typeof topic !== 'string') throw new InvalidArgumentError(`hub.publish: topic must be a string, got ${describe(topic)}`);
      if (closed && redis === null) {
        errorLogger(`Hub ${JSON.stringify(name)}: a message to ${JSON.stringify(topic)} was not delivered: the hub is closed`);
        return Promise.resolve(false);
      }
      if (redis !== null) {
        let payload: string | undefined;
        try {
          payload = JSON.stringify(message);
        } catch (error) {
          throw new InvalidArgumentError(
            `hub.publish: the message must be JSON (it crosses Redis), got ${describe(message)}: ${(error as Error).message}`,
          );
        }
        if (payload === undefined)
          throw new InvalidArgumentError(`hub.publish: the message must be JSON (it crosses Redis), got ${describe(message)}`);
        return redis.publish(topic, message, payload);
      }
      if (processHub!.publish(topic, message)) return Promise.resolve(true);
      errorLogger(
        `Hub ${JSON.stringify(name)}: a message to ${JSON.stringify(topic)} was not delivered: this worker has lost its cluster primary`,
      );
      return Promise.resolve(false);
    },
    subscriberCount(topic) {
      return topics.get(topic)?.size ?? 0;
    },
    ready: () => (redis === null ? Promise.resolve() : redis.ready()),
    get connected() {
      return redis === null ? true : redis.connected;
    },
    async close() {
      closed = true;
      topics.clear();
      processHub?.leave();
      await redis?.close();
    },
  };
}
