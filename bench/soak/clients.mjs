// The load for bench/soak/run.mjs, in its own child process (it needs an IPC channel).
//
//   node bench/soak/clients.mjs [--max-seconds S]
//
// The groups of parts 1-3 are held by the load library (runLoad from @http-kit/load), whose
// onAnswer hook hands over each body or message with its connection's index: that is how each
// client's copies of a publish are counted. The mixed load's sessions (open, a few requests, close
// or drop) are what runLoad does not do: they go over raw node:net keep-alive sockets (requests
// written by hand, responses read with the minimal parser below, which wants Content-Length) and
// the `ws` package. Everything talks to 127.0.0.1 on the port of the last {type:'target'} message.
// Times are this process's performance.now(): the publish that starts a broadcast is written from
// here too, so publish -> arrival needs no clock shared with another process.
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
//                                   -> {type:'closed', closed, droppedEarly, errors}: connections the
//                                   server dropped while held, errors by kind while held
//   {type:'mixed', seconds, users}  the mixed load (below) -> {type:'mixed', ...figures}
//   {type:'exit'}
// The mixed load: `users` loops, each opening session after session until `seconds` pass:
// keep-alive GETs (1-20 on one connection, back to back), long polls (1-3 on one connection,
// answered by the publishes; one in ten gives up while parked), or a WebSocket echoing 1-20
// messages 0-50 ms apart while it receives the publishes (one in ten drops the TCP connection
// instead of closing). A publisher POSTs /publish every 100-250 ms until the last user is done.
// Errors: a non-2xx or wrong answer, a reset or early close, a timeout, a publish a client missed
// or got twice.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Histogram as LoadHistogram, runLoad } from '@http-kit/load';
import WebSocket from 'ws';

/** A whole response at the start of `text`: { status, body, end } or null while incomplete; throws on a head without content-length. */
function parseResponse(text) {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return null;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd + 2));
  if (length === null) throw new Error(`no content-length: ${JSON.stringify(text.slice(0, 120))}`);
  const end = headEnd + 4 + Number(length[1]);
  if (text.length < end) return null;
  return { status: Number(text.slice(9, 12)), body: text.slice(headEnd + 4, end), end };
}

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
/** A GET, an echo, a publish, a close: how long one may take before it counts as an error. */
const OPERATION_TIMEOUT_MS = 5_000;
/** A long poll in the mixed load: publishes come every 100-250 ms, so this is many missed ones. */
const POLL_TIMEOUT_MS = 5_000;
/** How long clients keep listening after the last arrival, to catch a second copy. */
const SETTLE_MS = 300;
const PUBLISH_EVERY_MS = [100, 250];
/** The server under test (a {type:'target'} message sets it). */
let port = 0;
let wsUrl = '';

const HELLO = Buffer.from(`GET /hello HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: soak\r\n\r\n`, 'latin1');
const POLL = Buffer.from(`GET /poll HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: soak\r\n\r\n`, 'latin1');
const seqMessage = (seq) => `{"seq":${seq}}`;
const publishRequest = (body) =>
  Buffer.from(
    `POST /publish HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    'latin1',
  );
/** The seq of a publish message, or -1 for anything else. */
const seqOf = (text) => (text.startsWith('{"seq":') && text.endsWith('}') ? Number(text.slice(7, -1)) : -1);
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const randomInt = (low, high) => low + Math.floor(Math.random() * (high - low + 1));

/** A failure the soak counts, by kind (connect, status, reset, timeout, missed, duplicate, ...). */
class SoakError extends Error {
  constructor(kind, detail) {
    super(`${kind}: ${detail}`);
    this.kind = kind;
  }
}

// --- deadlines: one coarse sweep instead of a timer per request -----------------------------------

/** Things waiting with a `deadline` (performance.now() ms) and an `expire()`. */
const timed = new Set();
setInterval(() => {
  const t = now();
  for (const item of timed) if (item.deadline <= t) item.expire();
}, 100).unref();

// --- clients: what an HTTP connection and a WebSocket share ---------------------------------------

/**
 * One operation waited on at a time (an answer, an echo), with a deadline, and a close that waits
 * for the server's side. Subclasses say how to write, close and drop (`shut(graceful)`).
 */
class Client {
  constructor() {
    /** The operation in flight: { resolve, reject } while it waits. */
    this.waiter = null;
    this.deadline = Infinity;
    this.timeoutMs = 0;
    /** The last publish seq this client got (checked to rise by one, or at least to rise). */
    this.lastSeq = -1;
    this.closing = false;
    this.closed = false;
    this.failure = null;
    this.onClosed = null;
  }

  /** Runs `send()` and waits for `settle`; `timeoutMs` 0 waits for ever. */
  wait(timeoutMs, send) {
    if (this.closed || this.closing) return Promise.reject(new SoakError('reset', `${this.what} already closed`));
    if (this.waiter !== null) return Promise.reject(new Error('soak clients: two operations in flight on one client (a bug here)'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      if (timeoutMs > 0) {
        this.deadline = now() + timeoutMs;
        this.timeoutMs = timeoutMs;
        timed.add(this);
      }
      send();
    });
  }

  settle(value, error) {
    const waiter = this.waiter;
    if (waiter === null) return;
    this.waiter = null;
    timed.delete(this);
    if (error === null) waiter.resolve(value);
    else waiter.reject(error);
  }

  /** The deadline of the operation in flight passed: it fails and the client goes. */
  expire() {
    this.settle(null, new SoakError('timeout', `${this.what}: no answer within ${this.timeoutMs} ms`));
    this.close(false);
  }

  socketClosed() {
    this.closed = true;
    if (this.waiter !== null) {
      const why = this.failure?.code ?? this.failure?.message ?? (this.closing ? 'by the client' : 'by the server');
      this.settle(null, new SoakError('reset', `${this.what} closed before the answer (${why})`));
    }
    this.onClosed?.();
  }

  /** `graceful`: FIN or the close handshake, then the server closes; otherwise dropped. Resolves false if it took over OPERATION_TIMEOUT_MS. */
  close(graceful) {
    if (this.closed) return Promise.resolve(true);
    this.closing = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.shut(false);
        resolve(false);
      }, OPERATION_TIMEOUT_MS);
      this.onClosed = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.shut(graceful);
    });
  }
}

// --- raw HTTP/1.1 client connection -------------------------------------------------------------

const kClient = Symbol('soak.client');

/** One keep-alive connection, one request at a time (no pipelining). */
class HttpConnection extends Client {
  constructor(socket) {
    super();
    this.what = 'HTTP connection';
    this.socket = socket;
    this.text = '';
    /** Answers nobody asked for (a second answer to one request). */
    this.unexpected = 0;
    this.unexpectedSample = null;
  }

  static open() {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: HOST, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SoakError('connect', `no connection within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      const failed = (error) => {
        clearTimeout(timer);
        reject(new SoakError('connect', error.code ?? error.message));
      };
      socket.once('error', failed);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        const connection = new HttpConnection(socket);
        socket[kClient] = connection;
        socket.setEncoding('latin1');
        socket.on('data', onSocketData);
        socket.on('error', onClientError);
        socket.on('close', onClientClose);
        resolve(connection);
      });
    });
  }

  /** Writes `bytes`; resolves with the answer { status, body, at }. `written` runs once the kernel has the bytes. */
  request(bytes, timeoutMs, written) {
    return this.wait(timeoutMs, () => this.socket.write(bytes, written));
  }

  shut(graceful) {
    if (graceful) this.socket.end();
    else this.socket.destroy();
  }

  read(text) {
    this.text = this.text === '' ? text : this.text + text;
    for (;;) {
      let response;
      try {
        response = parseResponse(this.text);
      } catch (error) {
        this.settle(null, new SoakError('status', `answer with ${error.message}`));
        this.close(false);
        return;
      }
      if (response === null) return;
      const { status, body, end } = response;
      this.text = this.text.slice(end);
      if (this.waiter !== null) this.settle({ status, body, at: now() }, null);
      else {
        this.unexpected++;
        this.unexpectedSample ??= `${status} ${JSON.stringify(body.slice(0, 80))}`;
      }
    }
  }
}

// --- WebSocket client (the `ws` package) --------------------------------------------------------

/** One WebSocket; publish messages go to `sink.publishArrived(client, seq)`, echoes to the waiter. */
class WsClient extends Client {
  constructor(ws, sink) {
    super();
    this.what = 'WebSocket';
    this.ws = ws;
    this.sink = sink;
    this.expected = '';
  }

  static open(sink) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
      const failed = (error) => reject(new SoakError('connect', `WebSocket: ${error.code ?? error.message}`));
      ws.once('error', failed);
      ws.once('open', () => {
        ws.off('error', failed);
        const client = new WsClient(ws, sink);
        ws[kClient] = client;
        ws.on('message', onWsMessage);
        ws.on('error', onClientError);
        ws.on('close', onClientClose);
        resolve(client);
      });
    });
  }

  /** Sends `text` and resolves once the same text comes back. */
  echo(text) {
    return this.wait(OPERATION_TIMEOUT_MS, () => {
      this.expected = text;
      this.ws.send(text);
    });
  }

  shut(graceful) {
    if (graceful) this.ws.close(1000);
    else this.ws.terminate();
  }

  message(text) {
    if (this.closing) return;
    const seq = seqOf(text);
    if (seq !== -1) this.sink.publishArrived(this, seq);
    else if (this.waiter !== null && text === this.expected) this.settle(null, null);
    else this.sink.wrongMessage(this, text);
  }
}

// One set of listeners for every socket and WebSocket: each finds its client through the symbol.
function onSocketData(text) {
  this[kClient].read(text);
}
function onWsMessage(data) {
  this[kClient].message(data.toString());
}
function onClientError(error) {
  this[kClient].failure ??= error;
}
function onClientClose() {
  this[kClient].socketClosed();
}

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
 * POST /publish `body` on a connection of its own (so its accept, and with workers its hand-over,
 * are inside the broadcast's time, as before); resolves { status, body }, status 0 on a failure.
 */
function publish(body) {
  return new Promise((resolve) => {
    const request = httpRequest({
      host: HOST,
      port,
      method: 'POST',
      path: '/publish',
      agent: false,
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
  };
}

// --- the mixed load -----------------------------------------------------------------------------

/** Latencies in ms, kept in the load tool's histogram (µs, 1/1024 precision); summaries in ms. */
class Histogram {
  constructor() {
    this.us = new LoadHistogram();
  }

  get count() {
    return this.us.count;
  }

  record(ms) {
    this.us.record(ms * 1000);
  }

  summary() {
    if (this.us.count === 0) return { count: 0 };
    const { count, p50, p90, p99, max } = this.us.summary();
    return { count, p50: p50 / 1000, p90: p90 / 1000, p99: p99 / 1000, max: max / 1000 };
  }
}

/** What the mixed load counts; also the sink of its WebSockets. */
class MixedLoad {
  constructor(seconds, users) {
    this.seconds = seconds;
    this.users = users;
    this.sessions = { get: 0, poll: 0, ws: 0 };
    this.served = { get: 0, poll: 0, echo: 0, publish: 0, wsPublish: 0 };
    this.abandonedPolls = 0;
    this.droppedWebSockets = 0;
    this.errors = {};
    this.errorSample = [];
    this.latency = { connect: new Histogram(), get: new Histogram(), echo: new Histogram(), delivery: new Histogram() };
    this.publishedAt = new Map();
    this.activeUsers = 0;
  }

  error(error) {
    const kind = error instanceof SoakError ? error.kind : 'other';
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    if (this.errorSample.length < 10) this.errorSample.push(error.message);
  }

  publishArrived(client, seq) {
    if (client.lastSeq !== -1 && seq !== client.lastSeq + 1) {
      if (seq <= client.lastSeq) this.error(new SoakError('duplicate', `WebSocket got publish ${seq} after ${client.lastSeq}`));
      else
        for (let s = client.lastSeq + 1; s < seq; s++)
          this.error(new SoakError('missed', `WebSocket got publish ${seq} after ${client.lastSeq}`));
    }
    if (seq > client.lastSeq) client.lastSeq = seq;
    this.served.wsPublish++;
    this.delivered(seq);
  }

  wrongMessage(_client, text) {
    this.error(new SoakError('status', `WebSocket got ${JSON.stringify(text.slice(0, 80))}`));
  }

  delivered(seq) {
    const at = this.publishedAt.get(seq);
    if (at !== undefined) this.latency.delivery.record(now() - at);
  }

  async run() {
    const started = now();
    const deadline = started + this.seconds * 1000;
    this.activeUsers = this.users;
    const publisher = this.publish(deadline);
    await Promise.all(Array.from({ length: this.users }, () => this.user(deadline)));
    await publisher;
    return {
      seconds: (now() - started) / 1000,
      users: this.users,
      sessions: this.sessions,
      served: this.served,
      requests: this.served.get + this.served.poll + this.served.echo + this.served.publish,
      abandonedPolls: this.abandonedPolls,
      droppedWebSockets: this.droppedWebSockets,
      errors: this.errors,
      errorCount: Object.values(this.errors).reduce((a, b) => a + b, 0),
      errorSample: this.errorSample,
      latency: Object.fromEntries(Object.entries(this.latency).map(([name, histogram]) => [name, histogram.summary()])),
    };
  }

  /** Publishes every 100-250 ms until the deadline has passed and the last user is done. */
  async publish(deadline) {
    let connection = null;
    let seq = 0;
    while (now() < deadline || this.activeUsers > 0) {
      await sleep(randomInt(...PUBLISH_EVERY_MS));
      try {
        connection ??= await HttpConnection.open();
        seq++;
        this.publishedAt.set(seq, now());
        const answer = await connection.request(publishRequest(seqMessage(seq)), OPERATION_TIMEOUT_MS);
        if (answer.status !== 200)
          throw new SoakError('status', `POST /publish: ${answer.status} ${JSON.stringify(answer.body.slice(0, 80))}`);
        this.served.publish++;
      } catch (error) {
        this.error(error);
        connection?.close(false);
        connection = null;
      }
    }
    await connection?.close(true);
  }

  async user(deadline) {
    while (now() < deadline) {
      const pick = Math.random();
      try {
        if (pick < 0.5) await this.getSession(deadline);
        else if (pick < 0.75) await this.pollSession(deadline);
        else await this.wsSession(deadline);
      } catch (error) {
        this.error(error);
      }
    }
    this.activeUsers--;
  }

  async openHttp() {
    const started = now();
    const connection = await HttpConnection.open();
    this.latency.connect.record(now() - started);
    return connection;
  }

  /** Closes gracefully (FIN, then the server's); a server that does not close is an error. */
  async closeHttp(connection) {
    if (!(await connection.close(true)))
      throw new SoakError('timeout', `the server did not close within ${OPERATION_TIMEOUT_MS} ms of the client's FIN`);
  }

  /** One HTTP connection: `step` up to `times` times (false: it closed the connection itself), then a graceful close. */
  async httpSession(deadline, times, step) {
    const connection = await this.openHttp();
    try {
      for (let n = times; n > 0 && now() < deadline; n--) if (!(await step.call(this, connection))) return;
      await this.closeHttp(connection);
    } finally {
      if (!connection.closed) connection.close(false);
    }
  }

  getSession(deadline) {
    this.sessions.get++;
    return this.httpSession(deadline, randomInt(1, 20), this.getOnce);
  }

  async getOnce(connection) {
    const sent = now();
    const answer = await connection.request(HELLO, OPERATION_TIMEOUT_MS);
    if (answer.status !== 200 || answer.body !== 'hello')
      throw new SoakError('status', `GET /hello: ${answer.status} ${JSON.stringify(answer.body.slice(0, 80))}`);
    this.latency.get.record(answer.at - sent);
    this.served.get++;
    return true;
  }

  pollSession(deadline) {
    this.sessions.poll++;
    return this.httpSession(deadline, randomInt(1, 3), this.pollOnce);
  }

  async pollOnce(connection) {
    if (Math.random() < 0.1) {
      // A client that gives up while parked: the server must let the channel go.
      connection.request(POLL, 0).catch(() => {});
      await sleep(randomInt(0, 100));
      await connection.close(false);
      this.abandonedPolls++;
      return false;
    }
    const answer = await connection.request(POLL, POLL_TIMEOUT_MS);
    const seq = seqOf(answer.body);
    if (answer.status !== 200 || seq === -1)
      throw new SoakError('status', `GET /poll: ${answer.status} ${JSON.stringify(answer.body.slice(0, 80))}`);
    if (seq <= connection.lastSeq)
      throw new SoakError('duplicate', `a long poll got publish ${seq} after ${connection.lastSeq} on the same connection`);
    connection.lastSeq = seq;
    this.delivered(seq);
    this.served.poll++;
    return true;
  }

  async wsSession(deadline) {
    this.sessions.ws++;
    const started = now();
    const client = await WsClient.open(this);
    this.latency.connect.record(now() - started);
    try {
      for (let n = randomInt(1, 20); n > 0 && now() < deadline; n--) {
        // A pause between messages, so a session lives long enough to get some publishes.
        await sleep(randomInt(0, 50));
        const sent = now();
        await client.echo(`echo ${n} ${sent}`);
        this.latency.echo.record(now() - sent);
        this.served.echo++;
      }
      const graceful = Math.random() >= 0.1;
      if (!graceful) this.droppedWebSockets++;
      if (!(await client.close(graceful)))
        throw new SoakError('timeout', `the WebSocket close handshake took over ${OPERATION_TIMEOUT_MS} ms`);
      if (graceful && client.failure !== null) throw new SoakError('reset', `WebSocket: ${client.failure.code ?? client.failure.message}`);
    } finally {
      if (!client.closed) client.close(false);
    }
  }
}

// --- IPC ----------------------------------------------------------------------------------------

process.on('message', async (message) => {
  switch (message?.type) {
    case 'target':
      port = message.port;
      wsUrl = `ws://${HOST}:${port}/ws`;
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
      process.send({ type: 'mixed', ...(await new MixedLoad(message.seconds, message.users).run()) });
      return;
    case 'exit':
    case 'stop':
      process.exit(0);
  }
});
process.send({ type: 'ready' });
