// The load for bench/soak/run.mjs (and the long polls of bench/workers-bench.mjs), in its own
// child process (it needs an IPC channel).
//
//   node bench/soak/clients.mjs [--max-seconds S]
//
// Every client is the load library's (runLoad from @http-kit/load). Its onAnswer hook hands over
// each body or message with its connection's index, and onOpen says where a connection's new
// session starts: that is how each client's copies of a publish are counted. Everything talks to
// 127.0.0.1 on the port of the last {type:'target'} message. Times are this process's
// performance.now(): the publish that starts a broadcast is written from here too, so publish ->
// arrival needs no clock shared with another process.
//
// IPC, run.mjs -> here (each answered once):
//   {type:'target', port}           the server to load from now on -> {type:'targeted'}
//   {type:'open', kind, count}      kind 'idle': connect, GET /hello, read the answer, stay idle;
//                                   'poll': connect, send GET /poll (it parks); 'ws': open /ws.
//                                   CONNECT_CONCURRENCY at a time -> {type:'opened', open, failed, errors, ms}
//                                   (open: connected, for 'poll' with the poll written)
//   {type:'broadcast', seq, waitMs} POST /publish {"seq":seq}, then waits until every client of the
//                                   group has it (or waitMs pass), and SETTLE_MS more to catch a
//                                   second copy -> {type:'broadcasted', expected, once, missing, duplicates, ...}
//   {type:'close'}                  closes the group (HTTP: FIN; WebSocket: close frame, then FIN)
//                                   -> {type:'closed', closed, droppedEarly, errors, closing}:
//                                   connections the server dropped while held, errors by kind while
//                                   held, and `closing` (runLoad's): how many the server closed within
//                                   CLOSE_TIMEOUT_MS of the client's close, and when the last did
//   {type:'mixed', seconds, users}  the mixed load (below) -> {type:'mixed', ...figures}
//   {type:'exit'}
// The mixed load: three runLoads at once, with sessions (`sessionRequests`: a connection ends
// itself and opens again as a new client) over `users` connections: half keep-alive GETs (1-20 a
// session, back to back, then FIN and the server's close awaited), a quarter long polls (1-3 a
// session, answered by the publishes; one in ten given up while parked, 0-100 ms after it left:
// the connection dropped), a quarter WebSockets echoing 1-20 messages a session, 0-50 ms apart
// (`thinkTime`), while they receive the publishes (one session in ten dropped
// without a close frame; one socket in ten a slow reader, SLOW_READ_RATE). A publisher POSTs
// /publish every 100-250 ms until every run is over.
// Errors: a non-2xx or wrong answer, a reset or early close, a timeout, a publish a client missed
// or got twice, a connection the server did not close within CLOSE_TIMEOUT_MS of the client's.
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Histogram, runLoad } from '@http-kit/load';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : Number(argv[at + 1]);
};
const maxSeconds = option('--max-seconds', 900);
if (typeof process.send !== 'function') {
  console.error('soak clients: started by bench/soak/run.mjs only (needs an IPC channel)');
  process.exit(2);
}
setTimeout(() => {
  console.error(`soak clients: still running after ${maxSeconds} s, exiting`);
  process.exit(3);
}, maxSeconds * 1000).unref();
process.on('disconnect', () => process.exit(0));

const HOST = '127.0.0.1';
/** Connections being opened at once: quick, and well inside the listen backlog. */
const CONNECT_CONCURRENCY = 500;
const CONNECT_TIMEOUT_MS = 10_000;
/** A GET, an echo, a publish, a long poll in the mixed load (publishes come every 100-250 ms): how long one may take before it counts as an error. */
const OPERATION_TIMEOUT_MS = 5_000;
/** Once a client closes a connection (FIN, or a close frame), the server must close its side within this. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How long clients keep listening after the last arrival, to catch a second copy. */
const SETTLE_MS = 300;
const PUBLISH_EVERY_MS = [100, 250];
/** A mixed-load WebSocket's pause between an echo and its next message (ms, at random). */
const ECHO_PAUSE_MS = [0, 50];
/**
 * A slow reader's bytes a second: a few times what a mixed-load WebSocket gets (up to ~40 echoes
 * and ~6 publishes of ~35 bytes a second), so it lags behind each read but keeps up.
 */
const SLOW_READ_RATE = 4_096;
/** The server under test (a {type:'target'} message sets it). */
let port = 0;

const seqMessage = (seq) => `{"seq":${seq}}`;
/** The seq of a publish message, or -1 for anything else. */
const seqOf = (text) => (text.startsWith('{"seq":') && text.endsWith('}') ? Number(text.slice(7, -1)) : -1);
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const randomInt = (low, high) => low + Math.floor(Math.random() * (high - low + 1));

// --- the parts: one group of N clients at a time, held by a run of the load library ----------------

/** Options of the run that holds a group, by kind: each connection sends one request (or none). */
const GROUP_LOAD = {
  idle: () => ({ url: `http://${HOST}:${port}/hello`, mode: 'http', requestsPerConnection: 1 }),
  poll: () => ({ url: `http://${HOST}:${port}/poll`, mode: 'longpoll', requestsPerConnection: 1 }),
  ws: () => ({ url: `ws://${HOST}:${port}/ws`, mode: 'websocket', wsMode: 'listen' }),
};

/**
 * The clients of the current part: one runLoad of `count` connections, held (its duration is
 * longer than any part) until 'close' aborts it. Its onAnswer hook gets every answer with the
 * connection's index; `copies` counts, per connection, the copies of the current broadcast.
 */
const group = {
  kind: '',
  run: null,
  abort: null,
  info: null,
  copies: null,
  /** Idle: GET /hello answered "hello". */
  hellos: 0,
  /** The seq the current broadcast carries, and what arrived. */
  seq: -1,
  once: 0,
  duplicates: 0,
  bad: 0,
  badSample: null,
  firstAt: 0,
  lastAt: 0,
  onArrival: null,
  answer(connection, payload) {
    const text = payload.toString('latin1');
    if (this.kind === 'idle' && text === 'hello') this.hellos++;
    else if (seqOf(text) !== this.seq || this.seq === -1) this.wrong(text);
    else if (this.copies[connection] === 0) {
      this.copies[connection] = 1;
      const at = now();
      if (this.once === 0) this.firstAt = at;
      this.lastAt = at;
      this.once++;
    } else this.duplicates++;
    this.onArrival?.();
  },
  wrong(text) {
    this.bad++;
    this.badSample ??= text.slice(0, 80);
  },
};

/**
 * POST /publish `body`, on a connection of its own (so its accept, and with workers its hand-over,
 * are inside the broadcast's time) unless an `agent` is given; resolves { status, body }, status 0
 * on a failure.
 */
function publish(body, agent = false) {
  return new Promise((resolve) => {
    const request = httpRequest({
      host: HOST,
      port,
      method: 'POST',
      path: '/publish',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: OPERATION_TIMEOUT_MS,
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${OPERATION_TIMEOUT_MS} ms`)));
    request.on('error', (error) => resolve({ status: 0, body: error.message }));
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('latin1');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: text }));
      response.on('error', (error) => resolve({ status: 0, body: error.message }));
    });
    request.end(body);
  });
}

/** Resolves once `done()` holds (checked on each answer) or `ms` pass. */
function untilDone(done, ms) {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    group.onArrival = () => {
      if (done()) finish();
    };
    function finish() {
      clearTimeout(timer);
      group.onArrival = null;
      resolve();
    }
  });
}

/** Opens `count` clients of `kind`, CONNECT_CONCURRENCY at a time; idle ones each GET /hello once. */
async function openGroup(kind, count) {
  const abort = new AbortController();
  Object.assign(group, { kind, abort, info: null, copies: new Uint8Array(count), hellos: 0, seq: -1, bad: 0, badSample: null });
  const started = now();
  const opened = new Promise((resolve) => {
    group.run = runLoad(
      {
        ...GROUP_LOAD[kind](),
        connections: count,
        duration: maxSeconds,
        connectConcurrency: CONNECT_CONCURRENCY,
        openTimeout: CONNECT_TIMEOUT_MS,
        timeout: OPERATION_TIMEOUT_MS,
        closeTimeout: CLOSE_TIMEOUT_MS,
      },
      { signal: abort.signal, onOpened: resolve, onAnswer: (connection, payload) => group.answer(connection, payload) },
    );
    // A run that fails before its connections are open (a bad option, the open-file limit).
    group.run.catch((error) => resolve({ opened: 0, failed: count, errors: { [error.message]: 1 }, counters: null }));
  });
  const info = await opened;
  group.info = info;
  const errors = { ...info.errors };
  if (kind === 'idle') {
    await untilDone(() => group.hellos + group.bad >= info.opened, OPERATION_TIMEOUT_MS);
    const unanswered = info.opened - group.hellos;
    if (unanswered > 0) errors[`GET /hello: not answered "hello" (e.g. ${JSON.stringify(group.badSample)})`] = unanswered;
  }
  // An idle client whose GET went unanswered did not open as asked.
  const open = kind === 'idle' ? group.hellos : info.opened;
  return { open, failed: info.failed + info.opened - open, errors, ms: now() - started };
}

/** One publish to the group; every client should get it exactly once. */
async function broadcastToGroup(seq, waitMs) {
  Object.assign(group, { seq, once: 0, duplicates: 0, bad: 0, badSample: null, firstAt: 0, lastAt: 0 });
  group.copies.fill(0);
  const expected = group.info.opened;
  const publishedAt = now();
  const answer = await publish(seqMessage(seq));
  const publishMs = now() - publishedAt;
  await untilDone(() => group.once + group.bad >= expected, waitMs);
  const allAt = now();
  await sleep(SETTLE_MS);
  // A connection the server dropped is opened again by the run: it is no longer the one that waited.
  const closedEarly = group.info.counters().reconnects;
  return {
    expected,
    once: group.once,
    missing: expected - group.once - group.bad - closedEarly,
    duplicates: group.duplicates,
    bad: group.bad,
    badSample: group.badSample,
    closedEarly,
    publishStatus: answer.status,
    publishMs,
    firstMs: group.once > 0 ? group.firstAt - publishedAt : null,
    lastMs: group.once > 0 ? group.lastAt - publishedAt : null,
    waitedMs: allAt - publishedAt,
  };
}

/**
 * Closes the group (HTTP: FIN; WebSocket: close frame, then FIN), after counting the connections
 * the server had closed before we asked, and any error while they were held.
 */
async function closeGroup() {
  const counters = group.info?.counters() ?? { reconnects: 0, errors: {} };
  group.abort.abort();
  const result = await group.run.catch((error) => ({ error: error.message }));
  Object.assign(group, { kind: '', run: null, abort: null, info: null, copies: null, seq: -1 });
  return {
    closed: result.open?.opened ?? 0,
    droppedEarly: counters.reconnects,
    errors: result.error === undefined ? counters.errors : { [result.error]: 1 },
    closing: result.closing ?? null,
  };
}

// --- the mixed load -----------------------------------------------------------------------------

/** A latency summary in ms from the load library's (µs), or { count: 0 }. */
function inMs(summary) {
  if (summary.count === 0) return { count: 0 };
  const { count, p50, p90, p99, max } = summary;
  return { count, p50: p50 / 1000, p90: p90 / 1000, p99: p99 / 1000, max: max / 1000 };
}

/** The runs' connect latencies (each new session's connect to open), merged. */
function connectOf(results) {
  const all = new Histogram();
  for (const r of results) all.add(r.connectHistogram);
  return all.summary();
}

/** What the mixed load checks that the runs' counters cannot: each client's publishes, in order, once. */
class MixedChecks {
  constructor(polls, sockets) {
    /** The last publish seq each connection's current session got (-1: none yet). */
    this.pollSeq = new Float64Array(polls).fill(-1);
    this.wsSeq = new Float64Array(sockets).fill(-1);
    this.publishedAt = new Map();
    this.delivery = new Histogram();
    this.published = 0;
    this.wsPublish = 0;
    this.errors = {};
    this.errorSample = [];
  }

  error(kind, detail) {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    if (this.errorSample.length < 10) this.errorSample.push(`${kind}: ${detail}`);
  }

  delivered(seq) {
    const at = this.publishedAt.get(seq);
    if (at !== undefined) this.delivery.record((now() - at) * 1000);
  }

  hello(body) {
    const text = body.toString('latin1');
    if (text !== 'hello') this.error('status', `GET /hello answered ${JSON.stringify(text.slice(0, 80))}`);
  }

  /** A long poll's answer: a publish later than the session's last one. */
  poll(connection, body) {
    const text = body.toString('latin1');
    const seq = seqOf(text);
    if (seq === -1) return this.error('status', `GET /poll answered ${JSON.stringify(text.slice(0, 80))}`);
    const last = this.pollSeq[connection];
    if (seq <= last) this.error('duplicate', `a long poll got publish ${seq} after ${last} in the same session`);
    else this.pollSeq[connection] = seq;
    this.delivered(seq);
  }

  /** A WebSocket message: its echo (the run times those), or a publish, each next to the session's last. */
  message(connection, data, echo) {
    if (data.equals(echo)) return;
    const text = data.toString('latin1');
    const seq = seqOf(text);
    if (seq === -1) return this.error('status', `WebSocket got ${JSON.stringify(text.slice(0, 80))}`);
    const last = this.wsSeq[connection];
    if (last !== -1 && seq !== last + 1) {
      if (seq <= last) this.error('duplicate', `WebSocket got publish ${seq} after ${last}`);
      else for (let s = last + 1; s < seq; s++) this.error('missed', `WebSocket got publish ${seq} after ${last}`);
    }
    if (seq > last) this.wsSeq[connection] = seq;
    this.wsPublish++;
    this.delivered(seq);
  }

  /** POSTs /publish every 100-250 ms on one keep-alive connection until `done()`. */
  async publishUntil(done) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let seq = 0;
    while (!done()) {
      await sleep(randomInt(...PUBLISH_EVERY_MS));
      seq++;
      this.publishedAt.set(seq, now());
      const answer = await publish(seqMessage(seq), agent);
      if (answer.status === 200) this.published++;
      else
        this.error(answer.status === 0 ? 'reset' : 'status', `POST /publish: ${answer.status} ${JSON.stringify(answer.body.slice(0, 80))}`);
    }
    agent.destroy();
  }
}

/** Adds one run's errors (opening included), reconnects and late closes to the checks' errors. */
function countRun(checks, what, result) {
  for (const [kind, n] of Object.entries(result.counters.errors)) {
    checks.errors[kind] = (checks.errors[kind] ?? 0) + n;
    if (checks.errorSample.length < 10) checks.errorSample.push(`${what}: ${kind} (${n})`);
  }
  const notOk = result.counters.answers - result.counters.status[result.mode === 'websocket' ? 1 : 2];
  if (result.mode !== 'websocket' && notOk > 0) checks.error('status', `${what}: ${notOk} answers not 2xx`);
  if (result.counters.reconnects > 0)
    checks.error('reset', `${what}: ${result.counters.reconnects} connections lost (closed by the server, or given up after an error)`);
  if (result.closing.forced > 0)
    checks.error(
      'timeout',
      `${what}: ${result.closing.forced} connections not closed by the server within ${CLOSE_TIMEOUT_MS} ms of the client's close`,
    );
}

/** `seconds` of the mixed load over `users` connections; resolves with its figures. */
async function mixedLoad(seconds, users) {
  const gets = Math.max(1, Math.round(users / 2));
  const polls = Math.max(1, Math.round(users / 4));
  const sockets = Math.max(1, users - gets - polls);
  const checks = new MixedChecks(polls, sockets);
  const common = {
    duration: seconds,
    connectConcurrency: CONNECT_CONCURRENCY,
    openTimeout: CONNECT_TIMEOUT_MS,
    timeout: OPERATION_TIMEOUT_MS,
    closeTimeout: CLOSE_TIMEOUT_MS,
  };
  const echo = Buffer.alloc(32, 'a');
  const started = now();
  let running = true;
  const publisher = checks.publishUntil(() => !running);
  let results;
  try {
    results = await Promise.all([
      runLoad(
        { ...common, url: `http://${HOST}:${port}/hello`, mode: 'http', connections: gets, sessionRequests: [1, 20] },
        { onAnswer: (_connection, body) => checks.hello(body) },
      ),
      runLoad(
        {
          ...common,
          url: `http://${HOST}:${port}/poll`,
          mode: 'longpoll',
          connections: polls,
          sessionRequests: [1, 3],
          abortFraction: 0.1,
          abortDelay: [0, 100],
        },
        { onOpen: (connection) => (checks.pollSeq[connection] = -1), onAnswer: (connection, body) => checks.poll(connection, body) },
      ),
      runLoad(
        {
          ...common,
          url: `ws://${HOST}:${port}/ws`,
          wsMode: 'echo',
          connections: sockets,
          messageSize: echo.length,
          thinkTime: ECHO_PAUSE_MS,
          sessionRequests: [1, 20],
          dropFraction: 0.1,
          slowFraction: 0.1,
          slowReadRate: SLOW_READ_RATE,
        },
        { onOpen: (connection) => (checks.wsSeq[connection] = -1), onAnswer: (connection, data) => checks.message(connection, data, echo) },
      ),
    ]);
  } finally {
    running = false;
    await publisher;
  }
  const [get, poll, ws] = results;
  countRun(checks, 'GET', get);
  countRun(checks, 'long poll', poll);
  countRun(checks, 'WebSocket', ws);
  const closing = [get, poll, ws].map((r) => r.closing);
  const served = {
    get: get.counters.answers,
    poll: poll.counters.answers,
    echo: ws.latency.count,
    publish: checks.published,
    wsPublish: checks.wsPublish,
  };
  return {
    seconds: (now() - started) / 1000,
    users,
    connections: { get: gets, poll: polls, ws: sockets },
    sessions: { get: get.counters.sessions, poll: poll.counters.sessions, ws: ws.counters.sessions },
    served,
    requests: served.get + served.poll + served.echo + served.publish,
    abandonedPolls: poll.counters.aborts,
    droppedWebSockets: ws.counters.drops,
    errors: checks.errors,
    errorCount: Object.values(checks.errors).reduce((a, b) => a + b, 0),
    errorSample: checks.errorSample,
    latency: {
      get: inMs(get.latency),
      echo: inMs(ws.latency),
      delivery: inMs(checks.delivery.summary()),
      connect: inMs(connectOf([get, poll, ws])),
    },
    closing: {
      connections: closing.reduce((n, c) => n + c.connections, 0),
      peerClosed: closing.reduce((n, c) => n + c.peerClosed, 0),
      forced: closing.reduce((n, c) => n + c.forced, 0),
      lastPeerCloseMs: Math.max(...closing.map((c) => c.lastPeerCloseMs ?? 0)),
    },
  };
}

// --- IPC ----------------------------------------------------------------------------------------

process.on('message', async (message) => {
  switch (message?.type) {
    case 'target':
      port = message.port;
      process.send({ type: 'targeted' });
      return;
    case 'open':
      process.send({ type: 'opened', ...(await openGroup(message.kind, message.count)) });
      return;
    case 'broadcast':
      process.send({ type: 'broadcasted', ...(await broadcastToGroup(message.seq, message.waitMs)) });
      return;
    case 'close':
      process.send({ type: 'closed', ...(await closeGroup()) });
      return;
    case 'mixed':
      process.send({ type: 'mixed', ...(await mixedLoad(message.seconds, message.users)) });
      return;
    case 'exit':
    case 'stop':
      process.exit(0);
  }
});
process.send({ type: 'ready' });
