// The demo server: `npm start` (PORT, default 8080).
//   /            hello world
//   /async       answered 100 ms later from a timer (asyncResponse, the seed's API)
//   /chat        a long-polling chat room in the browser (/poll parks, POST /msg answers all)
//   /events      Server-Sent Events: a clock ticking every second
//   /stream      a chunked response written piece by piece through a channel
import { runServer, asChannel, asyncResponse, asEventStream } from '@http-kit/http1';
import { chatPage } from './chat-page.mjs';

const port = Number(process.env.PORT ?? 8080);
const ip = process.env.IP ?? '0.0.0.0';

// --- long-polling chat (the seed's example) ---------------------------------------------
const history = []; // { id, name, text, at }
const MAX_HISTORY = 200;
const parked = new Set(); // channels waiting for the next message

function messagesSince(since) {
  return history.filter((m) => m.id > since);
}

function poll(req) {
  const since = Number(new URLSearchParams(req.queryString ?? '').get('since') ?? 0);
  const fresh = messagesSince(since);
  if (fresh.length > 0) return json(fresh);
  return asChannel(req, {
    onOpen: (channel) => parked.add(channel),
    onClose: (channel) => parked.delete(channel),
    timeout: 25_000,
    timeoutResponse: json([]),
  });
}

async function postMessage(req) {
  const form = new URLSearchParams(req.body ? await req.body.text() : '');
  const text = (form.get('text') ?? '').trim().slice(0, 500);
  const name = (form.get('name') ?? 'anonymous').trim().slice(0, 40) || 'anonymous';
  if (text === '') return { status: 400, headers: { 'content-type': 'text/plain' }, body: 'text is required\n' };
  const message = { id: (history.at(-1)?.id ?? 0) + 1, name, text, at: Date.now() };
  history.push(message);
  if (history.length > MAX_HISTORY) history.shift();
  const answer = json([message]);
  for (const channel of parked) channel.send(answer);
  return { status: 204 };
}

function json(value) {
  return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(value) };
}

// --- routes -----------------------------------------------------------------------------
function handler(req) {
  switch (req.uri) {
    case '/':
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' };
    case '/async':
      return asyncResponse(req, (respond) => {
        setTimeout(() => respond({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'async hello world' }), 100);
      });
    case '/chat':
      return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: chatPage };
    case '/poll':
      return poll(req);
    case '/msg':
      return req.requestMethod === 'post' ? postMessage(req) : { status: 405, headers: { allow: 'POST' }, body: 'POST only\n' };
    case '/events':
      return asEventStream(req, {
        onOpen(stream) {
          // A reconnecting browser sends the last id it saw: carry on from there.
          let n = Number(stream.lastEventId ?? 0) || 0;
          const tick = setInterval(() => {
            if (!stream.isOpen) return clearInterval(tick);
            stream.send({ event: 'tick', id: ++n, data: { n, time: new Date().toISOString() } });
          }, 1000);
          stream.send({ event: 'hello', data: 'connected' });
        },
      });
    case '/stream':
      return asChannel(req, {
        onOpen(channel) {
          channel.send({ status: 200, headers: { 'content-type': 'text/plain' } }, false);
          let n = 0;
          const tick = setInterval(() => {
            if (!channel.isOpen) return clearInterval(tick);
            channel.send(`chunk ${++n}\n`, false);
            if (n === 5) {
              clearInterval(tick);
              channel.close();
            }
          }, 200);
        },
      });
    default:
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found\n' };
  }
}

const server = await runServer(handler, { ip, port });
console.log(`http-kit demo listening on http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${server.port}/ (chat: /chat)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await server.stop({ timeout: 2000 });
    process.exit(0);
  });
}
