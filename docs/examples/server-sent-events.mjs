// Server-Sent Events: a clock that ticks three times, read with the client as a stream.
import assert from 'node:assert/strict';
import { runServer, asEventStream } from '@http-kit/http1';
import { get } from '@http-kit/client';

function handler(req) {
  if (req.uri !== '/clock') return null;
  return asEventStream(req, {
    onOpen(stream) {
      let n = 0;
      const timer = setInterval(() => {
        n += 1;
        stream.send({ event: 'tick', id: n, data: { n } }); // data: JSON unless a string
        if (n === 3) {
          clearInterval(timer);
          stream.close();
        }
      }, 50);
    },
    onClose: (stream, reason) => {}, // a browser that goes away: 'client-closed'
  });
}

const server = await runServer(handler, { ip: '127.0.0.1', port: 0 });

// A browser would use `new EventSource('/clock')`; here the client reads the stream.
const res = await get(`http://127.0.0.1:${server.port}/clock`, {
  as: 'stream',
  timeout: Infinity,
  idleTimeout: 5000,
  connectTimeout: 5000,
});
assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
let text = '';
for await (const chunk of res.body) text += chunk;
assert.equal(text, 'event: tick\nid: 1\ndata: {"n":1}\n\nevent: tick\nid: 2\ndata: {"n":2}\n\nevent: tick\nid: 3\ndata: {"n":3}\n\n');

await server.stop({ timeout: 1000 });
