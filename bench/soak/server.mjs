// The server under test for bench/soak/run.mjs, in its own child process (it needs an IPC channel).
//
//   node bench/soak/server.mjs [--workers N] [--max-seconds S]
//
// runServer from the built packages (node scripts/build.mjs --no-types), on 127.0.0.1, port 0:
//   GET  /hello    200 "hello" (keep-alive)
//   GET  /poll     parks (asChannel); the channel subscribes to the hub, whose next message answers it
//   POST /publish  publishes the body on the hub (topic 'news'); 200 "published" once it is on its way
//   GET  /ws       WebSocket (upgrade): subscribed to the hub, so it gets every message; echoes what
//                  it receives
// The hub is createHub() from @http-kit/core; channels subscribe with hub.subscribe(topic, channel)
// (dropped by the hub when they close), as docs/guides/scaling.md shows. Without --workers
// everything is this one process. With --workers N, runServer forks N workers (node:cluster):
// each runs this file again and serves; this process (the primary) only supervises and relays
// the hub, so one POST /publish to any worker reaches the clients parked on every worker.
//
// IPC with run.mjs (this process; with workers, the primary):
//   -> {type:'listening', port, pids: [this process, ...workers]}
//   <- {type:'measure', gc} -> {type:'measured', processes: [{pid, role, rss, heapUsed, codeUsed,
//      connections, parked, websockets, subscribers, served, errors, errorSample}]}: RSS from
//      /proc/<pid>/status of every pid; heapUsed (and of it, codeUsed: the code spaces, compiled
//      code) after full GCs (gc: true) as each process reports it. With workers the primary asks
//      each worker over the cluster IPC ({soakServer:'measure'}) and adds their answers.
//   <- {type:'stop'}: stops the server (and its workers) and exits.
// Exits when run.mjs goes away, and after --max-seconds (default 900) in any case.
import cluster from 'node:cluster';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rssBytes } from '../lib/proc.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : Number(argv[at + 1]);
};
const workers = option('--workers', 0);
const maxSeconds = option('--max-seconds', 900);
const TOPIC = 'news';
/** Full GCs with turns of the event loop between them, so weak callbacks and finalizers run. */
const GC_ROUNDS = 4;

if (typeof process.send !== 'function') {
  console.error('soak server: started by bench/soak/run.mjs only (needs an IPC channel)');
  process.exit(2);
}
setTimeout(() => {
  console.error(`soak server ${process.pid}: still running after ${maxSeconds} s, exiting`);
  process.exit(3);
}, maxSeconds * 1000).unref();
process.on('disconnect', () => process.exit(0));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const { runServer, asChannel } = await import('@http-kit/http1');
await import('@http-kit/websocket');
const { createHub } = await import('@http-kit/core');
if (typeof runServer !== 'function' || typeof createHub !== 'function') {
  console.error('soak server: the built packages lack runServer/createHub: node scripts/build.mjs --no-types');
  process.exit(1);
}

const role = workers === 0 ? 'single' : cluster.isPrimary ? 'primary' : 'worker';
const errors = { count: 0, sample: [] };
const logError = (message, error) => {
  errors.count++;
  if (errors.sample.length < 5) errors.sample.push(`${message}${error === undefined ? '' : `: ${error?.message ?? error}`}`);
};

// --- what a serving process (single or worker) holds ------------------------------------------

const served = { hello: 0, polls: 0, publish: 0, wsOpened: 0, wsMessages: 0, broadcasts: 0 };
let websockets = 0;
const hub = createHub({ errorLogger: logError });
/** A parked poll is answered with the message (a string: the body POST /publish got). */
const asResponse = (message) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: String(message) });
const POLL_SUBSCRIPTION = { format: asResponse };
// As the scaling guide writes it: each channel subscribes itself, and the hub drops it when it closes.
const pollHandlers = {
  onOpen: (channel) => hub.subscribe(TOPIC, channel, POLL_SUBSCRIPTION),
};
const wsHandlers = {
  onOpen: (channel) => {
    served.wsOpened++;
    websockets++;
    hub.subscribe(TOPIC, channel);
  },
  onReceive: (channel, message) => {
    served.wsMessages++;
    channel.send(message);
  },
  onClose: () => websockets--,
};
const HELLO = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' };
const PUBLISHED = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'published' };
const UNDELIVERED = { status: 503, headers: { 'content-type': 'text/plain' }, body: 'the hub could not send the message' };
const NOT_FOUND = { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };

async function publish(req) {
  const text = (await req.body?.text()) ?? '';
  served.publish++;
  return (await hub.publish(TOPIC, text)) ? PUBLISHED : UNDELIVERED;
}

function handler(req) {
  switch (req.uri) {
    case '/hello':
      served.hello++;
      return HELLO;
    case '/poll':
      served.polls++;
      return asChannel(req, pollHandlers);
    case '/publish':
      return req.requestMethod === 'post' ? publish(req) : NOT_FOUND;
    case '/ws':
      return req.websocket ? asChannel(req, wsHandlers) : NOT_FOUND;
    default:
      return NOT_FOUND;
  }
}

// Counts the messages this process got (one more subscriber than the channels).
if (role !== 'primary') hub.subscribe(TOPIC, () => served.broadcasts++);
const channelSubscribers = () => (role === 'primary' ? 0 : hub.subscriberCount(TOPIC) - 1);

const server = await runServer(handler, {
  port: 0,
  ip: '127.0.0.1',
  backlog: 8192,
  // Idle connections must outlive a part of the soak (the default is 5 s).
  keepAliveTimeout: 120_000,
  errorLogger: logError,
  warnLogger: (message) => logError(message),
  workers,
});

/** This process after full GCs (gc: true) or as it is; RSS comes from /proc in the reporting process. */
async function ownFigures(withGc) {
  if (withGc) {
    for (let i = 0; i < GC_ROUNDS; i++) {
      gc();
      await sleep(20);
    }
  }
  const memory = process.memoryUsage();
  let codeUsed = 0;
  for (const space of getHeapSpaceStatistics()) if (space.space_name.startsWith('code')) codeUsed += space.space_used_size;
  return {
    pid: process.pid,
    role,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    codeUsed,
    connections: server.connectionCount,
    parked: server.pendingCount,
    websockets,
    subscribers: channelSubscribers(),
    served: { ...served },
    errors: errors.count,
    errorSample: errors.sample,
  };
}

if (role === 'worker') {
  process.on('message', async (message) => {
    if (message?.soakServer !== 'measure') return;
    process.send({ soakServer: 'measured', id: message.id, figures: await ownFigures(message.gc) });
  });
} else {
  // Requests from run.mjs; with workers, each worker's figures are asked for over the cluster IPC.
  let nextId = 0;
  const pending = new Map();
  cluster.on('message', (_worker, message) => {
    if (message?.soakServer !== 'measured') return;
    const wait = pending.get(message.id);
    if (wait === undefined) return;
    wait.figures.push(message.figures);
    if (wait.figures.length === wait.expected) {
      pending.delete(message.id);
      wait.resolve(wait.figures);
    }
  });
  const fromWorkers = (withGc) => {
    const live = Object.values(cluster.workers ?? {}).filter((worker) => worker?.isConnected());
    if (live.length === 0) return Promise.resolve([]);
    const id = ++nextId;
    return new Promise((resolve) => {
      const wait = { expected: live.length, figures: [], resolve };
      pending.set(id, wait);
      // A worker that does not answer (dead, stuck) leaves its figures out; run.mjs sees the gap.
      setTimeout(() => {
        if (pending.delete(id)) resolve(wait.figures);
      }, 15_000).unref();
      for (const worker of live) worker.send({ soakServer: 'measure', id, gc: withGc });
    });
  };

  process.on('message', async (message) => {
    switch (message?.type) {
      case 'measure': {
        const processes = [await ownFigures(message.gc), ...(await fromWorkers(message.gc))];
        for (const figures of processes) {
          const vmRss = rssBytes(figures.pid);
          if (Number.isFinite(vmRss)) figures.rss = vmRss;
        }
        process.send({ type: 'measured', processes, workerPids: server.workers.map((w) => w.pid) });
        return;
      }
      case 'stop':
        await server.stop({ timeout: 1_000 });
        process.exit(0);
    }
  });
  process.send({ type: 'listening', port: server.port, pids: [process.pid, ...server.workers.map((w) => w.pid)] });
}
