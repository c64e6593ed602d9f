#!/usr/bin/env node
// The soak suite: the server (bench/soak/server.mjs, its own child process) under four loads from
// another child process (bench/soak/clients.mjs), in sequence, on 127.0.0.1:
//   1. idle keep-alive   N connections, one GET /hello each, then idle;
//   2. parked long polls N GET /poll parked, answered by one POST /publish (the hub);
//   3. idle WebSockets   N open on /ws, then one POST /publish broadcast to all;
//   4. mixed load        S seconds of clients connecting and disconnecting: keep-alive GETs, long
//                        polls answered by a publish every 100-250 ms (some given up while parked),
//                        WebSocket echoes (some dropped without a close frame).
// Every client is the load library's (runLoad, @http-kit/load). Each connection a client closes
// (FIN; WebSocket: a close frame) the server must close within 5 s: runLoad's `closing` says how
// many it did and when the last did, and a late one fails the part.
// Each part gets a fresh server process (memory an earlier part freed stays in the process, the
// allocator keeps the pages, and would be reused, hiding the next part's RSS), warmed up by the
// same path with a few clients. Then the server's memory is taken after full GCs (the baseline);
// with the clients up, again: (loaded - baseline) / N is the cost of one connection. Parts 1-3
// then run the same load a second time: after it, with every client gone, the heap must be
// within 10 % of where it was after the first (the first round leaves what V8 compiles once at
// this scale; the ratio to the very start is printed too). The mixed load's heap is compared with
// its start (its warm-up is 10 s of the same load). The heap compared is the heap of objects:
// heapUsed less the code spaces (the ratio with code is printed beside it). With --workers N the
// server runs N cluster workers; memory is summed over every process (primary and workers), and
// the publish crosses workers through the hub.
//
//   node bench/soak/run.mjs [--smoke] [--only PARTS] [--workers N] [--clients N] [--mixed-seconds S]
//                           [--mixed-users N] [--max-seconds S] [--strict] [--json]
//
//   --only PARTS       the parts to run, comma-separated: idle, longpoll, websocket, mixed (default
//                      all); `--only longpoll` is the long-poll soak (10,000 parked polls, one
//                      publish: RSS per parked poll < 6 KB, publish -> last answer < 1 s)
//   --clients N        connections in parts 1-3 (default 10000; --smoke 1000)
//   --mixed-seconds S  length of part 4 (default 60; --smoke 5; 0 skips it)
//   --mixed-users N    concurrent users in part 4 (default clients/20, at least 50, at most 1000)
//   --max-seconds S    the whole run's deadline; past it every child is killed and the run fails
//   --strict           exit 2 when a target is missed (otherwise targets are only reported)
//   --json             one more line: the figures as JSON
//
// Build first: node scripts/build.mjs --no-types. Needs `ulimit -n` above the client count (+ a
// few hundred) in this shell: the clients process holds every client socket.
// Exit codes: 0 the run was correct (no errors, every publish delivered exactly once, nothing
// timed out), 1 it was not, 2 correct but a target missed under --strict.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nextMessage, startChild, stopChild, warnIfStaleBuild } from '../lib/children.mjs';
import { openFileLimits } from '../lib/proc.mjs';

/** The single-purpose benchmarks' targets (bench/README.md). */
const TARGET = {
  idleRssKb: 6, // memory-bench: RSS per idle keep-alive connection
  idleHeapKb: 1.5, // memory-bench: heap per idle keep-alive connection
  parkedRssKb: 6, // memory-bench and soak-longpoll: RSS per parked long poll, its connection included
  broadcastMs: 1_000, // soak-longpoll: one event to every parked client
  wsRssKb: 5, // ws-bench: RSS per idle WebSocket
  heapRatio: 1.1, // this suite: heap of objects after the clients left / before they came (parts 1-3: second round)
};
/** What those benchmarks last reported (bench/README.md, "Last figures"), shown beside ours. */
const REPORTED = {
  idleRssKb: '5.75-5.98 KB (memory-bench)',
  idleHeapKb: '1.52 KB (memory-bench)',
  parkedRssKb: '5.44-5.80 KB (memory-bench), 5.21 KB (soak-longpoll)',
  parkedHeapKb: '2.10-2.13 KB (memory-bench)',
  pollBroadcastMs: '217-294 ms (soak-longpoll)',
  wsRssKb: '7.09 KB (ws-bench)',
  wsHeapKb: '2.74 KB (ws-bench)',
  wsBroadcastMs: '101 ms (ws-bench)',
};

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) fail(`${name} wants a number, got ${JSON.stringify(argv[at + 1])}`);
  return value;
};
const smoke = argv.includes('--smoke');
/** --only's names for the parts (kinds below). */
const PART_NAMES = { idle: 'idle', longpoll: 'poll', websocket: 'ws', mixed: 'mixed' };
const onlyAt = argv.indexOf('--only');
const only = onlyAt === -1 ? null : (argv[onlyAt + 1] ?? '').split(',');
if (only !== null && (only.length === 0 || only.some((name) => !Object.hasOwn(PART_NAMES, name))))
  fail(`--only wants parts from ${Object.keys(PART_NAMES).join(', ')} (comma-separated), got ${JSON.stringify(argv[onlyAt + 1])}`);
const runs = (kind) => only === null || only.some((name) => PART_NAMES[name] === kind);
const strict = argv.includes('--strict');
const json = argv.includes('--json');
const workers = option('--workers', 0);
const clients = option('--clients', smoke ? 1_000 : 10_000);
const mixedSeconds = option('--mixed-seconds', smoke ? 5 : 60);
const mixedUsers = option('--mixed-users', Math.max(50, Math.min(1_000, Math.round(clients / 20))));
/** Each of parts 1-3 (server start and stop included) must be over within this. */
const PART_MS = smoke ? 15_000 : 120_000;
const MIXED_SLACK_MS = smoke ? 10_000 : 30_000;
/** For starting the clients process, and what the parts leave over. */
const RUN_SLACK_MS = smoke ? 20_000 : 60_000;
/** How long a broadcast may take to reach everyone before the missing count as missed. */
const BROADCAST_WAIT_MS = smoke ? 5_000 : 15_000;
/** Parts 1-3 warm up with one round of this many clients (as the former soak-longpoll.mjs did). */
const WARM_UP_CLIENTS = Math.min(200, clients);
/**
 * The mixed load first runs this long on its fresh server: the heap after the first seconds of
 * it is ~1.5 MB above the idle one (compiled code, feedback, pools) and stays there, within
 * +-0.3 MB, round after round; the baseline is taken on that plateau.
 */
const MIXED_WARM_UP_SECONDS = smoke ? 3 : 10;
/** The mixed part's bound: its warm-up and its length, each with MIXED_SLACK_MS, and MIXED_SLACK_MS for the rest. */
const MIXED_PART_MS = (MIXED_WARM_UP_SECONDS + mixedSeconds) * 1000 + 3 * MIXED_SLACK_MS;
const maxSeconds = option('--max-seconds', Math.ceil((RUN_SLACK_MS + 3 * PART_MS + (mixedSeconds > 0 ? MIXED_PART_MS : 0)) / 1000));
if (!(clients >= 1) || !Number.isInteger(workers) || !(mixedUsers >= 1))
  fail(`bad arguments: --clients ${clients} --workers ${workers} --mixed-users ${mixedUsers}`);

const SERVER = fileURLToPath(new URL('server.mjs', import.meta.url));
const CLIENTS = fileURLToPath(new URL('clients.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../packages/http1/dist/index.js', import.meta.url));

const started = Date.now();
const failures = [];
let server = null;
let load = null;
/** The current server's pids (primary first), and every pid any server reported: killed on the way out if still there. */
let serverPids = [];
const allServerPids = [];

// --- start, stop, and never leave a child behind -------------------------------------------------

function fail(message) {
  console.error(`soak: FAILED: ${message}`);
  process.exit(1);
}

/** Kills whatever is left of the children: the two we started and the server's workers, by pid. */
function killChildren() {
  for (const child of [load, server]) if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of allServerPids) {
    // Only a process still running our server file (a pid can be reused once its process is gone).
    let commandLine = '';
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (commandLine.includes(SERVER)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    console.error(`soak: ${signal}: stopping every child`);
    killChildren();
    process.exit(code);
  });
}
process.on('exit', killChildren);
const overall = setTimeout(() => {
  console.error(`soak: FAILED: the run did not finish within ${maxSeconds} s (--max-seconds); killing every child`);
  killChildren();
  process.exit(1);
}, maxSeconds * 1000);

/** The soft open-file limit must hold every client socket (the limit is inherited by the children). */
function checkFileLimit(needed) {
  const { soft, hard } = openFileLimits();
  if (soft >= needed) return;
  fail(
    `ulimit -n is ${soft}; ${needed} open files are needed for ${clients} clients. Raise it in this shell first ` +
      `(\`ulimit -n 20000\`; the hard limit here is ${hard === Infinity ? 'unlimited' : hard}; above it, root or /etc/security/limits.conf), or pass a smaller --clients`,
  );
}

// --- talking to the children ---------------------------------------------------------------------

/** Asks the clients process for something and waits for its answer. */
async function ask(message, reply, ms) {
  load.send(message);
  return nextMessage(load, reply, ms);
}

/** The server's figures summed over its processes; with `gc`, after full GCs in each. */
async function measure(gc = true) {
  server.send({ type: 'measure', gc });
  const { processes, workerPids } = await nextMessage(server, 'measured', 30_000);
  const sum = (field) => processes.reduce((total, p) => total + p[field], 0);
  const serving = processes.filter((p) => p.role !== 'primary');
  if (workers > 0 && serving.length !== workers)
    failures.push(`only ${serving.length} of ${workers} workers answered (pids ${JSON.stringify(workerPids)})`);
  return {
    rss: sum('rss'),
    heap: sum('heapUsed'),
    code: sum('codeUsed'),
    connections: sum('connections'),
    parked: sum('parked'),
    websockets: sum('websockets'),
    subscribers: sum('subscribers'),
    errors: sum('errors'),
    errorSample: processes.flatMap((p) => p.errorSample),
    processes,
    workerPids,
  };
}

/** Polls the server (no GC) until `predicate(figures)` holds; throws after `ms`. */
async function waitForServer(predicate, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const figures = await measure(false);
    if (predicate(figures)) return figures;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${what} (server holds ${figures.connections} connections, ${figures.parked} parked polls, ` +
          `${figures.websockets} WebSockets, ${figures.subscribers} hub subscriptions of channels)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Once every client has gone: the server holds nothing (no connection, channel or hub subscription), and its memory after full GCs. */
async function afterClientsLeft(label) {
  try {
    await waitForServer(
      (f) => f.connections === 0 && f.parked === 0 && f.websockets === 0 && f.subscribers === 0,
      10_000,
      'every connection to close and leave the hub',
    );
  } catch (error) {
    failures.push(`${label}: ${error.message}`);
  }
  return measure();
}

/** Runs `body` with a hard time bound: past `ms` the part fails and so does the run. */
async function part(label, ms, body) {
  let timer;
  const bound = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: not done within its ${ms / 1000} s bound`)), ms);
  });
  try {
    return await Promise.race([body(), bound]);
  } finally {
    clearTimeout(timer);
  }
}

let seq = 0;
let serverErrorsSeen = 0;

/** Failures the server logged since the last check, and workers replaced meanwhile. */
function checkServer(label, figures) {
  if (figures.errors > serverErrorsSeen)
    failures.push(
      `${label}: the server logged ${figures.errors - serverErrorsSeen} errors/warnings, e.g. ${JSON.stringify(figures.errorSample.slice(0, 3))}`,
    );
  serverErrorsSeen = figures.errors;
  if (workers > 0 && JSON.stringify(figures.workerPids) !== JSON.stringify(serverPids.slice(1))) {
    failures.push(
      `${label}: the workers changed (a worker died and was replaced): ${JSON.stringify(serverPids.slice(1))} -> ${JSON.stringify(figures.workerPids)}`,
    );
  }
}

function checkOpened(label, opened, count) {
  if (opened.open !== count) failures.push(`${label}: ${opened.open} of ${count} clients connected (${JSON.stringify(opened.errors)})`);
}

function checkBroadcast(label, result) {
  if (result.publishStatus !== 200) failures.push(`${label}: POST /publish answered ${result.publishStatus}`);
  if (result.once !== result.expected)
    failures.push(
      `${label}: ${result.once} of ${result.expected} clients got the publish (missing ${result.missing}, closed before it ${result.closedEarly})`,
    );
  if (result.duplicates > 0) failures.push(`${label}: ${result.duplicates} clients got the publish twice`);
  if (result.bad > 0) failures.push(`${label}: ${result.bad} wrong answers, e.g. ${JSON.stringify(result.badSample)}`);
}

function checkClosed(label, closed) {
  if (closed.droppedEarly > 0) failures.push(`${label}: the server closed ${closed.droppedEarly} connections before the clients left`);
  const errors = Object.entries(closed.errors);
  if (errors.length > 0) failures.push(`${label}: errors while the clients were held: ${JSON.stringify(closed.errors)}`);
  checkClosing(label, closed.closing);
  return closed.closing;
}

/** Every connection the clients closed, the server closed within the clients' 5 s (runLoad's closeTimeout). */
function checkClosing(label, closing) {
  if (closing === null) return;
  if (closing.forced > 0 || closing.peerClosed !== closing.connections)
    failures.push(
      `${label}: the server closed ${closing.peerClosed} of the ${closing.connections} connections the clients closed within 5 s (${closing.forced} destroyed by the clients after it)`,
    );
}

const closingLine = (c) =>
  `the clients closed ${fmt(c.connections)}; the server closed ${fmt(c.peerClosed)} of them within 5 s, the last ${c.lastPeerCloseMs === null ? 'n/a' : `${fmt(c.lastPeerCloseMs, 1)} ms`} after the clients' close`;

const memoryOf = (figures) => ({ rss: figures.rss, heap: figures.heap, code: figures.code });

/** Heap after / before: of objects (the target), and with compiled code. */
function heapRatios(start, after) {
  return { heapRatio: (after.heap - after.code) / (start.heap - start.code), heapWithCodeRatio: after.heap / start.heap };
}

/** With workers: what each process's RSS and heap grew by between two measures. */
function growthByProcess(before, after) {
  return after.processes
    .map((p) => {
      const was = before.processes.find((q) => q.pid === p.pid);
      if (was === undefined) return `${p.role} ${p.pid}: new`;
      return `${p.role} ${p.pid} ${mb(p.rss - was.rss)} MB RSS, ${mb(p.heapUsed - was.heapUsed)} MB heap`;
    })
    .join('; ');
}

/** How the connections spread over the workers ('' in one process). */
function spread(figures, field) {
  if (workers === 0) return '';
  return figures.processes
    .filter((p) => p.role === 'worker')
    .map((p) => `${p.pid}: ${p[field]}`)
    .join(', ');
}

// --- the parts -----------------------------------------------------------------------------------

/** What the server counts for each kind of client. */
const SERVER_COUNT = { idle: 'connections', poll: 'parked', ws: 'websockets' };

/**
 * Opens `count` clients of `kind` and waits until the server holds them all: a poll is written
 * before the server has parked it (with workers the primary still has to hand the connection
 * over), and a publish before that would miss it.
 */
async function openClients(label, kind, count) {
  const opened = await ask({ type: 'open', kind, count }, 'opened', PART_MS);
  checkOpened(label, opened, count);
  const field = SERVER_COUNT[kind];
  await waitForServer((f) => f[field] >= opened.open, 20_000, `${opened.open} ${field}`);
  return opened;
}

/** One round of parts 1-3: N clients of `kind` up, `measureLoaded` (the measured round), a publish to them, all gone. */
async function clientsRound(label, kind, measureLoaded) {
  const opened = await openClients(label, kind, clients);
  const loaded = measureLoaded ? await measure() : null;
  let broadcast = null;
  if (kind !== 'idle') {
    broadcast = await ask({ type: 'broadcast', seq: ++seq, waitMs: BROADCAST_WAIT_MS }, 'broadcasted', BROADCAST_WAIT_MS + 10_000);
    checkBroadcast(label, broadcast);
  }
  const closing = checkClosed(label, await ask({ type: 'close' }, 'closed', 30_000));
  const after = await afterClientsLeft(label);
  checkServer(label, after);
  return { opened, loaded, broadcast, closing, after };
}

/**
 * Parts 1-3, two rounds on one server. The first is measured: memory per client, the publish.
 * The second repeats it, and is the heap check: after it the heap must be where it was after the
 * first. (Against the part's very start the heap is ~0.3-0.7 MB up for good after the first
 * round: V8 compiles the paths at this scale once, code and feedback. A warm-up long enough to
 * do that before the baseline churns enough memory to lower the RSS figures by ~1 KB a client.)
 */
async function connectionsPart(label, kind) {
  const start = await measure();
  const first = await clientsRound(label, kind, true);
  const second = await clientsRound(`${label} (round 2)`, kind, false);
  const { opened, loaded } = first;
  const per = (field) => (loaded[field] - start[field]) / Math.max(1, opened.open) / 1024;
  return {
    label,
    kind,
    open: opened.open,
    openMs: opened.ms,
    spread: spread(loaded, SERVER_COUNT[kind]),
    byProcess: workers > 0 ? growthByProcess(start, loaded) : '',
    rssKb: per('rss'),
    heapKb: per('heap'),
    start: memoryOf(start),
    loaded: memoryOf(loaded),
    afterFirst: memoryOf(first.after),
    firstRound: heapRatios(start, first.after),
    after: memoryOf(second.after),
    ...heapRatios(first.after, second.after),
    broadcast: first.broadcast,
    secondBroadcast: second.broadcast,
    closing: first.closing,
  };
}

async function mixedPart(label) {
  const start = await measure();
  const mixed = await ask({ type: 'mixed', seconds: mixedSeconds, users: mixedUsers }, 'mixed', mixedSeconds * 1000 + MIXED_SLACK_MS);
  checkClosing(label, mixed.closing);
  if (mixed.errorCount > 0)
    failures.push(
      `${label}: ${mixed.errorCount} errors ${JSON.stringify(mixed.errors)}, e.g. ${JSON.stringify(mixed.errorSample.slice(0, 3))}`,
    );
  const after = await afterClientsLeft(label);
  checkServer(label, after);
  const served = after.processes
    .filter((p) => p.role !== 'primary')
    .map((p) => `${p.pid}: ${p.served.hello + p.served.polls + p.served.wsMessages}`);
  return {
    label,
    kind: 'mixed',
    mixed,
    start: memoryOf(start),
    after: memoryOf(after),
    ...heapRatios(start, after),
    servedByWorker: workers > 0 ? served.join(', ') : '',
  };
}

/** The part's path, small, so JIT, wasm and pools are warm before the baseline. */
async function warmUp(kind) {
  const label = `warm-up (${kind})`;
  if (kind === 'mixed') {
    const mixed = await ask(
      { type: 'mixed', seconds: MIXED_WARM_UP_SECONDS, users: mixedUsers },
      'mixed',
      MIXED_WARM_UP_SECONDS * 1000 + MIXED_SLACK_MS,
    );
    if (mixed.errorCount > 0)
      failures.push(
        `${label}: ${mixed.errorCount} errors ${JSON.stringify(mixed.errors)}, e.g. ${JSON.stringify(mixed.errorSample.slice(0, 3))}`,
      );
  } else {
    await openClients(label, kind, WARM_UP_CLIENTS);
    if (kind !== 'idle')
      checkBroadcast(
        label,
        await ask({ type: 'broadcast', seq: ++seq, waitMs: BROADCAST_WAIT_MS }, 'broadcasted', BROADCAST_WAIT_MS + 10_000),
      );
    checkClosed(label, await ask({ type: 'close' }, 'closed', 30_000));
  }
  await afterClientsLeft(label);
}

/** A fresh server process (and its workers); the clients are pointed at it. */
async function startServer() {
  server = startChild(SERVER, ['--workers', String(workers), '--max-seconds', String(maxSeconds + 10)]);
  const listening = await nextMessage(server, 'listening', 30_000);
  serverPids = listening.pids;
  allServerPids.push(...serverPids);
  serverErrorsSeen = 0;
  await ask({ type: 'target', port: listening.port }, 'targeted', 5_000);
  return listening.port;
}

async function stopServer() {
  if (server === null) return;
  const { code, signal } = await stopChild(server, 5_000);
  if (code !== 0) failures.push(`the server process did not stop cleanly (${signal ?? `exit code ${code}`})`);
  server = null;
}

// --- output --------------------------------------------------------------------------------------

const mb = (bytes) => (bytes / 1048576).toFixed(1);
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (met) => (met ? 'MET' : 'MISSED');

const objectsOf = (m) => m.heap - m.code;

/** The heap check: `before` -> `after`, of objects (the target) and with code. */
function printHeapAfter(what, before, after, r) {
  console.log(
    `  ${what}: heap of objects ${mb(objectsOf(before))} -> ${mb(objectsOf(after))} MB = ${fmt(r.heapRatio, 3)}x (target <= ${TARGET.heapRatio}x: ${verdict(r.heapRatio <= TARGET.heapRatio)}); ` +
      `with compiled code ${mb(before.heap)} -> ${mb(after.heap)} MB = ${fmt(r.heapWithCodeRatio, 3)}x; RSS ${mb(before.rss)} -> ${mb(after.rss)} MB`,
  );
}

function broadcastLine(b) {
  const ms = (value) => (value === null ? 'n/a' : `${fmt(value, 1)} ms`);
  return (
    `POST /publish -> last client ${ms(b.lastMs)} (first ${ms(b.firstMs)}, publish answered in ${fmt(b.publishMs, 1)} ms); ` +
    `${fmt(b.once)}/${fmt(b.expected)} exactly once, ${b.duplicates} twice, ${b.missing} missing, ${b.bad} wrong`
  );
}

function printConnectionsPart(r) {
  const unit = r.kind === 'idle' ? 'idle connection' : r.kind === 'poll' ? 'parked poll' : 'WebSocket';
  console.log(
    `${r.label}: ${fmt(r.open)} clients up in ${fmt(r.openMs / 1000, 1)} s${r.spread ? `; per worker (pid: ${r.kind === 'idle' ? 'connections' : r.kind === 'poll' ? 'parked' : 'WebSockets'}) ${r.spread}` : ''}`,
  );
  console.log(
    `  memory: ${fmt(r.rssKb, 2)} KB RSS, ${fmt(r.heapKb, 2)} KB heap per ${unit} (RSS ${mb(r.start.rss)} -> ${mb(r.loaded.rss)} MB, heap ${mb(r.start.heap)} -> ${mb(r.loaded.heap)} MB, after full GCs)`,
  );
  if (r.byProcess) console.log(`  growth by process: ${r.byProcess}`);
  if (r.broadcast !== null) console.log(`  broadcast: ${broadcastLine(r.broadcast)}`);
  if (r.closing !== null) console.log(`  closing: ${closingLine(r.closing)}`);
  const first = r.firstRound;
  console.log(
    `  after every client left: heap of objects ${mb(objectsOf(r.start))} -> ${mb(objectsOf(r.afterFirst))} MB = ${fmt(first.heapRatio, 3)}x ` +
      `(with compiled code ${fmt(first.heapWithCodeRatio, 3)}x: what V8 compiles once at this scale); RSS ${mb(r.start.rss)} -> ${mb(r.afterFirst.rss)} MB`,
  );
  console.log(`  round 2, the same again${r.secondBroadcast === null ? '' : `; broadcast: ${broadcastLine(r.secondBroadcast)}`}`);
  printHeapAfter('after every client left again', r.afterFirst, r.after, r);
}

function printMixedPart(r) {
  const m = r.mixed;
  const lat = (h) => (h.count === 0 ? 'none' : `p50 ${fmt(h.p50, 2)} / p99 ${fmt(h.p99, 2)} / max ${fmt(h.max, 1)} ms (${fmt(h.count)})`);
  console.log(
    `${r.label}: ${fmt(m.seconds, 1)} s, ${m.users} users (${m.connections.get} keep-alive, ${m.connections.poll} long-poll, ${m.connections.ws} WebSocket); ` +
      `sessions the clients ended: ${fmt(m.sessions.get)} keep-alive, ${fmt(m.sessions.poll)} long-poll, ${fmt(m.sessions.ws)} WebSocket`,
  );
  console.log(
    `  requests served: ${fmt(m.requests)} (${fmt(m.requests / m.seconds)}/s): ${fmt(m.served.get)} GETs, ${fmt(m.served.poll)} long polls answered, ` +
      `${fmt(m.served.echo)} WebSocket echoes, ${fmt(m.served.publish)} publishes (${fmt(m.served.wsPublish)} delivered to WebSockets); ` +
      `${fmt(m.abandonedPolls)} polls given up while parked, ${fmt(m.droppedWebSockets)} WebSockets dropped without a close`,
  );
  if (r.servedByWorker) console.log(`  per worker (pid: requests + WebSocket messages since start): ${r.servedByWorker}`);
  console.log(`  latency: GET ${lat(m.latency.get)}; echo ${lat(m.latency.echo)}`);
  console.log(`           publish -> client ${lat(m.latency.delivery)}; connect (a new session's) ${lat(m.latency.connect)}`);
  console.log(`  closing at the end: ${closingLine(m.closing)}`);
  console.log(`  errors: ${m.errorCount}${m.errorCount > 0 ? ` ${JSON.stringify(m.errors)}` : ''}`);
  printHeapAfter('after every client left', r.start, r.after, r);
}

/** Rows: [part, figure, value, target, met (null: no target), reported]. */
function summaryRows(results) {
  const rows = [];
  const kb = (n) => `${fmt(n, 2)} KB`;
  const ratio = (r) => [
    r.label.replace(/^\d\. /, ''),
    r.kind === 'mixed' ? 'heap after / before (objects)' : 'heap after / before, round 2',
    `${fmt(r.heapRatio, 3)}x`,
    `<= ${TARGET.heapRatio}x`,
    r.heapRatio <= TARGET.heapRatio,
    '',
  ];
  for (const r of results) {
    const part = r.label.replace(/^\d\. /, '');
    const b = r.broadcast;
    const last = b?.lastMs ?? Infinity;
    if (r.kind === 'idle') {
      rows.push([part, 'RSS per connection', kb(r.rssKb), `<= ${TARGET.idleRssKb} KB`, r.rssKb <= TARGET.idleRssKb, REPORTED.idleRssKb]);
      rows.push([
        part,
        'heap per connection',
        kb(r.heapKb),
        `<= ${TARGET.idleHeapKb} KB`,
        r.heapKb <= TARGET.idleHeapKb,
        REPORTED.idleHeapKb,
      ]);
    } else if (r.kind === 'poll') {
      rows.push([
        part,
        'RSS per parked poll',
        kb(r.rssKb),
        `<= ${TARGET.parkedRssKb} KB`,
        r.rssKb <= TARGET.parkedRssKb,
        REPORTED.parkedRssKb,
      ]);
      rows.push([part, 'heap per parked poll', kb(r.heapKb), '-', null, REPORTED.parkedHeapKb]);
      rows.push([
        part,
        'publish -> last client',
        `${fmt(last, 1)} ms`,
        `< ${TARGET.broadcastMs} ms`,
        last < TARGET.broadcastMs,
        REPORTED.pollBroadcastMs,
      ]);
    } else if (r.kind === 'ws') {
      rows.push([part, 'RSS per WebSocket', kb(r.rssKb), `<= ${TARGET.wsRssKb} KB`, r.rssKb <= TARGET.wsRssKb, REPORTED.wsRssKb]);
      rows.push([part, 'heap per WebSocket', kb(r.heapKb), '-', null, REPORTED.wsHeapKb]);
      rows.push([
        part,
        'publish -> last client',
        `${fmt(last, 1)} ms`,
        `< ${TARGET.broadcastMs} ms`,
        last < TARGET.broadcastMs,
        REPORTED.wsBroadcastMs,
      ]);
    } else {
      rows.push([part, 'errors', String(r.mixed.errorCount), '0', r.mixed.errorCount === 0, '']);
      rows.push([part, 'requests served', fmt(r.mixed.requests), '-', null, '']);
    }
    rows.push(ratio(r));
  }
  return rows;
}

function printTable(rows) {
  const header = ['part', 'figure', 'value', 'target', 'verdict', 'single-purpose benchmark reports'];
  const lines = [
    header,
    ...rows.map(([part, figure, value, target, met, reported]) => [
      part,
      figure,
      value,
      target,
      met === null ? '-' : verdict(met),
      reported,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((line) => line[i].length)));
  for (const line of lines) console.log(`  ${line.map((cell, i) => cell.padEnd(widths[i])).join('  ')}`.trimEnd());
}

// --- the run -------------------------------------------------------------------------------------

const mode = workers > 0 ? `${workers} workers (node:cluster) + primary` : 'one process';
console.log(
  `soak${smoke ? ' (smoke)' : ''}: ${fmt(clients)} clients, mixed load ${mixedSeconds} s with ${mixedUsers} users, server in ${mode}; ` +
    `node ${process.version}, load average ${loadavg()[0].toFixed(2)}, deadline ${maxSeconds} s`,
);
if (!existsSync(BUILT)) fail('packages/http1/dist is missing: build first with `node scripts/build.mjs --no-types`');
warnIfStaleBuild('soak');
checkFileLimit(clients + mixedUsers + 300);

const results = [];
let crashed = null;
try {
  load = startChild(CLIENTS, ['--max-seconds', String(maxSeconds + 10)], { nodeArgs: ['--max-old-space-size=4096'] });
  await nextMessage(load, 'ready', 10_000);
  const parts = [
    ['1. idle keep-alive', 'idle'],
    ['2. parked long polls', 'poll'],
    ['3. idle WebSockets', 'ws'],
  ].filter(([, kind]) => runs(kind));
  if (mixedSeconds > 0 && runs('mixed')) parts.push(['4. mixed load', 'mixed']);
  for (const [label, kind] of parts) {
    const bound = kind === 'mixed' ? MIXED_PART_MS : PART_MS;
    const result = await part(label, bound, async () => {
      const port = await startServer();
      console.log(
        `${label}: server on 127.0.0.1:${port}, pid${workers > 0 ? 's' : ''} ${serverPids.join(', ')}${workers > 0 ? ' (primary first)' : ''}; clients in pid ${load.pid}`,
      );
      try {
        await warmUp(kind);
        return kind === 'mixed' ? await mixedPart(label) : await connectionsPart(label, kind);
      } finally {
        await stopServer();
      }
    });
    results.push(result);
    if (result.kind === 'mixed') printMixedPart(result);
    else printConnectionsPart(result);
  }
} catch (error) {
  crashed = error;
  failures.push(error.message);
} finally {
  if (load !== null) await stopChild(load, 5_000);
  if (server !== null) await stopChild(server, 5_000);
  killChildren();
  clearTimeout(overall);
}

const rows = summaryRows(results);
const seconds = (Date.now() - started) / 1000;
console.log(`\nsummary (${seconds.toFixed(1)} s${workers > 0 ? `, ${workers} workers: memory summed over every process` : ''}):`);
printTable(rows);
if (smoke || clients < 5_000)
  console.log(
    `  (with ${fmt(clients)} clients the per-connection RSS is mostly noise: page granularity, allocator arenas; read the 10,000-client run)`,
  );
const missed = rows.filter((row) => row[4] === false).map((row) => `${row[0]}: ${row[1]}`);
if (json) {
  console.log(JSON.stringify({ bench: 'soak', smoke, workers, clients, mixedSeconds, mixedUsers, seconds, results, missed, failures }));
}
if (failures.length > 0) {
  for (const failure of new Set(failures)) console.error(`soak: FAILED: ${failure}`);
  if (crashed !== null && crashed.stack && !crashed.message.includes('bound')) console.error(crashed.stack);
  process.exitCode = 1;
} else if (missed.length > 0) {
  console.log(`soak: correct; targets missed: ${missed.join('; ')}${strict ? ' (--strict: exit 2)' : ' (reported only)'}`);
  if (strict) process.exitCode = 2;
} else {
  console.log('soak: correct, every target met');
}
