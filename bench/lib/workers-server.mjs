// One server program for workers-bench: hello world on every path, long polls parked on
// `GET /poll`, and `POST /publish` answering every parked poll in every process with its body.
// Run in one process, or under node:cluster with N workers, as the usual cluster program: the same
// file runs in the primary and in each worker.
//
//   node --expose-gc bench/lib/workers-server.mjs <ours|node> <workers> [--max-seconds N]
//
//   ours  runServer from @http-kit/http1 (built JS in packages/http1/dist); workers > 0 is
//         runServer's `workers` option. The event goes through createHub() from @http-kit/core
//         (under cluster: worker -> primary -> every worker, relayed by the primary).
//   node  node:http createServer; workers > 0: a node:cluster primary forks N workers that each
//         listen on the one shared port. The event goes the same way as the hub's, with its own
//         relay: process.send to the primary, worker.send to every worker.
//   workers 0: this one process serves (no cluster).
//
// Both park the way a user would: ours a channel per poll in a Set (asChannel, one handlers
// object), node the `res` in a Set (removed on 'close'); each is answered 200 application/json
// with the body the POST /publish carried (the soak clients post `{"seq":N}`) and a
// Content-Length. Hello world is the load-bench one: 200 text/plain "hello world" with a
// Content-Length.
//
// Messages with the parent (the primary's IPC channel; the primary asks its workers and sums):
//   child -> parent {type:'listening', port, pid, workerPids}, {type:'count', parked, connections}
//                   (one entry per serving process), {type:'gc-done'};
//   parent -> child {type:'count'}, {type:'gc'} (full GCs in every process), {type:'stop'}.
// The primary exits on 'stop' (its workers first), when the parent goes away, or after
// --max-seconds (default 300); a worker exits with its primary (node:cluster does that).
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const kind = process.argv[2];
const workers = Number(process.argv[3]);
const maxSecondsAt = process.argv.indexOf('--max-seconds');
const maxSeconds = maxSecondsAt === -1 ? 300 : Number(process.argv[maxSecondsAt + 1]);
const clustered = workers > 0;

const HOST = '127.0.0.1';
const BODY = 'hello world';
const TOPIC = 'news';
const KEEP_ALIVE_MS = 30_000;
/** Marker of this program's own messages between primary and workers. */
const MARK = 'workersBench';

if (!(kind === 'ours' || kind === 'node') || !Number.isInteger(workers) || workers < 0) {
  console.error('workers-server: usage: node bench/lib/workers-server.mjs <ours|node> <workers> (workers 0: one process)');
  process.exit(2);
}
if (cluster.isPrimary && typeof process.send !== 'function') {
  console.error('workers-server: run me from bench/workers-bench.mjs (needs an IPC channel)');
  process.exit(2);
}

if (clustered && cluster.isPrimary) await primary();
else await serve();

// --- a serving process (the only one without cluster, or a worker) ----------------------------

async function serve() {
  let running;
  try {
    running = kind === 'ours' ? await startOurs() : await startNode();
  } catch (error) {
    console.error(`workers-server ${kind}: could not start: ${error.stack ?? error}`);
    process.exit(1);
  }
  if (cluster.isWorker) {
    // The primary's questions; the answers carry its id back.
    process.on('message', async (message) => {
      if (message?.[MARK] === 'count') process.send({ [MARK]: 'count-reply', id: message.id, ...running.counts() });
      else if (message?.[MARK] === 'gc') {
        await fullGc();
        process.send({ [MARK]: 'gc-reply', id: message.id });
      }
    });
    return;
  }
  const lifetime = setTimeout(() => {
    console.error(`workers-server ${kind}: still running after ${maxSeconds} s, exiting`);
    process.exit(3);
  }, maxSeconds * 1000);
  lifetime.unref();
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (message) => {
    if (message?.type === 'count') {
      const { parked, connections } = running.counts();
      process.send({ type: 'count', parked: [parked], connections: [connections] });
    } else if (message?.type === 'gc') {
      await fullGc();
      process.send({ type: 'gc-done' });
    } else if (message?.type === 'stop') {
      await running.stop();
      process.exit(0);
    }
  });
  process.send({ type: 'listening', port: running.port, pid: process.pid, workerPids: [] });
}

async function startOurs() {
  const [{ runServer, asChannel }, { createHub }] = await Promise.all([import('@http-kit/http1'), import('@http-kit/core')]);
  if (typeof runServer !== 'function' || typeof createHub !== 'function') {
    throw new Error('@http-kit/http1 or @http-kit/core is not built: node scripts/build.mjs --no-types');
  }
  const waiting = new Set();
  const pollHandlers = { onOpen: (channel) => waiting.add(channel), onClose: (channel) => waiting.delete(channel) };
  const hub = createHub();
  hub.subscribe(TOPIC, (message) => {
    const response = { status: 200, headers: { 'content-type': 'application/json' }, body: message };
    for (const channel of waiting) channel.send(response);
  });
  const handler = (req) => {
    if (req.uri === '/poll') return asChannel(req, pollHandlers);
    if (req.uri === '/publish' && req.requestMethod === 'post') {
      return (req.body?.text() ?? Promise.resolve('')).then((text) => {
        hub.publish(TOPIC, text);
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'published' };
      });
    }
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: BODY };
  };
  // In a worker the same call, with the same `workers`, serves on the port the primary shares.
  const server = await runServer(handler, { port: 0, ip: HOST, keepAliveTimeout: KEEP_ALIVE_MS, ...(clustered ? { workers } : {}) });
  return {
    port: server.port,
    counts: () => ({ parked: waiting.size, connections: server.connectionCount }),
    stop: () => server.stop({ timeout: 1000 }),
  };
}

async function startNode() {
  const parked = new Set();
  const sockets = new Set();
  const helloHeaders = { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(BODY)) };
  const publishedHeaders = { 'content-type': 'text/plain', 'content-length': '9' };
  function forget() {
    parked.delete(this);
  }
  const answerParked = (body) => {
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    for (const res of parked) {
      parked.delete(res);
      res.writeHead(200, headers);
      res.end(body);
    }
  };
  // The relay, as the hub's: a worker's event goes to the primary, which sends it to every worker.
  if (cluster.isWorker) {
    process.on('message', (message) => {
      if (message?.[MARK] === 'event') answerParked(message.message);
    });
  }
  const publish = (message) => {
    if (cluster.isWorker) process.send({ [MARK]: 'event', message });
    else answerParked(message);
  };
  const server = createServer((req, res) => {
    if (req.url === '/poll') {
      parked.add(res);
      res.on('close', forget);
      return;
    }
    if (req.url === '/publish' && req.method === 'POST') {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        publish(text);
        res.writeHead(200, publishedHeaders);
        res.end('published');
      });
      return;
    }
    res.writeHead(200, helloHeaders);
    res.end(BODY);
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    // ours' default backlog, so both queue connects alike.
    server.listen({ port: 0, host: HOST, backlog: 2048 }, resolve);
  });
  return {
    port: server.address().port,
    counts: () => ({ parked: parked.size, connections: sockets.size }),
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// --- the cluster primary ---------------------------------------------------------------------

async function primary() {
  const lifetime = setTimeout(() => {
    console.error(`workers-server ${kind}: still running after ${maxSeconds} s, exiting`);
    killWorkers();
    process.exit(3);
  }, maxSeconds * 1000);
  lifetime.unref();
  process.on('disconnect', () => {
    killWorkers();
    process.exit(0);
  });

  let port;
  let stop;
  try {
    ({ port, stop } = kind === 'ours' ? await primaryOurs() : await primaryNode());
  } catch (error) {
    console.error(`workers-server ${kind}: could not start ${workers} workers: ${error.stack ?? error}`);
    killWorkers();
    process.exit(1);
  }

  // The parent's questions go to every worker; the primary answers once all have replied.
  let nextId = 1;
  const pending = new Map();
  cluster.on('message', (_worker, message) => {
    const ask = pending.get(message?.id);
    if (ask === undefined || message?.[MARK] !== `${ask.what}-reply`) return;
    ask.replies.push(message);
    if (ask.replies.length === ask.expected) {
      pending.delete(message.id);
      ask.done(ask.replies);
    }
  });
  const askWorkers = (what) =>
    new Promise((done) => {
      const live = liveWorkers();
      const id = nextId++;
      pending.set(id, { what, expected: live.length, replies: [], done });
      for (const worker of live) worker.send({ [MARK]: what, id });
    });

  process.on('message', async (message) => {
    if (message?.type === 'count') {
      const replies = await askWorkers('count');
      process.send({ type: 'count', parked: replies.map((r) => r.parked), connections: replies.map((r) => r.connections) });
    } else if (message?.type === 'gc') {
      await Promise.all([askWorkers('gc'), fullGc()]);
      process.send({ type: 'gc-done' });
    } else if (message?.type === 'stop') {
      await stop();
      process.exit(0);
    }
  });
  process.send({ type: 'listening', port, pid: process.pid, workerPids: liveWorkers().map((worker) => worker.process.pid) });
}

/** runServer's own primary: it forks and supervises, and relays the hub. */
async function primaryOurs() {
  const { runServer } = await import('@http-kit/http1');
  if (typeof runServer !== 'function') throw new Error('@http-kit/http1 is not built: node scripts/build.mjs --no-types');
  // The primary never runs the handler; runServer checks the options here as in the workers.
  const server = await runServer(() => ({ status: 500 }), { port: 0, ip: HOST, keepAliveTimeout: KEEP_ALIVE_MS, workers });
  return { port: server.port, stop: () => server.stop({ timeout: 1000 }) };
}

/** The node:cluster primary of the usual example: fork, relay, wait for every worker to listen. */
async function primaryNode() {
  cluster.on('message', (_worker, message) => {
    if (message?.[MARK] !== 'event') return;
    for (const worker of liveWorkers()) worker.send(message);
  });
  const port = await new Promise((resolve, reject) => {
    let listening = 0;
    cluster.on('listening', (_worker, address) => {
      if (++listening === workers) resolve(address.port);
    });
    cluster.on('exit', (worker, code, signal) =>
      reject(new Error(`worker ${worker.process.pid} exited (${signal ?? code}) before listening`)),
    );
    for (let i = 0; i < workers; i++) cluster.fork();
  });
  const stop = async () => {
    const exits = liveWorkers().map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    killWorkers('SIGTERM');
    const timer = setTimeout(() => killWorkers(), 2000);
    await Promise.all(exits);
    clearTimeout(timer);
  };
  return { port, stop };
}

function liveWorkers() {
  return Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined && worker.isConnected());
}

function killWorkers(signal = 'SIGKILL') {
  for (const worker of Object.values(cluster.workers ?? {})) {
    if (worker !== undefined && worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill(signal);
  }
}

/** Full GCs with turns of the event loop between them (run with --expose-gc; without it, none). */
async function fullGc() {
  if (typeof globalThis.gc !== 'function') return;
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
