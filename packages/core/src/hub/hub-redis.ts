/**
 * The hub's transport across machines: Redis pub/sub, on the program's own clients (one to
 * publish, one to subscribe: a subscribed connection can do nothing else). Each topic this
 * process has subscribers for is one Redis channel, subscribed once however many subscribers it
 * has here, so every process gets each message once. A publish reaches this process's own
 * subscribers the same way as everyone else's: back from Redis, never straight, or they would
 * get it twice.
 *
 * Redis keeps nothing for a subscriber that is away: while the subscriber connection is down,
 * messages others publish do not reach this process. So a lost connection is reported, every
 * topic is subscribed again when it comes back, and the program is told how long it was away
 * (to fetch what it missed from where it keeps history). A publish made while the publisher
 * connection is down is not queued for later: it is reported as undelivered at once.
 */
import { RedisUnavailableError } from '../errors.js';
import type { LocalDelivery } from './hub-cluster.js';
import type { RedisConnection } from './redis-clients.js';

/** What the hub tells the program about Redis. */
export type HubRedisEvent =
  /** A connection (the publisher's or the subscriber's) was lost; the client reconnects by itself. */
  | { type: 'disconnected'; connection: 'publisher' | 'subscriber'; error?: unknown }
  /**
   * The subscriber connection is back and every topic is subscribed again. Messages other
   * processes published in the `awayMs` it was down did not reach this process.
   */
  | { type: 'resubscribed'; topics: number; awayMs: number }
  /** A publish that did not reach Redis, so no subscriber anywhere got it. */
  | { type: 'undelivered'; topic: string; message: unknown; error: unknown };

export interface RedisTransportOptions {
  publisher: RedisConnection;
  subscriber: RedisConnection;
  /** Prepended to each topic to make the Redis channel name. */
  prefix: string;
  deliver: LocalDelivery;
  report: (event: HubRedisEvent) => void;
  /** Told of a message on one of our channels that is not JSON. */
  badMessage: (channel: string, error: unknown) => void;
}

export class RedisTransport {
  /** Topics with subscribers here, and whether Redis confirmed the SUBSCRIBE since the last (re)connect. */
  private readonly topics = new Map<string, boolean>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly stopListening: Array<() => void> = [];
  /** When the subscriber connection was lost (0 while up). */
  private subscriberDownSince = 0;
  private publisherDown = false;
  private closed = false;

  constructor(private readonly options: RedisTransportOptions) {
    const { publisher, subscriber } = options;
    this.stopListening.push(
      subscriber.listen({
        message: (channel, message) => this.received(channel, message),
        down: (error) => this.subscriberLost(error),
        up: () => this.subscriberBack(),
      }),
    );
    this.stopListening.push(
      publisher.listen({
        message: () => {},
        down: (error) => this.publisherLost(error),
        up: () => {
          this.publisherDown = false;
        },
      }),
    );
    if (!subscriber.isReady()) this.subscriberDownSince = Date.now();
  }

  /** Both connections up (and the hub open). */
  get connected(): boolean {
    return !this.closed && this.subscriberDownSince === 0 && this.options.publisher.isReady();
  }

  /** Sends `message` to every subscriber of `topic` everywhere; resolves false when it could not (reported as 'undelivered'). */
  publish(topic: string, message: unknown, payload: string): Promise<boolean> {
    const { publisher, prefix, report } = this.options;
    if (this.closed || !publisher.isReady()) {
      const error = new RedisUnavailableError(this.closed ? 'the hub is closed' : 'the Redis publisher connection is down');
      report({ type: 'undelivered', topic, message, error });
      return Promise.resolve(false);
    }
    let sent: Promise<unknown>;
    try {
      sent = publisher.publish(prefix + topic, payload);
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.then(
      () => true,
      (error: unknown) => {
        report({ type: 'undelivered', topic, message, error });
        return false;
      },
    );
  }

  /** The first subscriber of `topic` here: subscribe its Redis channel. */
  topicAdded(topic: string): void {
    this.topics.set(topic, false);
    if (this.subscriberDownSince === 0) this.subscribe(topic);
  }

  /** The last subscriber of `topic` here has gone. */
  topicRemoved(topic: string): void {
    this.topics.delete(topic);
    if (this.subscriberDownSince === 0) this.track(this.options.subscriber.unsubscribe(this.options.prefix + topic));
  }

  /** Resolves once every topic subscribed so far is confirmed by Redis (or failed, to be retried on reconnect). */
  async ready(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.stopListening) stop();
    const { subscriber, prefix } = this.options;
    if (subscriber.isReady()) for (const topic of this.topics.keys()) this.track(subscriber.unsubscribe(prefix + topic));
    this.topics.clear();
    await this.ready();
  }

  private received(channel: string, raw: string): void {
    const { prefix } = this.options;
    if (this.closed || !channel.startsWith(prefix)) return;
    const topic = channel.slice(prefix.length);
    if (!this.topics.has(topic)) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch (error) {
      this.options.badMessage(channel, error);
      return;
    }
    this.options.deliver(topic, message);
  }

  private subscribe(topic: string): Promise<unknown> {
    const subscribed = this.options.subscriber.subscribe(this.options.prefix + topic).then(() => {
      if (this.topics.has(topic)) this.topics.set(topic, true);
    });
    return this.track(subscribed);
  }

  /** Keeps `promise` in `pending` until it settles; a failure is handled by the reconnect that follows it. */
  private track(promise: Promise<unknown>): Promise<unknown> {
    const settled = Promise.resolve(promise).then(
      () => {},
      () => {},
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return settled;
  }

  private subscriberLost(error: unknown): void {
    if (this.closed || this.subscriberDownSince !== 0) return;
    this.subscriberDownSince = Date.now();
    for (const topic of this.topics.keys()) this.topics.set(topic, false);
    this.options.report({ type: 'disconnected', connection: 'subscriber', error });
  }

  private publisherLost(error: unknown): void {
    if (this.closed || this.publisherDown) return;
    this.publisherDown = true;
    this.options.report({ type: 'disconnected', connection: 'publisher', error });
  }

  private subscriberBack(): void {
    if (this.closed || this.subscriberDownSince === 0) return;
    const awayMs = Date.now() - this.subscriberDownSince;
    this.subscriberDownSince = 0;
    // The client may resubscribe by itself; subscribing again is harmless and makes sure of it.
    const topics = [...this.topics.keys()];
    void Promise.all(topics.map((topic) => this.subscribe(topic))).then(() => {
      if (!this.closed && this.subscriberDownSince === 0) this.options.report({ type: 'resubscribed', topics: topics.length, awayMs });
    });
  }
}
