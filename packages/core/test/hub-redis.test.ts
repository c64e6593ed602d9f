/**
 * The hub on Redis pub/sub, against a real redis-server and both Node clients people use
 * (node-redis and ioredis): hubs on separate connections (as separate processes would be) each
 * get every message once, a topic no one here subscribes to leaves Redis, a Redis restart is
 * reported, publishes meanwhile are said to be undelivered, and topics are subscribed again when
 * it is back. Skipped when redis-server is missing (Debian package redis-server). Across real
 * processes: packages/http1/test/demo-hub.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import { createHub, InvalidArgumentError, RedisUnavailableError, type Hub, type HubRedisEvent } from '@http-kit/core';
import { eventually, peer, sleep, startRedis, type PrivateRedis } from '@http-kit/test-support';

const REDIS = peer('redis-server', 'hub-redis.test.ts');

interface Clients {
  publisher: unknown;
  subscriber: unknown;
  /** PUBSUB NUMSUB of one channel, asked on the publisher. */
  subscribers(channel: string): Promise<number>;
  quit(): Promise<void>;
}

/** A connected node-redis pair that reconnects every 100 ms. */
async function nodeRedisClients(url: string): Promise<Clients> {
  const publisher = createClient({ url, socket: { reconnectStrategy: () => 100 } });
  publisher.on('error', () => {});
  await publisher.connect();
  const subscriber = publisher.duplicate();
  subscriber.on('error', () => {});
  await subscriber.connect();
  return {
    publisher,
    subscriber,
    subscribers: async (channel) => Number((await publisher.pubSubNumSub(channel))[channel] ?? 0),
    async quit() {
      // destroy() rejects what is still queued; nothing here waits for it.
      publisher.destroy();
      subscriber.destroy();
    },
  };
}

/** A connected ioredis pair that reconnects every 100 ms. */
async function ioRedisClients(url: string): Promise<Clients> {
  const options = { retryStrategy: () => 100, maxRetriesPerRequest: 1 };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  for (const client of [publisher, subscriber]) client.on('error', () => {});
  await Promise.all([publisher, subscriber].map((client) => new Promise((resolve) => client.once('ready', resolve))));
  return {
    publisher,
    subscriber,
    subscribers: async (channel) => Number(((await publisher.pubsub('NUMSUB', channel)) as [string, number])[1]),
    async quit() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

describe.skipIf(REDIS === null)('createHub on Redis', () => {
  let redis: PrivateRedis;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    redis = await startRedis(REDIS!);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    if (redis !== undefined) await redis.start().catch(() => {}); // a test that killed it leaves it running for the next
  });
  afterAll(async () => {
    await redis?.stop();
  });

  let names = 0;

  for (const [library, makeClients] of [
    ['node-redis', nodeRedisClients],
    ['ioredis', ioRedisClients],
  ] as const) {
    describe(library, () => {
      /** A hub on its own pair of connections, as one process of several would have; `events` collects what it reports. */
      async function hubOn(name: string, events: HubRedisEvent[] = []): Promise<{ hub: Hub; clients: Clients }> {
        const clients = await makeClients(redis.url);
        const hub = createHub({
          name,
          redis: { publisher: clients.publisher, subscriber: clients.subscriber },
          onRedisEvent: (event) => events.push(event),
        });
        cleanups.push(async () => {
          await hub.close();
          await clients.quit();
        });
        return { hub, clients };
      }

      it('gets every message to every subscriber of every hub exactly once', async () => {
        const name = `once-${++names}`;
        const { hub: a } = await hubOn(name);
        const { hub: b } = await hubOn(name);
        const got: string[] = [];
        a.subscribe('room', (message) => got.push(`a1 ${JSON.stringify(message)}`));
        a.subscribe('room', (message) => got.push(`a2 ${JSON.stringify(message)}`));
        b.subscribe('room', (message, topic) => got.push(`b ${topic} ${JSON.stringify(message)}`));
        b.subscribe('other', () => got.push('other'));
        await Promise.all([a.ready(), b.ready()]);
        expect(await a.publish('room', { text: 'from a' })).toBe(true);
        expect(await b.publish('room', 'from b')).toBe(true);
        await eventually(() => got.length >= 6, 5_000, 'six deliveries');
        await sleep(100); // a second copy would have come by now
        expect(got.sort()).toEqual([
          'a1 "from b"',
          'a1 {"text":"from a"}',
          'a2 "from b"',
          'a2 {"text":"from a"}',
          'b room "from b"',
          'b room {"text":"from a"}',
        ]);
      });

      it('keeps hubs of other names apart', async () => {
        const { hub: a } = await hubOn(`apart-${++names}`);
        const { hub: b } = await hubOn(`apart-${++names}`);
        const got: unknown[] = [];
        b.subscribe('t', (message) => got.push(message));
        a.subscribe('t', () => {});
        await Promise.all([a.ready(), b.ready()]);
        await a.publish('t', 'not for b');
        await b.publish('t', 'for b');
        await eventually(() => got.length === 1, 5_000, 'b got its own');
        await sleep(50);
        expect(got).toEqual(['for b']);
      });

      it('subscribes a topic in Redis once per hub, and leaves it when its last subscriber goes', async () => {
        const name = `leave-${++names}`;
        const { hub, clients } = await hubOn(name);
        const channel = `http-kit:${name}:t`;
        const first = hub.subscribe('t', () => {});
        const second = hub.subscribe('t', () => {});
        await hub.ready();
        expect(await clients.subscribers(channel)).toBe(1);
        first();
        await hub.ready();
        expect(await clients.subscribers(channel)).toBe(1);
        second();
        await hub.ready();
        for (let i = 0; i < 100 && (await clients.subscribers(channel)) !== 0; i++) await sleep(20);
        expect(await clients.subscribers(channel)).toBe(0);
      });

      it('sends to a channel subscriber until it closes, then drops it', async () => {
        const name = `channel-${++names}`;
        const { hub } = await hubOn(name);
        const sent: unknown[] = [];
        let close!: () => void;
        const channel = {
          isOpen: true,
          closed: new Promise<void>((resolve) => (close = resolve)),
          send: (data: unknown) => sent.push(data),
        };
        hub.subscribe('t', channel, { format: (message) => ({ status: 200, body: JSON.stringify(message) }) });
        await hub.ready();
        await hub.publish('t', [1]);
        await eventually(() => sent.length === 1, 5_000, 'the channel got the message');
        expect(sent).toEqual([{ status: 200, body: '[1]' }]);
        channel.isOpen = false;
        close();
        await eventually(() => hub.subscriberCount('t') === 0, 5_000, 'the closed channel dropped');
      });

      it('reports a Redis restart, says what it could not deliver meanwhile, and subscribes again when Redis is back', async () => {
        const name = `restart-${++names}`;
        const eventsA: HubRedisEvent[] = [];
        const { hub: a } = await hubOn(name, eventsA);
        const { hub: b } = await hubOn(name);
        const got: unknown[] = [];
        a.subscribe('room', (message) => got.push(message));
        await a.ready();
        expect(a.connected).toBe(true);

        await redis.kill();
        await eventually(
          () => eventsA.some((e) => e.type === 'disconnected' && e.connection === 'subscriber'),
          5_000,
          'the lost subscriber reported',
        );
        await eventually(() => !b.connected, 5_000, 'b sees Redis gone');
        expect(a.connected).toBe(false);
        expect(await b.publish('room', 'while down')).toBe(false);

        await redis.start();
        await eventually(() => eventsA.some((e) => e.type === 'resubscribed'), 10_000, 'resubscribed');
        const back = eventsA.find((e) => e.type === 'resubscribed') as Extract<HubRedisEvent, { type: 'resubscribed' }>;
        expect(back.topics).toBe(1);
        expect(back.awayMs).toBeGreaterThan(0);
        await eventually(() => b.connected, 10_000, 'b reconnected');
        expect(await b.publish('room', 'after')).toBe(true);
        await eventually(() => got.length === 1, 5_000, 'the message after the restart');
        await sleep(100);
        expect(got).toEqual(['after']);
      }, 20_000);

      it('reports a publish made while Redis is down as undelivered, naming topic and message', async () => {
        const events: HubRedisEvent[] = [];
        const { hub } = await hubOn(`undelivered-${++names}`, events);
        await redis.kill();
        await eventually(() => !hub.connected, 5_000, 'the hub sees Redis gone');
        expect(await hub.publish('news', { n: 1 })).toBe(false);
        const undelivered = events.find((e) => e.type === 'undelivered') as Extract<HubRedisEvent, { type: 'undelivered' }>;
        expect(undelivered.topic).toBe('news');
        expect(undelivered.message).toEqual({ n: 1 });
        // Refused at once when the hub already saw the publisher go; else the client's own error.
        expect(undelivered.error).toBeInstanceOf(Error);
        if (!(undelivered.error instanceof RedisUnavailableError)) expect(String(undelivered.error)).not.toBe('');
      }, 15_000);

      it('drops a message on its channel that is not JSON, and says so', async () => {
        const name = `bad-${++names}`;
        const logged: string[] = [];
        const clients = await makeClients(redis.url);
        const hub = createHub({
          name,
          redis: { publisher: clients.publisher, subscriber: clients.subscriber },
          errorLogger: (message) => logged.push(message),
        });
        cleanups.push(async () => {
          await hub.close();
          await clients.quit();
        });
        const got: unknown[] = [];
        hub.subscribe('t', (message) => got.push(message));
        await hub.ready();
        await (clients.publisher as { publish(c: string, m: string): Promise<unknown> }).publish(`http-kit:${name}:t`, 'not json {');
        await hub.publish('t', 'fine');
        await eventually(() => got.length === 1, 5_000, 'the good message');
        expect(got).toEqual(['fine']);
        expect(logged.some((line) => line.includes('is not JSON'))).toBe(true);
      });
    });
  }

  it('refuses in words what is no Redis client, one connection for both, and a message that is not JSON', async () => {
    expect(() => createHub({ redis: { publisher: 42, subscriber: {} } })).toThrow(/redis.publisher must be a node-redis client .*got 42/);
    const clients = await nodeRedisClients(redis.url);
    cleanups.push(() => clients.quit());
    expect(() => createHub({ redis: { publisher: clients.publisher, subscriber: clients.publisher } })).toThrow(/connection of its own/);
    expect(() => createHub({ redis: null as never })).toThrow(InvalidArgumentError);
    const hub = createHub({ name: `misuse-${++names}`, redis: { publisher: clients.publisher, subscriber: clients.subscriber } });
    cleanups.push(() => hub.close());
    expect(() => hub.publish('t', 10n)).toThrow(/must be JSON/);
    expect(() => hub.publish('t', undefined)).toThrow(/must be JSON/);
  });
});
