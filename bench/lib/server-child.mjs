// One hello-world server in a child process, driven over IPC by load-bench and memory-bench.
//
//   node bench/lib/server-child.mjs <ours|node|net|longpoll> [--max-seconds N] [--keep-alive-ms N]
//
//   ours      runServer from @http-kit/http1 (built JS in packages/http1/dist)
//   node      node:http createServer
//   net       a bare node:net server writing a canned response per request head, parsing nothing:
//             the upper bound for any server on this machine
//   longpoll  ours, parking every GET /poll on a channel as a user would write it (a Set of waiting
//             channels, a handlers object and two closures per request); other paths: hello world
//
// Messages: child -> parent {type:'listening', port, pid}, {type:'stats', ...memory, connections, parked},
//           {type:'cpu', micros}, {type:'count', connections, parked}, {type:'released', count};
//           parent -> child {type:'cpu'} (CPU time used so far), {type:'stats'}
//           (after full GCs when run with --expose-gc), {type:'count'} (no GC), {type:'release'}
//           (longpoll: answer every parked request), {type:'stop'}.
// The child exits on 'stop', when the parent goes away, or after --max-seconds (default 120).
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';

const kind = process.argv[2];
const maxSeconds = numberArg('--max-seconds', 120);
const keepAliveMs = numberArg('--keep-alive-ms', 5_000);

function numberArg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

if (typeof process.send !== 'function') {
  console.error('server-child: run me through bench/lib/children.mjs (needs an IPC channel)');
  process.exit(2);
}

const lifetime = setTimeout(() => {
  console.error(`server-child ${kind}: still running after ${maxSeconds} s, exiting`);
  process.exit(3);
}, maxSeconds * 1000);
lifetime.unref();
process.on('disconnect', () => process.exit(0));

const BODY = 'hello world';

async function startOurs() {
  const { runServer } = await import('@http-kit/http1');
  if (typeof runServer !== 'function')
    throw new Error('@http-kit/http1 exports no runServer: build with node scripts/build.mjs --no-types');
  const server = await runServer(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: BODY }), {
    port: 0,
    ip: '127.0.0.1',
    keepAliveTimeout: keepAliveMs,
  });
  return { port: server.port, connections: () => server.connectionCount, stop: () => server.stop({ timeout: 1000 }) };
}

/** Ours with long polls parked the way the README shows (handlers written inline, per request). */
async function startLongPoll() {
  const { runServer, asChannel } = await import('@http-kit/http1');
  if (typeof asChannel !== 'function')
    throw new Error('@http-kit/http1 exports no asChannel: build with node scripts/build.mjs --no-types');
  const waiting = new Set();
  const handler = (req) => {
    if (req.uri === '/poll') return asChannel(req, { onOpen: (ch) => waiting.add(ch), onClose: (ch) => waiting.delete(ch) });
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: BODY };
  };
  const server = await runServer(handler, { port: 0, ip: '127.0.0.1', keepAliveTimeout: keepAliveMs });
  const release = () => {
    let count = 0;
    for (const ch of waiting) {
      ch.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: BODY });
      count++;
    }
    return count;
  };
  return {
    port: server.port,
    connections: () => server.connectionCount,
    parked: () => waiting.size,
    release,
    stop: () => server.stop({ timeout: 1000 }),
  };
}

async function startNode() {
  const sockets = new Set();
  // Content-Length as ours and net send it (writeHead then end(body) would go chunked).
  const length = String(Buffer.byteLength(BODY));
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': length });
    res.end(BODY);
  });
  server.keepAliveTimeout = keepAliveMs;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server);
  return { port: server.address().port, connections: () => sockets.size, stop: () => closeAll(server, sockets) };
}

/** No parsing: one canned response per "\r\n\r\n" seen (requests without a body only). */
async function startNet() {
  const response = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`, 'latin1');
  const sockets = new Set();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    // How many bytes of "\r\n\r\n" the previous chunk ended with.
    let matched = 0;
    socket.on('data', (chunk) => {
      let responses = 0;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        if (byte === (matched & 1 ? 10 : 13)) {
          if (++matched === 4) {
            responses++;
            matched = 0;
          }
        } else {
          matched = byte === 13 ? 1 : 0;
        }
      }
      if (responses === 1) socket.write(response);
      else if (responses > 1) socket.write(Buffer.concat(Array(responses).fill(response)));
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server);
  return { port: server.address().port, connections: () => sockets.size, stop: () => closeAll(server, sockets) };
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve);
  });
}

function closeAll(server, sockets) {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function stats(running) {
  if (typeof globalThis.gc === 'function') {
    // Several full GCs with turns of the event loop between them, so weak callbacks and
    // finalizers run and what is left is what the connections really hold.
    for (let i = 0; i < 4; i++) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    ...counts(running),
    gc: typeof globalThis.gc === 'function',
  };
}

function counts(running) {
  return { connections: running.connections(), parked: running.parked?.() ?? 0 };
}

const starters = { ours: startOurs, node: startNode, net: startNet, longpoll: startLongPoll };
if (!(kind in starters)) {
  console.error(`server-child: unknown server kind ${JSON.stringify(kind)} (ours, node, net or longpoll)`);
  process.exit(2);
}

let running;
try {
  running = await starters[kind]();
} catch (error) {
  console.error(`server-child ${kind}: could not start: ${error.stack ?? error}`);
  process.exit(1);
}
process.on('message', async (message) => {
  if (message?.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ type: 'cpu', micros: user + system });
  } else if (message?.type === 'stats') {
    process.send({ type: 'stats', ...(await stats(running)) });
  } else if (message?.type === 'count') {
    process.send({ type: 'count', ...counts(running) });
  } else if (message?.type === 'release') {
    process.send({ type: 'released', count: running.release?.() ?? 0 });
  } else if (message?.type === 'stop') {
    await running.stop();
    process.exit(0);
  }
});
process.send({ type: 'listening', port: running.port, pid: process.pid });
