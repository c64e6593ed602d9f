// Long polling: GET /wait parks until someone POSTs to /publish, then every waiter gets the text.
import assert from 'node:assert/strict';
import { runServer, asChannel } from '@http-kit/http1';
import { get, post } from '@http-kit/client';

const waiting = new Set(); // channels parked on /wait

async function handler(req) {
  if (req.uri === '/wait') {
    return asChannel(req, {
      onOpen: (channel) => waiting.add(channel),
      onClose: (channel, reason) => waiting.delete(channel), // answered, client gone, timeout...
      timeout: 30_000, // ms; then answered 504
    });
  }
  if (req.uri === '/publish' && req.requestMethod === 'post') {
    const text = await req.body.text();
    for (const channel of waiting) channel.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: text }); // answers and ends each poll
    return { status: 204 };
  }
  return null; // 404
}

const server = await runServer(handler, { ip: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${server.port}`;

const polls = [get(`${base}/wait`), get(`${base}/wait`)]; // two clients wait
while (waiting.size < 2) await new Promise((resolve) => setTimeout(resolve, 10));
await post(`${base}/publish`, { body: 'news!' });
for (const poll of await Promise.all(polls)) assert.equal(poll.body, 'news!');

await server.stop({ timeout: 1000 });
