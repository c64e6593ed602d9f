// The demo server: `npm start` (PORT, default 8080; IP, default 127.0.0.1: this machine only,
// IP=0.0.0.0 to let other machines in; WORKERS=N: N processes through node:cluster;
// REDIS_URL=redis://host:port: the chat room shared by every instance using that Redis).
//   /            the landing page: a link to each demo, with a line on what it shows
//   /hello       hello world, as plain text (a browser gets it in a page with a link back to /)
//   /clock       a page showing the ticks of /events (EventSource)
//   /echo        a page talking to /ws
//   /favicon.ico 204 (no icon, and no 404 in the browser's console)
//   /async       answered 100 ms later from a timer (asyncResponse, the seed's API; a page in a browser)
//   /chat        a long-polling chat room in the browser (/poll parks, POST /msg answers all)
//   /events      Server-Sent Events: a clock ticking every second
//   /stream      a chunked response written piece by piece through a channel (a page in a browser)
//   /ws          WebSocket echo
//   /ws-chat     the same chat room over WebSocket (the page; its socket is /ws-chat too)
import cluster from 'node:cluster';
import { runServer, asChannel, asyncResponse, asEventStream } from '@http-kit/http1';
import { broadcast } from '@http-kit/websocket';
import { openRoom } from './chat-room.mjs';
import { chatPage } from './chat-page.mjs';
import { wsChatPage } from './ws-chat-page.mjs';
import { clockPage, echoPage, landingPage, streamPageHead, streamPageTail, textPage } from './pages.mjs';

const port = Number(process.env.PORT ?? 8080);
const ip = process.env.IP ?? '127.0.0.1';
const workers = Number(process.env.WORKERS ?? 0);
if (!Number.isInteger(workers) || workers < 0) {
  console.error(`WORKERS must be a whole number of processes (0 for none), got ${JSON.stringify(process.env.WORKERS)}`);
  process.exit(1);
}

// --- the chat room: one room however it is served (see chat-room.mjs) ----------------------
const room = await openRoom({ redisUrl: process.env.REDIS_URL, workers });
const parked = new Set(); // long polls waiting for the next message
const sockets = new Set(); // open WebSocket channels in the room
room.listen((message) => {
  const answer = json([message]);
  for (const channel of parked) channel.send(answer);
  broadcast(sockets, JSON.stringify([message]));
});

// --- long-polling chat (the seed's example) ---------------------------------------------
function poll(req) {
  const since = Number(new URLSearchParams(req.queryString ?? '').get('since') ?? 0);
  const fresh = room.since(since);
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
  if (!(await room.post({ name, text, from: tabId(form.get('from')) }))) {
    return {
      status: 503,
      headers: { 'content-type': 'text/plain', 'retry-after': '1' },
      body: 'the room is unreachable (Redis is down); try again\n',
    };
  }
  return { status: 204 };
}

// --- WebSocket chat: the same room --------------------------------------------------------
function wsChat(req) {
  if (!req.websocket) return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: wsChatPage };
  return asChannel(req, {
    onOpen(channel) {
      sockets.add(channel);
      channel.send(JSON.stringify(room.recent(50)));
    },
    onReceive(channel, data) {
      let message;
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      const text = String(message?.text ?? '')
        .trim()
        .slice(0, 500);
      const name =
        String(message?.name ?? '')
          .trim()
          .slice(0, 40) || 'anonymous';
      if (text === '') return;
      room.post({ name, text, from: tabId(message?.from) }).then((sent) => {
        if (!sent && channel.isOpen) channel.send(JSON.stringify({ error: 'the room is unreachable (Redis is down); try again' }));
      });
    },
    onClose: (channel) => sockets.delete(channel),
    maxMessageSize: 4096,
  });
}

/** A tab's id as the pages make it (a short random string), or null. */
function tabId(value) {
  return typeof value === 'string' && /^[a-z0-9]{1,16}$/.test(value) ? value : null;
}

/** A browser navigating here (it asks for HTML): it gets a page with a way back to the index. */
function wantsPage(req) {
  return (req.headers.accept ?? '').includes('text/html');
}

function html(page) {
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page };
}

function json(value) {
  // x-served-by: which process answered (with WORKERS, or several instances, requests spread over them).
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-served-by': String(process.pid) },
    body: JSON.stringify(value),
  };
}

// --- routes -----------------------------------------------------------------------------
function handler(req) {
  switch (req.uri) {
    case '/':
      return html(landingPage);
    case '/hello':
      if (wantsPage(req)) return html(textPage('Hello world', 'hello world'));
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' };
    case '/favicon.ico':
      return { status: 204, headers: { 'cache-control': 'max-age=86400' } };
    case '/clock':
      return html(clockPage);
    case '/echo':
      return html(echoPage);
    case '/async': {
      const answer = wantsPage(req)
        ? html(textPage('Async response', 'async hello world', 'answered 100 ms after the request came, from a timer (asyncResponse)'))
        : { status: 200, headers: { 'content-type': 'text/plain' }, body: 'async hello world' };
      return asyncResponse(req, (respond) => {
        setTimeout(() => respond(answer), 100);
      });
    }
    case '/chat':
      return html(chatPage);
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
    case '/stream': {
      // A browser gets a page it renders as the chunks come; curl gets the chunks as text. Either
      // way nosniff: without it Chromium holds text back to sniff its type, and shows it all at the end.
      const page = wantsPage(req);
      return asChannel(req, {
        onOpen(channel) {
          const headers = { 'content-type': `text/${page ? 'html' : 'plain'}; charset=utf-8`, 'x-content-type-options': 'nosniff' };
          channel.send({ status: 200, headers, body: page ? streamPageHead : '' }, false);
          let n = 0;
          const tick = setInterval(() => {
            if (!channel.isOpen) return clearInterval(tick);
            channel.send(`chunk ${++n}\n`, false);
            if (n === 5) {
              clearInterval(tick);
              if (page) channel.send(streamPageTail, false);
              channel.close();
            }
          }, 200);
        },
      });
    }
    case '/ws':
      if (!req.websocket)
        return {
          status: 426,
          headers: { upgrade: 'websocket', 'content-type': 'text/plain' },
          body: 'a WebSocket endpoint: ws://host/ws\n',
        };
      return asChannel(req, { onReceive: (channel, message) => channel.send(message) });
    case '/ws-chat':
      return wsChat(req);
    default:
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found\n' };
  }
}

let server;
try {
  server = await runServer(handler, { ip, port, workers });
} catch (error) {
  // One line a person can act on, not a stack: a port in use is the usual case.
  if (error?.code !== 'HTTPKIT_LISTEN') throw error;
  console.error(
    error.systemCode === 'EADDRINUSE'
      ? `port ${port} is already in use (another server on it?): start on another one, e.g. PORT=${port === 8080 ? 8081 : port + 1} npm start`
      : error.message,
  );
  await room.close();
  process.exit(1);
}
const shown = ip.includes(':') ? `[${ip}]` : ip;
if (!cluster.isWorker) {
  console.log(
    `http-kit demo listening on http://${shown}:${server.port}/ (every demo is linked from /)${ip === '0.0.0.0' || ip === '::' ? ' on every interface' : ''}`,
  );
  console.log(`chat: ${room.mode}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await server.stop({ timeout: 2000 });
    await room.close();
    process.exit(0);
  });
}
