// The raw long-poll client of the soaks: N node:net keep-alive sockets on 127.0.0.1, each sending
// one `GET /poll` once connected and reading one response, which must be 200 with the event body;
// then counting who got it exactly once, who got bytes after it (a second response), a wrong
// answer, or a close before any answer. Used by bench/lib/workers-longpoll-clients.mjs (and its
// response parser by bench/soak/clients.mjs); whoever fires the event does so on its own.
//
//   const polls = new LongPollClients({ port, userAgent: 'soak', eventBody, concurrency: 500, now });
//   await polls.open(1000);              // { open, failed, errors }
//   const answered = polls.allAnswered(15_000);
//   ...fire the event...
//   await answered;
//   const round = await polls.settled(); // { ok, extra, bad, closedEarly, firstAt, lastAt, badSample }
//   polls.close();
import { connect } from 'node:net';

const CONNECT_TIMEOUT_MS = 10_000;
/** How long to keep listening after the last answer, to catch a second one. */
export const SETTLE_MS = 300;

/** A whole response at the start of `text`: { status, body, end } or null while incomplete; throws on a head without content-length. */
export function parseResponse(text) {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return null;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd + 2));
  if (length === null) throw new Error(`no content-length: ${JSON.stringify(text.slice(0, 120))}`);
  const end = headEnd + 4 + Number(length[1]);
  if (text.length < end) return null;
  return { status: Number(text.slice(9, 12)), body: text.slice(headEnd + 4, end), end };
}

const kState = Symbol('poll.state');

/** The long polls of one round at a time, and what their answers were. */
export class LongPollClients {
  /**
   * `eventBody`: the body every poll must be answered with; `concurrency`: connects in flight at
   * once; `now`: the clock the first and last answer are stamped with (ms).
   */
  constructor({ port, userAgent, eventBody, concurrency, now }) {
    this.port = port;
    this.request = Buffer.from(`GET /poll HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${userAgent}\r\n\r\n`, 'latin1');
    this.eventBody = eventBody;
    this.concurrency = concurrency;
    this.now = now;
    this.sockets = [];
    this.onAnswer = null;
    this.reset();
  }

  reset() {
    Object.assign(this, { ok: 0, extra: 0, bad: 0, closedEarly: 0, firstAt: 0, lastAt: 0, badSample: null });
  }

  /** Starts a round: opens `count` sockets, `concurrency` at a time; each sends its poll once connected. */
  async open(count) {
    this.reset();
    let failed = 0;
    const errors = {};
    let next = 0;
    const openOne = () =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: this.port, noDelay: true });
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
          socket[kState] = { owner: this, text: '', done: false, extra: false };
          socket.on('data', onData);
          socket.on('close', onClose);
          socket.write(this.request);
          this.sockets.push(socket);
          resolve();
        });
      });
    const opener = async () => {
      while (next < count) {
        next++;
        await openOne();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, count) }, opener));
    return { open: this.sockets.length, failed, errors };
  }

  /** Whether every socket of the round is done: answered, answered wrongly, or closed. */
  finished() {
    return this.ok + this.bad + this.closedEarly >= this.sockets.length;
  }

  /** Resolves once every socket of the round is done, or `ms` pass; watches from this call on. */
  allAnswered(ms) {
    if (this.finished()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      this.onAnswer = () => {
        if (self.finished()) done();
      };
      function done() {
        clearTimeout(timer);
        self.onAnswer = null;
        resolve();
      }
    });
  }

  /** After SETTLE_MS more of listening for second answers: what the round's sockets got. */
  async settled() {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const { ok, extra, bad, closedEarly, firstAt, lastAt, badSample } = this;
    return { ok, extra, bad, closedEarly, firstAt, lastAt, badSample };
  }

  /** Destroys every socket of the round. */
  close() {
    for (const socket of this.sockets) socket.destroy();
    this.sockets = [];
  }

  gotExtra(state) {
    if (!state.extra) {
      state.extra = true;
      this.extra++;
    }
  }

  gotBad(state, sample) {
    state.done = true;
    this.bad++;
    this.badSample ??= sample;
    this.onAnswer?.();
  }
}

// One set of listeners for every poll socket: the per-socket state hangs off the socket.
function onData(text) {
  const state = this[kState];
  const polls = state.owner;
  if (state.done) return polls.gotExtra(state);
  state.text += text;
  let response;
  try {
    response = parseResponse(state.text);
  } catch (error) {
    return polls.gotBad(state, error.message);
  }
  if (response === null) return;
  state.done = true;
  const at = polls.now();
  if (polls.firstAt === 0) polls.firstAt = at;
  polls.lastAt = Math.max(polls.lastAt, at);
  if (response.status !== 200 || response.body !== polls.eventBody) return polls.gotBad(state, state.text.slice(0, 200));
  if (state.text.length > response.end) polls.gotExtra(state);
  polls.ok++;
  polls.onAnswer?.();
}
function onClose() {
  const state = this[kState];
  if (!state.done) {
    state.done = true;
    state.owner.closedEarly++;
    state.owner.onAnswer?.();
  }
}
function onError() {}

/**
 * Serves `polls` to the parent process over IPC, from a client process: {type:'open', count} ->
 * {type:'opened', open, failed, errors}; {type:'close'} -> {type:'closed'}; {type:'exit'}; and
 * each `answers[type]()` (async) is sent back as {type:'responses', ...its result}. The process
 * exits when the parent goes away, or after `maxSeconds` with a line naming it `name`.
 */
export function serveOverIpc(polls, { name, maxSeconds, answers }) {
  setTimeout(() => {
    console.error(`${name}: still running after ${maxSeconds} s, exiting`);
    process.exit(3);
  }, maxSeconds * 1000).unref();
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (message) => {
    switch (message?.type) {
      case 'open':
        process.send({ type: 'opened', ...(await polls.open(message.count)) });
        return;
      case 'close':
        polls.close();
        process.send({ type: 'closed' });
        return;
      case 'exit':
        polls.close();
        process.exit(0);
        return;
      default:
        if (Object.hasOwn(answers, message?.type)) process.send({ type: 'responses', ...(await answers[message.type]()) });
    }
  });
}
