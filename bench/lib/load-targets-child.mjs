// The servers bench/load-tool-bench.mjs points the load tool at, in a child process driven over IPC.
//
//   node bench/lib/load-targets-child.mjs targets [--max-seconds N]
//   node bench/lib/load-targets-child.mjs stall --period MS --stall MS [--max-seconds N]
//
//   targets  ours (the built @http-kit/http1): /ws a WebSocket that echoes, /poll a long poll parked
//            until the connection goes, /events a Server-Sent Events stream (no events), anything
//            else hello world
//   stall    node:http hello world that stalls: a request arriving in the last --stall ms of each
//            --period ms is answered only when that window ends (a GC pause, a blocked event loop)
//
// Messages: child -> parent {type:'listening', port, pid}, {type:'count', websockets, parked,
// streams}; parent -> child {type:'count'}, {type:'stop'}. Exits on 'stop', when the parent goes
// away, or after --max-seconds (default 300).
import { createServer } from 'node:http';

const kind = process.argv[2];
const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
if (typeof process.send !== 'function') {
  console.error('load-targets-child: run me from bench/load-tool-bench.mjs (needs an IPC channel)');
  process.exit(2);
}
setTimeout(() => process.exit(3), option('--max-seconds', 300) * 1000).unref();
process.on('disconnect', () => process.exit(0));

let count = () => ({ websockets: 0, parked: 0, streams: 0 });
let stop = async () => {};

if (kind === 'targets') {
  await import('@http-kit/websocket');
  const { runServer, asChannel, asEventStream } = await import('@http-kit/http1');
  let websockets = 0;
  let parked = 0;
  let streams = 0;
  const ws = {
    pingInterval: 0,
    onOpen: () => websockets++,
    onClose: () => websockets--,
    onReceive: (ch, message) => ch.send(message),
  };
  const poll = { timeout: 0, onOpen: () => parked++, onClose: () => parked-- };
  const sse = { keepAliveInterval: 0, onOpen: () => streams++, onClose: () => streams-- };
  const server = await runServer(
    (req) => {
      if (req.websocket) return asChannel(req, ws);
      if (req.uri === '/poll') return asChannel(req, poll);
      if (req.uri === '/events') return asEventStream(req, sse);
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' };
    },
    { port: 0, ip: '127.0.0.1', backlog: 8192, keepAliveTimeout: 300_000 },
  );
  count = () => ({ websockets, parked, streams });
  stop = () => server.stop({ timeout: 1000 });
  process.send({ type: 'listening', port: server.port, pid: process.pid });
} else if (kind === 'stall') {
  const period = option('--period', 5000);
  const stall = option('--stall', 1000);
  const started = Date.now();
  const server = createServer((_req, res) => {
    const into = (Date.now() - started) % period;
    if (into >= period - stall) setTimeout(() => res.end('hello world'), period - into);
    else res.end('hello world');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', 8192, resolve));
  stop = () => new Promise((resolve) => server.close(resolve) && server.closeAllConnections());
  process.send({ type: 'listening', port: server.address().port, pid: process.pid });
} else {
  console.error(`load-targets-child: unknown kind ${JSON.stringify(kind)} (targets or stall)`);
  process.exit(2);
}

process.on('message', async (message) => {
  if (message?.type === 'count') process.send({ type: 'count', ...count() });
  else if (message?.type === 'stop') {
    await stop();
    process.exit(0);
  }
});
