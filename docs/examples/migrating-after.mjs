// After: @http-kit/http1 for the server, @http-kit/websocket for WebSocket, @http-kit/client for requests.
import assert from 'node:assert/strict';
import { runServer, asChannel } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { get, post } from '@http-kit/client';

const waiting = new Set(); // long polls: parked channels

const server = await runServer(
  async (req) => {
    if (req.uri === '/hello') {
      return {
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body: `hello ${new URLSearchParams(req.queryString ?? '').get('name')}`,
      };
    }
    if (req.uri === '/echo' && req.requestMethod === 'post') {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: await req.body.bytes() };
    }
    if (req.uri === '/wait') {
      return asChannel(req, { onOpen: (channel) => waiting.add(channel), onClose: (channel) => waiting.delete(channel) });
    }
    if (req.uri === '/ws' && req.websocket) {
      return asChannel(req, { onReceive: (channel, message) => channel.send(typeof message === 'string' ? `echo: ${message}` : message) });
    }
    return { status: 404 };
  },
  { ip: '127.0.0.1', port: 0 },
);
const base = `http://127.0.0.1:${server.port}`;

// Requests: the promise never rejects; a failure is `error`, the body is already read.
const hello = await get(`${base}/hello`, { queryParams: { name: 'ada' } });
assert.equal(hello.body, 'hello ada');
const echoed = await post(`${base}/echo`, { body: JSON.stringify({ a: 1 }) });
assert.deepEqual(JSON.parse(echoed.body), { a: 1 });
const poll = get(`${base}/wait`);
while (waiting.size < 1) await new Promise((resolve) => setTimeout(resolve, 10));
for (const channel of waiting) channel.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'news' });
assert.equal((await poll).body, 'news');
assert.equal((await get('http://127.0.0.1:1/')).error.code, 'HTTPKIT_CONNECT_FAILED');

// A WebSocket client: the same channel and handlers as on the server.
const replies = [];
const { channel } = await connect(`ws://127.0.0.1:${server.port}/ws`, { onReceive: (ch, message) => replies.push(message) });
channel.send('hi');
while (replies.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
assert.equal(replies[0], 'echo: hi');
channel.close();

await server.stop({ timeout: 1000 }); // stops accepting, lets in-flight requests finish, closes the rest
