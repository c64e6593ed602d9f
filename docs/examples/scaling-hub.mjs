// Long polls subscribed to a hub: every client parked on /poll gets the next message published to
// 'news', from this process or any other. In one process by default; with REDIS_URL set, across
// every process on every machine that shares that Redis (the same handler either way).
import assert from 'node:assert/strict';
import { createHub } from '@http-kit/core';
import { runServer, asChannel } from '@http-kit/http1';
import { get, post } from '@http-kit/client';

async function openHub() {
  if (!process.env.REDIS_URL) return { hub: createHub(), close: () => {} };
  const { createClient } = await import('redis'); // the program's own client: npm install redis
  const publisher = await createClient({ url: process.env.REDIS_URL })
    .on('error', () => {})
    .connect(); // errors: onRedisEvent
  const subscriber = await publisher
    .duplicate()
    .on('error', () => {})
    .connect(); // a subscribed connection does nothing else
  const hub = createHub({ redis: { publisher, subscriber } });
  return { hub, close: async () => (await hub.close(), publisher.destroy(), subscriber.destroy()) };
}

const { hub, close } = await openHub();
const asJson = (message) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });

async function handler(req) {
  if (req.uri === '/poll') {
    // Sent the next message as a JSON response; dropped from the hub once answered (or gone, or timed out).
    return asChannel(req, { onOpen: (channel) => hub.subscribe('news', channel, { format: asJson }), timeout: 30_000 });
  }
  if (req.uri === '/publish' && req.requestMethod === 'post') {
    const delivered = await hub.publish('news', JSON.parse(await req.body.text()));
    return delivered ? { status: 204 } : { status: 503, body: 'not delivered: Redis is down\n' };
  }
  return null; // 404
}

const server = await runServer(handler, { ip: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${server.port}`;

const polls = [get(`${base}/poll`), get(`${base}/poll`)];
while (hub.subscriberCount('news') < 2) await new Promise((resolve) => setTimeout(resolve, 10));
await hub.ready(); // with Redis: the subscription is confirmed
assert.equal((await post(`${base}/publish`, { body: '{"headline":"hub works"}' })).status, 204);
for (const poll of await Promise.all(polls)) assert.deepEqual(JSON.parse(poll.body), { headline: 'hub works' });
assert.equal(hub.subscriberCount('news'), 0); // answered polls are gone from the hub

await server.stop({ timeout: 1000 });
await close();
