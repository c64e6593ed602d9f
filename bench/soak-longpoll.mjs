#!/usr/bin/env node
// Long-poll soak: parks N clients on one server, fires one event that answers all of them, and
// reports the time from the event to the last response, the server's memory per parked client,
// and whether every client got exactly one response.
//
//   node bench/soak-longpoll.mjs [--clients N] [--smoke] [--max-seconds S] [--strict] [--json]
//
//   --clients N      parked clients (default 10000; needs `ulimit -n` above N in both processes)
//   --smoke          1000 clients
//   --max-seconds S  hard limit for the whole run (default 60); past it the run fails
//   --strict         exit 2 when a target is missed (otherwise targets are only reported)
//
// The server (runServer from the built @http-kit/http1; run `node scripts/build.mjs --no-types`
// first) runs in this process; gc() comes from v8.setFlagsFromString, so no --expose-gc is
// needed. The clients run in a child process (this file with --role client): raw node:net
// keep-alive sockets on 127.0.0.1, each sending `GET /poll` and reading one response
// (bench/lib/longpoll-client.mjs). Timings compare wall-clock times (performance.timeOrigin +
// performance.now()) across the two processes.
//
// Targets: under 6 KB of server RSS per parked client; the event reaches every client in under 1 s.
// Exit codes: 0 run correct, 1 run failed (a client missed its response, got two, or time ran
// out), 2 a target missed under --strict.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LongPollClients, serveOverIpc } from './lib/longpoll-client.mjs';
import { openFileLimits } from './lib/proc.mjs';

const TARGET_KB_PER_CLIENT = 6;
const TARGET_BROADCAST_MS = 1_000;
const WARM_UP_CLIENTS = 200;
/** Connects in flight at once: quick, and well inside the listen backlog. */
const CONNECT_CONCURRENCY = 500;
const EVENT_BODY = '{"event":"news","seq":1}';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : argv[at + 1];
};
const epochNow = () => performance.timeOrigin + performance.now();

if (option('--role', 'server') === 'client') await clientMain();
else await serverMain();

// --- the server and the run ------------------------------------------------------------------

async function serverMain() {
  const smoke = argv.includes('--smoke');
  const clients = Number(option('--clients', smoke ? 1000 : 10_000));
  const maxSeconds = Number(option('--max-seconds', 60));
  const strict = argv.includes('--strict');
  const json = argv.includes('--json');
  if (!(clients > 0) || !(maxSeconds > 0)) fail(`bad arguments: --clients ${clients} --max-seconds ${maxSeconds}`);
  checkFileLimit(clients + WARM_UP_CLIENTS + 100);

  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const fullGc = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(20);
    }
    return process.memoryUsage();
  };

  const http1 = await import('@http-kit/http1');
  if (typeof http1.runServer !== 'function' || typeof http1.asChannel !== 'function') {
    fail('@http-kit/http1 has no runServer/asChannel: build it first with `node scripts/build.mjs --no-types`');
  }
  const { runServer, asChannel } = http1;

  let stage = 'starting';
  let child = null;
  let server = null;
  const hardStop = setTimeout(() => {
    console.error(`soak-longpoll: FAILED: the run did not finish within ${maxSeconds} s (stage: ${stage})`);
    child?.kill('SIGKILL');
    process.exit(1);
  }, maxSeconds * 1000);

  // Long polls park here; one event answers them all. One handlers object for every request.
  const waiting = new Set();
  const pollHandlers = {
    timeout: 0,
    onOpen: (channel) => waiting.add(channel),
    onClose: (channel) => waiting.delete(channel),
  };
  const errors = [];
  server = await runServer((req) => (req.uri === '/poll' ? asChannel(req, pollHandlers) : { status: 404, body: 'not found' }), {
    port: 0,
    ip: '127.0.0.1',
    backlog: 4096,
    keepAliveTimeout: 30_000,
    errorLogger: (message, error) => errors.push(`${message}: ${error?.message ?? error}`),
    warnLogger: (message) => errors.push(message),
  });
  /** The one call that answers every parked client; returns how many it answered. */
  const broadcast = (response) => {
    let answered = 0;
    for (const channel of waiting) {
      channel.send(response);
      answered++;
    }
    return answered;
  };

  const failures = [];
  try {
    stage = 'starting the client process';
    child = fork(
      fileURLToPath(import.meta.url),
      ['--role', 'client', '--port', String(server.port), '--max-seconds', String(maxSeconds + 5)],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    const messages = messageQueue(child);

    // Warm-up round: JIT, parser pool, buffers; then the baseline.
    stage = 'warm-up';
    await runRound(messages, WARM_UP_CLIENTS, 'warm-up');
    child.send({ type: 'close' });
    await messages.next('closed', 10_000);
    await waitUntil(() => server.connectionCount === 0, 10_000, 'the warm-up connections to close');
    const before = await fullGc();

    // The soak: park them all, measure, fire.
    stage = `parking ${clients} clients`;
    const parkStarted = epochNow();
    child.send({ type: 'open', count: clients });
    const opened = await messages.next('opened', maxSeconds * 1000);
    if (opened.failed > 0) failures.push(`${opened.failed} of ${clients} connections failed: ${JSON.stringify(opened.errors)}`);
    await waitUntil(() => server.pendingCount >= opened.open, 20_000, `${opened.open} parked channels (have ${server.pendingCount})`);
    const parkMs = epochNow() - parkStarted;
    const parked = server.pendingCount;
    stage = 'measuring memory';
    const after = await fullGc();

    stage = 'broadcasting';
    const response = { status: 200, headers: { 'content-type': 'application/json' }, body: EVENT_BODY };
    const firedAt = epochNow();
    const answered = broadcast(response);
    const loopMs = epochNow() - firedAt;
    child.send({ type: 'report' });
    const report = await messages.next('responses', 20_000);
    const toLastMs = report.lastAt - firedAt;
    const toFirstMs = report.firstAt - firedAt;
    stage = 'closing';
    child.send({ type: 'close' });
    await messages.next('closed', 10_000);

    // Verdict.
    if (parked !== clients) failures.push(`only ${parked} of ${clients} clients were parked`);
    if (answered !== parked) failures.push(`the event answered ${answered} of ${parked} parked channels`);
    if (server.pendingCount !== 0) failures.push(`${server.pendingCount} channels still registered after the event`);
    if (report.ok !== clients) failures.push(`${report.ok} of ${clients} clients got exactly one good response`);
    if (report.extra > 0) failures.push(`${report.extra} clients got bytes after their response (a second response?)`);
    if (report.bad > 0) failures.push(`${report.bad} clients got a wrong response, e.g. ${JSON.stringify(report.badSample)}`);
    if (report.closedEarly > 0) failures.push(`${report.closedEarly} connections closed before their response`);
    if (errors.length > 0) failures.push(`server logged ${errors.length} errors/warnings, first: ${errors[0]}`);

    const kb = (field) => (after[field] - before[field]) / clients / 1024;
    const rssKb = kb('rss');
    const heapKb = kb('heapUsed');
    const externalKb = (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / clients / 1024;
    const memoryMet = rssKb < TARGET_KB_PER_CLIENT;
    const timeMet = toLastMs < TARGET_BROADCAST_MS;
    const mb = (bytes) => (bytes / 1048576).toFixed(1);

    console.log(
      `soak-longpoll: ${clients} long-poll clients on 127.0.0.1:${server.port}, node ${process.version}, clients in child process ${child.pid}`,
    );
    console.log(`  parked:    ${parked}/${clients} in ${parkMs.toFixed(0)} ms`);
    console.log(
      `  memory:    ${rssKb.toFixed(2)} KB RSS per parked client (target < ${TARGET_KB_PER_CLIENT} KB: ${memoryMet ? 'met' : 'MISSED'}); ` +
        `${heapKb.toFixed(2)} KB heap, ${externalKb.toFixed(2)} KB external per client`,
    );
    console.log(
      `             (server after full GC: RSS ${mb(before.rss)} -> ${mb(after.rss)} MB, heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB)`,
    );
    console.log(
      `  broadcast: event -> last response ${toLastMs.toFixed(1)} ms (target < ${TARGET_BROADCAST_MS} ms: ${timeMet ? 'met' : 'MISSED'}); ` +
        `event -> first response ${toFirstMs.toFixed(1)} ms; the send loop took ${loopMs.toFixed(1)} ms`,
    );
    console.log(`  ${report.ok}/${clients} clients got exactly one response`);
    if (json) {
      console.log(
        JSON.stringify({
          bench: 'soak-longpoll',
          clients,
          parked,
          parkMs,
          rssKb,
          heapKb,
          externalKb,
          toLastMs,
          toFirstMs,
          loopMs,
          exactlyOne: report.ok,
          failures,
        }),
      );
    }
    if (failures.length > 0) {
      for (const failure of failures) console.error(`soak-longpoll: FAILED: ${failure}`);
      process.exitCode = 1;
    } else if (strict && !(memoryMet && timeMet)) {
      console.error('soak-longpoll: a target was missed (--strict)');
      process.exitCode = 2;
    }
  } catch (error) {
    console.error(`soak-longpoll: FAILED during ${stage}: ${error.message}`);
    process.exitCode = 1;
  } finally {
    if (child !== null && child.exitCode === null) {
      if (child.connected) child.send({ type: 'exit' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      clearTimeout(killer);
    }
    await server.stop({ timeout: 1_000 });
    clearTimeout(hardStop);
  }

  /** One round of `count` clients: park them, answer them, check the answers. */
  async function runRound(messages, count, label) {
    child.send({ type: 'open', count });
    const opened = await messages.next('opened', 20_000);
    if (opened.open !== count) throw new Error(`${label}: ${opened.open} of ${count} connections opened ${JSON.stringify(opened.errors)}`);
    await waitUntil(() => server.pendingCount === count, 10_000, `${label}: ${count} parked`);
    broadcast({ status: 200, headers: { 'content-type': 'application/json' }, body: EVENT_BODY });
    child.send({ type: 'report' });
    const report = await messages.next('responses', 10_000);
    if (report.ok !== count) throw new Error(`${label}: ${report.ok} of ${count} clients got exactly one response`);
  }
}

/** Fails when the open-file limit cannot hold `needed` sockets (Linux: /proc/self/limits). */
function checkFileLimit(needed) {
  const { soft } = openFileLimits();
  if (soft < needed) fail(`ulimit -n is ${soft}, ${needed} needed for this many clients (raise it or pass a smaller --clients)`);
}

/** Messages from `child` by type, with deadlines. */
function messageQueue(child) {
  const queued = [];
  const waiters = [];
  const onMessage = (message) => {
    const at = waiters.findIndex((w) => w.type === message?.type);
    if (at === -1) queued.push(message);
    else waiters.splice(at, 1)[0].resolve(message);
  };
  const onExit = (code, signal) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`the client process exited (${signal ?? code}) while we waited for '${w.type}'`));
  };
  child.on('message', onMessage);
  child.on('exit', onExit);
  return {
    next(type, ms) {
      const at = queued.findIndex((m) => m.type === type);
      if (at !== -1) return Promise.resolve(queued.splice(at, 1)[0]);
      if (child.exitCode !== null) return Promise.reject(new Error(`the client process has exited; no '${type}'`));
      return new Promise((resolve, reject) => {
        const waiter = { type, resolve: null, reject: null };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no '${type}' from the client process within ${ms} ms`));
        }, ms);
        waiter.resolve = (m) => (clearTimeout(timer), resolve(m));
        waiter.reject = (e) => (clearTimeout(timer), reject(e));
        waiters.push(waiter);
      });
    },
  };
}

async function waitUntil(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fail(message) {
  console.error(`soak-longpoll: FAILED: ${message}`);
  process.exit(1);
}

// --- the clients (child process) -------------------------------------------------------------

async function clientMain() {
  const port = Number(option('--port', 0));
  const maxSeconds = Number(option('--max-seconds', 65));
  if (typeof process.send !== 'function' || !(port > 0)) {
    console.error('soak-longpoll client: started by bench/soak-longpoll.mjs only (needs --port and an IPC channel)');
    process.exit(2);
  }
  const polls = new LongPollClients({
    port,
    userAgent: 'soak-longpoll',
    eventBody: EVENT_BODY,
    concurrency: CONNECT_CONCURRENCY,
    now: epochNow,
  });
  serveOverIpc(polls, {
    name: 'soak-longpoll client',
    maxSeconds,
    answers: {
      // Every socket of the round done (or 15 s), then SETTLE_MS more to catch a second answer.
      report: async () => {
        await polls.allAnswered(15_000);
        return polls.settled();
      },
    },
  });
}
