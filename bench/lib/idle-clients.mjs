// Opens many keep-alive connections to a server, sends one GET on each, reads the whole
// response, then leaves every connection open and idle. Driven over IPC by memory-bench.
// With --park it sends `GET /poll` instead and does not wait for an answer: for a server that
// parks the request (a long poll), the connection then stays open with the request pending.
//
//   node bench/lib/idle-clients.mjs <port> <count> [--park] [--max-seconds N]
//
// Messages: child -> parent {type:'ready', open, answered, failed, errors}; parent -> child {type:'stop'}.
// Exits on 'stop', when the parent goes away, or after --max-seconds (default 120).
import { connect } from 'node:net';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const maxSecondsAt = process.argv.indexOf('--max-seconds');
const maxSeconds = maxSecondsAt === -1 ? 120 : Number(process.argv[maxSecondsAt + 1]);
const park = process.argv.includes('--park');
/** Connections being opened at once: enough to be quick, few enough for the listen backlog. */
const CONCURRENCY = 200;
const CONNECT_TIMEOUT_MS = 10_000;
const REQUEST = Buffer.from(`GET ${park ? '/poll' : '/'} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: memory-bench\r\n\r\n`, 'latin1');

if (typeof process.send !== 'function' || !(port > 0) || !(count > 0)) {
  console.error('idle-clients: usage: node bench/lib/idle-clients.mjs <port> <count> (with an IPC channel)');
  process.exit(2);
}
const lifetime = setTimeout(() => {
  console.error(`idle-clients: still running after ${maxSeconds} s, exiting`);
  process.exit(3);
}, maxSeconds * 1000);
lifetime.unref();
process.on('disconnect', () => process.exit(0));

const sockets = [];
let failed = 0;
const errors = new Map();

/** Opens one connection, sends the request, resolves once a whole response has been read (--park: once it is written). */
function openOne() {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let received = '';
    let done = false;
    const timer = setTimeout(() => fail(new Error('timeout')), CONNECT_TIMEOUT_MS);
    function finish(ok) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(ok);
    }
    function fail(error) {
      failed++;
      const key = error.code ?? error.message;
      errors.set(key, (errors.get(key) ?? 0) + 1);
      socket.destroy();
      finish(false);
    }
    socket.once('connect', () => {
      if (!park) return socket.write(REQUEST);
      socket.write(REQUEST, () => {
        if (done) return;
        sockets.push(socket);
        finish(true);
      });
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      if (!done) fail(new Error('closed before the response'));
    });
    // A parked request's eventual answer (memory-bench releases the warm-up round) is read and dropped.
    if (park) {
      socket.resume();
      return;
    }
    socket.setEncoding('latin1');
    socket.on('data', function onData(text) {
      received += text;
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(received.slice(0, headEnd + 2));
      if (length === null) return fail(new Error(`response without content-length: ${JSON.stringify(received.slice(0, 200))}`));
      if (received.length - headEnd - 4 < Number(length[1])) return;
      if (!received.startsWith('HTTP/1.1 200')) return fail(new Error(`status line ${received.slice(0, received.indexOf('\r\n'))}`));
      socket.off('data', onData);
      received = '';
      sockets.push(socket);
      finish(true);
    });
  });
}

let next = 0;
async function worker() {
  while (next < count) {
    next++;
    await openOne();
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));

// Count those still open: a server may close idle connections early (its keep-alive timeout).
let closedSince = 0;
for (const socket of sockets) socket.once('close', () => closedSince++);
process.send({ type: 'ready', open: sockets.length, answered: sockets.length, failed, errors: Object.fromEntries(errors) });

process.on('message', (message) => {
  if (message?.type === 'closed?') process.send({ type: 'closed', closed: closedSince });
  if (message?.type === 'stop') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
