// Long-poll clients for workers-bench, in their own process: N raw node:net keep-alive sockets on
// 127.0.0.1, each sending one `GET /poll` and reading one response; then one `POST /publish` on
// another connection fires the event that answers them all.
//
//   node bench/lib/workers-longpoll-clients.mjs <port> [--max-seconds N]
//
// Messages: parent -> child {type:'open', count}, {type:'publish'}, {type:'close'}, {type:'exit'};
//           child -> parent {type:'opened', open, failed, errors}, {type:'closed'},
//           {type:'responses', ok, extra, bad, closedEarly, badSample, publishStatus, toFirstMs, toLastMs, cpuMs}.
// 'publish' first gets one hello-world answer on the publishing connection (so the connection has
// reached its worker), then takes the time and writes the POST; toLastMs is from that write to
// the last poll's whole response, all timed in this process. `ok` counts polls answered exactly
// once with the event; `extra` those that got bytes after it (a second response). The child
// exits on 'exit', when the parent goes away, or after --max-seconds (default 120).
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

const port = Number(process.argv[2]);
const maxSecondsAt = process.argv.indexOf('--max-seconds');
const maxSeconds = maxSecondsAt === -1 ? 120 : Number(process.argv[maxSecondsAt + 1]);
/** Connects in flight at once: quick, and well inside the listen backlog. */
const CONCURRENCY = 200;
const CONNECT_TIMEOUT_MS = 10_000;
/** How long to wait for every poll's answer after the publish. */
const ANSWER_TIMEOUT_MS = 15_000;
/** How long to keep listening after the last answer, to catch a second one. */
const SETTLE_MS = 300;
const EVENT_BODY = '{"event":"news","seq":1}';
const POLL = Buffer.from('GET /poll HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: workers-bench\r\n\r\n', 'latin1');
const HELLO = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: workers-bench\r\n\r\n', 'latin1');
const PUBLISH = Buffer.from('POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: workers-bench\r\nContent-Length: 0\r\n\r\n', 'latin1');

if (typeof process.send !== 'function' || !(port > 0)) {
  console.error('workers-longpoll-clients: usage: node bench/lib/workers-longpoll-clients.mjs <port> (with an IPC channel)');
  process.exit(2);
}
setTimeout(() => {
  console.error(`workers-longpoll-clients: still running after ${maxSeconds} s, exiting`);
  process.exit(3);
}, maxSeconds * 1000).unref();
process.on('disconnect', () => process.exit(0));

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const kState = Symbol('poll.state');
let sockets = [];
const round = { ok: 0, extra: 0, bad: 0, closedEarly: 0, firstAt: 0, lastAt: 0, badSample: null, onAnswer: null };

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

// One set of listeners for every poll socket: the per-socket state hangs off the socket.
function onData(text) {
  const state = this[kState];
  if (state.done) {
    if (!state.extra) {
      state.extra = true;
      round.extra++;
    }
    return;
  }
  state.text += text;
  let response;
  try {
    response = parseResponse(state.text);
  } catch (error) {
    return gotBad(state, error.message);
  }
  if (response === null) return;
  state.done = true;
  const at = now();
  if (round.firstAt === 0) round.firstAt = at;
  round.lastAt = Math.max(round.lastAt, at);
  if (response.status !== 200 || response.body !== EVENT_BODY) return gotBad(state, state.text.slice(0, 200));
  if (state.text.length > response.end) {
    state.extra = true;
    round.extra++;
  }
  round.ok++;
  round.onAnswer?.();
}
function gotBad(state, sample) {
  state.done = true;
  round.bad++;
  round.badSample ??= sample;
  round.onAnswer?.();
}
function onClose() {
  const state = this[kState];
  if (!state.done) {
    state.done = true;
    round.closedEarly++;
    round.onAnswer?.();
  }
}
function onError() {}

/** Opens `count` sockets, CONCURRENCY at a time; each sends its poll once connected. */
async function openAll(count) {
  let failed = 0;
  const errors = {};
  let next = 0;
  const openOne = () =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      socket.setEncoding('latin1');
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
      const failedToConnect = (error) => {
        clearTimeout(timer);
        failed++;
        const key = error.code ?? error.message;
        errors[key] = (errors[key] ?? 0) + 1;
        resolve();
      };
      socket.once('error', failedToConnect);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failedToConnect);
        socket.on('error', onError);
        socket[kState] = { text: '', done: false, extra: false };
        socket.on('data', onData);
        socket.on('close', onClose);
        socket.write(POLL);
        sockets.push(socket);
        resolve();
      });
    });
  const opener = async () => {
    while (next < count) {
      next++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, opener));
  return { open: sockets.length, failed, errors };
}

/** One connection: a hello-world GET answered, then the POST; resolves to { publishAt, status } once the POST is answered. */
function publish() {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.setEncoding('latin1');
    let text = '';
    let publishAt = 0;
    const timer = setTimeout(() => finish(new Error('the publishing connection got no answer within 10 s')), 10_000);
    const finish = (error, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    socket.once('connect', () => socket.write(HELLO));
    socket.on('data', (chunk) => {
      text += chunk;
      let response;
      try {
        response = parseResponse(text);
      } catch (error) {
        return finish(error);
      }
      if (response === null) return;
      text = text.slice(response.end);
      if (publishAt === 0) {
        publishAt = now();
        socket.write(PUBLISH);
      } else {
        finish(null, { publishAt, status: response.status });
      }
    });
    socket.on('error', finish);
    socket.on('close', () => finish(new Error('the publishing connection closed before its answer')));
  });
}

/** Publishes, then waits for every poll socket to be done (or ANSWER_TIMEOUT_MS), plus SETTLE_MS. */
async function publishAndCollect() {
  const finished = () => round.ok + round.bad + round.closedEarly >= sockets.length;
  const allAnswered = new Promise((resolve) => {
    const timer = setTimeout(resolve, ANSWER_TIMEOUT_MS);
    round.onAnswer = () => {
      if (finished()) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  let published;
  const cpuBefore = process.cpuUsage();
  try {
    published = await publish();
  } catch (error) {
    round.onAnswer = null;
    return { publishError: error.message };
  }
  if (!finished()) await allAnswered;
  const cpu = process.cpuUsage(cpuBefore);
  round.onAnswer = null;
  await sleep(SETTLE_MS);
  const { ok, extra, bad, closedEarly, firstAt, lastAt, badSample } = round;
  return {
    ok, extra, bad, closedEarly, badSample,
    publishStatus: published.status,
    toFirstMs: firstAt === 0 ? NaN : firstAt - published.publishAt,
    toLastMs: lastAt === 0 ? NaN : lastAt - published.publishAt,
    // This process's CPU from before the publish to the last answer: near toLastMs, the clients were the bound.
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

process.on('message', async (message) => {
  switch (message?.type) {
    case 'open':
      Object.assign(round, { ok: 0, extra: 0, bad: 0, closedEarly: 0, firstAt: 0, lastAt: 0, badSample: null });
      process.send({ type: 'opened', ...(await openAll(message.count)) });
      return;
    case 'publish':
      process.send({ type: 'responses', ...(await publishAndCollect()) });
      return;
    case 'close':
      for (const socket of sockets) socket.destroy();
      sockets = [];
      process.send({ type: 'closed' });
      return;
    case 'exit':
      for (const socket of sockets) socket.destroy();
      process.exit(0);
  }
});
