#!/usr/bin/env node
// One process vs node:cluster workers, ours vs node:http doing the same: hello world under wrk,
// and a long-poll soak answered by one published event.
//
//   node bench/workers-bench.mjs [--smoke] [--duration S] [--rounds N] [--clients N]
//                                [--only hello|soak] [--workers N]
//                                [--max-seconds S] [--json]
//
//   --smoke        1 s wrk runs without warm-up, 500 clients, one round (CI; well under 60 s).
//   --duration S   seconds of measured wrk load per server (default 5; warm-up 2 s before).
//   --rounds N     rounds over every server (default 3): medians per server, ratios the median of
//                  each round's ours/node ratio. Each round runs hello world and the soak.
//   --clients N    parked long polls (default 10000; needs `ulimit -n` above N).
//   --only X       hello or soak: run that part only.
//   --workers N    0 (one process), 1 or 2: run that configuration only.
//   --max-seconds  hard limit for the whole run (default 560, smoke 80): past it every child is
//                  killed and the run fails.
//
// Servers (bench/lib/workers-server.mjs, one child per run, 127.0.0.1, port 0 reported over IPC):
//   ours  runServer from the built @http-kit/http1; `workers` N > 0 is runServer's workers option
//   node  node:http; N > 0 is a node:cluster primary forking N node:http workers on one port
// each as: 1 process (no cluster), cluster with 1 worker, cluster with 2 workers (round robin,
// Node's default on Linux, for both).
//
// Hello world: a checked GET per worker, a warm-up, then `wrk -t1 -c100 -d<S>s --latency`.
// requests/s and p99 are wrk's; server CPU is utime + stime from /proc/<pid>/stat of the primary
// and every worker, read before and after the run; requests per CPU-second is wrk's completed
// requests over it. wrk's own CPU (this process's cutime + cstime, which the kernel adds when wrk
// is reaped) is shown beside it: wrk shares the 2 CPUs with the server.
//
// Long-poll soak: the soak suite's client process (bench/soak/clients.mjs: keep-alive
// connections of @http-kit/load's runLoad, in longpoll mode) parks N `GET /poll` spread over the workers by the cluster, then one
// `POST /publish {"seq":N}` on a new connection to whichever worker gets it; ours relays it with createHub() from
// @http-kit/core, node with the same worker -> primary -> every worker IPC relay written by hand.
// Reported: the time from the POST to the last poll's whole response (timed in the client
// process; the publishing connection is opened just before, so its accept is inside), the
// server's and the client process's CPU over it (the window includes the client's 300 ms of
// listening for second answers, idle for both), polls answered exactly once, and server RSS
// (VmRSS of every process from /proc/<pid>/status, after full GCs) added per parked client and in
// all. A warm-up of 200 polls first.
//
// Exit codes: 0 the run was correct (there are no targets here: the figures are reported); 1 a
// run failed (a wrk error, a poll missed or answered twice, a child that would not start, or the
// hard limit). Without wrk, the hello-world rows are skipped with a notice.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { cpuCount, libPath, nextMessage, startChild, stopChild, warnIfStaleBuild } from './lib/children.mjs';
import { cpuSeconds, machineCpu, openFileLimits, rssBytes } from './lib/proc.mjs';
import { checkHello, findWrk, runWrk, wrkFigures } from './lib/wrk.mjs';

const ALL_CONFIGS = [
  { workers: 0, label: '1 process' },
  { workers: 1, label: 'cluster, 1 worker' },
  { workers: 2, label: 'cluster, 2 workers' },
];
const KINDS = ['ours', 'node'];
const CONNECTIONS = 100;
const WARM_UP_POLLS = 200;
const PARK_TIMEOUT_MS = 30_000;

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const json = argv.includes('--json');
const numberArg = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : Number(argv[at + 1]);
};
const duration = Math.max(1, Math.round(numberArg('--duration', smoke ? 1 : 5)));
const warmup = smoke ? 0 : 2;
const rounds = Math.max(1, Math.round(numberArg('--rounds', smoke ? 1 : 3)));
const clients = Math.max(1, Math.round(numberArg('--clients', smoke ? 500 : 10_000)));
const onlyAt = argv.indexOf('--only');
const only = onlyAt === -1 ? null : argv[onlyAt + 1];
const workersAt = argv.indexOf('--workers');
const CONFIGS = workersAt === -1 ? ALL_CONFIGS : ALL_CONFIGS.filter((c) => c.workers === Number(argv[workersAt + 1]));
/** A generous guess at the run's length, so a longer run asked for on the command line is not cut short. */
const expectedSeconds = rounds * CONFIGS.length * KINDS.length * (duration + warmup + 4 + 6 + clients / 1000);
const maxSeconds = numberArg('--max-seconds', Math.max(smoke ? 80 : 560, Math.ceil(expectedSeconds * 2)));
if (
  ![duration, rounds, clients, maxSeconds].every(Number.isFinite) ||
  maxSeconds <= 0 ||
  !(only === null || only === 'hello' || only === 'soak') ||
  CONFIGS.length === 0
) {
  console.error(
    'workers-bench: FAILED: bad arguments (numbers expected after --duration, --rounds, --clients, --max-seconds; hello or soak after --only; 0, 1 or 2 after --workers)',
  );
  process.exit(1);
}
const startedAt = performance.now();

// --- every process this run starts, killed on any way out -------------------------------------

/** pid -> what it is; workers' pids too (their primary normally takes them along). */
const live = new Map();
let stage = 'starting';
function killAll() {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`workers-bench: ${signal} during ${stage}; killing every child`);
    process.exit(1);
  });
}
const hardStop = setTimeout(() => {
  console.error(`workers-bench: FAILED: the run did not finish within ${maxSeconds} s (stage: ${stage}); killing every child`);
  process.exit(1);
}, maxSeconds * 1000);

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// --- children ---------------------------------------------------------------------------------

/** One server child; resolves once it (and every worker) listens. */
async function startServer(kind, workers) {
  const child = startChild(libPath('workers-server.mjs'), [kind, String(workers), '--max-seconds', String(maxSeconds + 10)], {
    nodeArgs: ['--expose-gc'],
  });
  live.set(child.pid, `${kind} server`);
  try {
    const listening = await nextMessage(child, 'listening', 15_000);
    for (const pid of listening.workerPids) live.set(pid, `${kind} worker`);
    if (listening.workerPids.length !== workers)
      throw new Error(`${kind}: ${listening.workerPids.length} workers listening, ${workers} asked`);
    return { kind, workers, child, port: listening.port, pids: [listening.pid, ...listening.workerPids] };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Stops a server child, then makes sure its workers are gone too. */
async function stopServer(server) {
  await stopChild(server.child, 4000);
  live.delete(server.child.pid);
  const deadline = Date.now() + 3000;
  for (const pid of server.pids.slice(1)) {
    while (isRunning(pid) && Date.now() < deadline) await sleep(20);
    if (isRunning(pid)) {
      console.error(`workers-bench: worker ${pid} outlived its primary; killing it`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    live.delete(pid);
  }
}

/** Sends `{type}` to a child and waits for its `reply` message. */
function ask(child, type, reply, ms = 10_000, fields = {}) {
  const answer = nextMessage(child, reply, ms);
  child.send({ type, ...fields });
  return answer;
}

const sum = (values) => values.reduce((a, b) => a + b, 0);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- hello world under wrk ----------------------------------------------------------------------

const wrkPath = await findWrk();

/** wrk against `port` for `seconds`; its pid is tracked while it runs. */
async function wrk(port, seconds) {
  let pid = 0;
  const result = await runWrk(wrkPath, { port, connections: CONNECTIONS, seconds, onSpawn: (child) => live.set((pid = child.pid), 'wrk') });
  live.delete(pid);
  return result;
}

/** wrk's figures as this bench reports them: socket errors apart from timeouts. Throws when wrk failed. */
function helloFigures(result) {
  const { requests, requestsPerSecond, p99, non2xx, socketErrors, timeouts } = wrkFigures(result);
  return { requests, requestsPerSecond, p99Ms: p99, non2xx, socketErrors: socketErrors - timeouts, timeouts };
}

/** One server: checked GETs (round robin: at least one per worker), warm-up, the measured run. */
async function helloRun(kind, workers) {
  const server = await startServer(kind, workers);
  try {
    for (let i = 0; i < Math.max(2, 2 * workers); i++) await checkHello(server.port);
    if (warmup > 0) helloFigures(await wrk(server.port, warmup));
    const before = server.pids.map(cpuSeconds);
    const wrkBefore = cpuSeconds('self').children;
    const machineBefore = machineCpu();
    const wallStart = performance.now();
    const result = await wrk(server.port, duration);
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const machineAfter = machineCpu();
    const wrkCpu = cpuSeconds('self').children - wrkBefore;
    const perProcessCpu = server.pids.map((pid, i) => cpuSeconds(pid).own - before[i].own);
    const figures = helloFigures(result);
    const serverCpu = sum(perProcessCpu);
    // The rest of the machine's busy time: the kernel's loopback work that no process was charged
    // for (~1.5-2 s in a quiet 5 s run here) and every other process; and the time left idle.
    const restCpu = machineAfter.busy - machineBefore.busy - serverCpu - wrkCpu;
    const idleCpu = machineAfter.idle - machineBefore.idle;
    return {
      ...figures,
      serverCpu,
      perProcessCpu,
      wrkCpu,
      restCpu,
      idleCpu,
      wallSeconds,
      requestsPerCpuSecond: figures.requests / serverCpu,
    };
  } finally {
    await stopServer(server);
  }
}

// --- long-poll soak -----------------------------------------------------------------------------

/** Parked polls and connections per serving process. */
async function counts(server) {
  const { parked, connections } = await ask(server.child, 'count', 'count');
  return { parked, connections };
}

async function waitFor(server, predicate, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await counts(server);
    if (predicate(now)) return now;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${ms} ms waiting for ${what} (parked ${now.parked.join('/')}, connections ${now.connections.join('/')})`,
      );
    await sleep(25);
  }
}

/** RSS of each process of the server (primary first) after full GCs in each. */
async function serverRss(server) {
  await ask(server.child, 'gc', 'gc-done');
  return server.pids.map(rssBytes);
}

/** Parks `count` polls from the client process; resolves once the server holds them all, with the spread. */
/** The soak suite's clients, here parking polls and timing a publish (see its header for the IPC). */
const SOAK_CLIENTS = fileURLToPath(new URL('soak/clients.mjs', import.meta.url));
/** How long a publish may take to reach every parked poll. */
const ANSWER_TIMEOUT_MS = 15_000;
let seq = 0;

async function park(server, client, count, label) {
  const opened = await ask(client, 'open', 'opened', 60_000, { kind: 'poll', count });
  if (opened.open !== count) throw new Error(`${label}: ${opened.open} of ${count} connections opened ${JSON.stringify(opened.errors)}`);
  const parked = await waitFor(server, (c) => sum(c.parked) === count, PARK_TIMEOUT_MS, `${label}: ${count} parked polls`);
  return { parked, opened };
}

/** One POST /publish through the clients: their report, and their CPU over it. */
async function publish(client) {
  const before = cpuSeconds(client.pid).own;
  const report = await ask(client, 'broadcast', 'broadcasted', ANSWER_TIMEOUT_MS + 15_000, { seq: ++seq, waitMs: ANSWER_TIMEOUT_MS });
  return { ...report, cpuMs: (cpuSeconds(client.pid).own - before) * 1000 };
}

function checkAnswers(report, count, label) {
  const problems = [];
  if (report.publishStatus !== 200) problems.push(`${label}: POST /publish answered ${report.publishStatus || 'nothing (failed)'}`);
  if (report.once !== count)
    problems.push(`${label}: ${report.once} of ${count} polls answered with the event (${report.missing} missing)`);
  if (report.duplicates > 0) problems.push(`${label}: ${report.duplicates} polls got bytes after their answer (a second response?)`);
  if (report.bad > 0) problems.push(`${label}: ${report.bad} polls got a wrong answer, e.g. ${JSON.stringify(report.badSample)}`);
  if (report.closedEarly > 0) problems.push(`${label}: ${report.closedEarly} poll connections closed before their answer`);
  return problems;
}

async function soakRun(kind, workers) {
  const server = await startServer(kind, workers);
  const client = startChild(SOAK_CLIENTS, ['--max-seconds', String(maxSeconds + 10)]);
  live.set(client.pid, 'long-poll clients');
  const label = `${kind}, ${configLabel(workers)}`;
  try {
    await nextMessage(client, 'ready', 10_000);
    await ask(client, 'target', 'targeted', 5_000, { port: server.port });
    // Warm-up: JIT, pools and the relay path; then the baseline with no connection open.
    const warm = Math.min(WARM_UP_POLLS, clients);
    await park(server, client, warm, `${label}, warm-up`);
    const warmProblems = checkAnswers(await publish(client), warm, `${label}, warm-up`);
    if (warmProblems.length > 0) throw new Error(warmProblems.join('; '));
    await ask(client, 'close', 'closed', 30_000);
    await waitFor(server, (c) => sum(c.parked) === 0, 10_000, 'the warm-up polls to go');
    // node:http, on a client's FIN, sometimes keeps a socket open (seen in CI: 2 of 50, parked 0):
    // a few idle sockets left from the warm-up cost nothing the round measures, so they are noted
    // rather than failing the run; more than a few, or any poll still parked, still fails it.
    try {
      await waitFor(server, (c) => sum(c.connections) === 0, 10_000, 'the warm-up connections to close');
    } catch (error) {
      const left = sum((await counts(server)).connections);
      if (left > Math.max(2, warm / 20)) throw error;
      console.log(`  note: ${label}: ${left} warm-up connection(s) still open on the server after 10 s; going on`);
    }
    const rssBefore = await serverRss(server);

    const parkStart = performance.now();
    const { parked, opened } = await park(server, client, clients, label);
    const parkMs = performance.now() - parkStart;
    const rssAfter = await serverRss(server);
    // CPU over the broadcast (and the client's 300 ms of listening after it, idle for the server).
    const cpuBefore = server.pids.map((pid) => cpuSeconds(pid).own);
    const machineBefore = machineCpu();
    const report = await publish(client);
    const serverCpuMs = sum(server.pids.map((pid, i) => cpuSeconds(pid).own - cpuBefore[i])) * 1000;
    const machineBusyMs = (machineCpu().busy - machineBefore.busy) * 1000;
    const problems = checkAnswers(report, clients, label);
    const left = await counts(server);
    if (sum(left.parked) !== 0) problems.push(`${label}: ${sum(left.parked)} polls still parked after the event`);
    if (opened.failed > 0) problems.push(`${label}: ${opened.failed} connects failed ${JSON.stringify(opened.errors)}`);
    await ask(client, 'close', 'closed', 30_000);
    return {
      parkMs,
      spread: parked.parked,
      rssBefore: sum(rssBefore),
      rssAfter: sum(rssAfter),
      rssKbPerClient: (sum(rssAfter) - sum(rssBefore)) / clients / 1024,
      rssKbPerClientByProcess: rssAfter.map((bytes, i) => (bytes - rssBefore[i]) / clients / 1024),
      toFirstMs: report.firstMs ?? Number.NaN,
      toLastMs: report.lastMs ?? Number.NaN,
      clientCpuMs: report.cpuMs,
      serverCpuMs,
      machineBusyMs,
      exactlyOnce: report.once - report.duplicates,
      problems,
    };
  } finally {
    if (client.exitCode === null && client.signalCode === null) {
      if (client.connected) client.send({ type: 'exit' });
      const killer = setTimeout(() => client.kill('SIGKILL'), 3000);
      await client.exited;
      clearTimeout(killer);
    }
    live.delete(client.pid);
    await stopServer(server);
  }
}

// --- the run ------------------------------------------------------------------------------------

const policy = process.env.NODE_CLUSTER_SCHED_POLICY
  ? `NODE_CLUSTER_SCHED_POLICY=${process.env.NODE_CLUSTER_SCHED_POLICY}`
  : 'round robin (default)';
console.log(
  `workers-bench: node ${process.version}, ${cpuCount()} CPUs, load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}; ` +
    `cluster scheduling ${policy}; ${smoke ? 'smoke: ' : ''}wrk -t1 -c${CONNECTIONS} ${duration} s (warm-up ${warmup} s), ${clients} long polls, ${rounds} round${rounds === 1 ? '' : 's'}`,
);
warnIfStaleBuild('workers-bench');
if (!wrkPath) console.log('workers-bench: wrk is not installed (Debian package wrk): hello-world rows SKIPPED, the soak runs');
const fileLimit = openFileLimits().soft;
if (fileLimit < clients + 200) {
  console.error(
    `workers-bench: FAILED: ulimit -n is ${fileLimit}, ${clients + 200} needed for ${clients} clients (raise it or pass a smaller --clients)`,
  );
  process.exit(1);
}

const configLabel = (workers) => CONFIGS.find((c) => c.workers === workers).label;
/** hello[workers][kind] and soak[workers][kind]: one result per round. */
const hello = Object.fromEntries(CONFIGS.map((c) => [c.workers, { ours: [], node: [] }]));
const soak = Object.fromEntries(CONFIGS.map((c) => [c.workers, { ours: [], node: [] }]));
const failures = [];

try {
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first, so a machine getting busier does not favour one side.
    const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
    if (wrkPath && only !== 'soak') {
      for (const { workers } of CONFIGS) {
        for (const kind of order) {
          stage = `round ${round + 1}, hello world, ${kind}, ${configLabel(workers)}`;
          const result = await helloRun(kind, workers);
          hello[workers][kind].push(result);
          const split = result.perProcessCpu.map((s) => s.toFixed(2)).join(' + ');
          console.log(
            `  round ${round + 1} hello ${kind.padEnd(4)} ${configLabel(workers).padEnd(18)} ${Math.round(result.requestsPerSecond).toLocaleString('en-US').padStart(7)} req/s, ` +
              `p99 ${result.p99Ms.toFixed(2)} ms, server CPU ${split} s, wrk ${result.wrkCpu.toFixed(2)} s, rest ${result.restCpu.toFixed(2)} s, idle ${result.idleCpu.toFixed(2)} s, wall ${result.wallSeconds.toFixed(2)} s`,
          );
          if (result.non2xx > 0 || result.socketErrors > 0)
            failures.push(`${stage}: wrk saw ${result.non2xx} non-2xx answers and ${result.socketErrors} socket errors`);
          if (result.timeouts > 0) console.log(`  (${stage}: wrk counted ${result.timeouts} timeouts: the machine was overloaded)`);
        }
      }
    }
    for (const { workers } of CONFIGS) {
      if (only === 'hello') break;
      for (const kind of order) {
        stage = `round ${round + 1}, long-poll soak, ${kind}, ${configLabel(workers)}`;
        const result = await soakRun(kind, workers);
        soak[workers][kind].push(result);
        console.log(
          `  round ${round + 1} soak  ${kind.padEnd(4)} ${configLabel(workers).padEnd(18)} parked ${result.spread.join('/')} in ${result.parkMs.toFixed(0)} ms, ` +
            `publish -> last ${result.toLastMs.toFixed(1)} ms (first ${result.toFirstMs.toFixed(1)}; CPU ms: server ${result.serverCpuMs.toFixed(0)}, ` +
            `client ${result.clientCpuMs.toFixed(0)}, machine ${result.machineBusyMs.toFixed(0)}), ` +
            `RSS ${(result.rssBefore / 1048576).toFixed(1)} -> ${(result.rssAfter / 1048576).toFixed(1)} MB ` +
            `(${result.rssKbPerClientByProcess.map((kb) => kb.toFixed(2)).join(' + ')} KB per client), ${result.exactlyOnce}/${clients} exactly once`,
        );
        failures.push(...result.problems.map((p) => `round ${round + 1}: ${p}`));
      }
    }
  }
} catch (error) {
  failures.push(`during ${stage}: ${error.message}`);
}
stage = 'reporting';

// --- the table ----------------------------------------------------------------------------------

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
/** Median of ours and of node, and the median of each round's ours/node ratio. */
function compare(results, pick) {
  const ours = results.ours.map(pick);
  const node = results.node.map(pick);
  const ratios = ours.slice(0, node.length).map((value, i) => value / node[i]);
  return { ours: median(ours), node: median(node), ratio: median(ratios), ratios };
}
const thousands = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fixed = (digits) => (n) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ratioText = ({ ratio, ratios }) =>
  Number.isFinite(ratio) ? `${ratio.toFixed(2)}x${ratios.length > 1 ? ` (${ratios.map((r) => r.toFixed(2)).join(', ')})` : ''}` : 'n/a';

const rows = [];
const summary = { hello: {}, soak: {} };
for (const { workers, label } of CONFIGS) {
  const h = hello[workers];
  if (h.ours.length > 0 && h.node.length > 0) {
    const rps = compare(h, (r) => r.requestsPerSecond);
    const perCpu = compare(h, (r) => r.requestsPerCpuSecond);
    const p99 = compare(h, (r) => r.p99Ms);
    const cpu = (side) => {
      const m = (pick) => median(h[side].map(pick)).toFixed(1);
      return `${m((r) => r.serverCpu)} + ${m((r) => r.wrkCpu)} + ${m((r) => r.restCpu)}, idle ${m((r) => r.idleCpu)} of ${(cpuCount() * median(h[side].map((r) => r.wallSeconds))).toFixed(1)}`;
    };
    rows.push([`hello, ${label}`, 'requests/s', thousands(rps.ours), thousands(rps.node), ratioText(rps)]);
    rows.push(['', 'requests per server CPU-second', thousands(perCpu.ours), thousands(perCpu.node), ratioText(perCpu)]);
    rows.push(['', 'p99 latency, ms (lower is better)', fixed(2)(p99.ours), fixed(2)(p99.node), ratioText(p99)]);
    rows.push(['', 'CPU s: server + wrk + rest, idle, of CPUs x wall', cpu('ours'), cpu('node'), '']);
    summary.hello[workers] = { requestsPerSecond: rps, requestsPerCpuSecond: perCpu, p99Ms: p99 };
  }
  const s = soak[workers];
  if (s.ours.length > 0 && s.node.length > 0) {
    const toLast = compare(s, (r) => r.toLastMs);
    const rss = compare(s, (r) => r.rssKbPerClient);
    const once = (side) => `${Math.min(...s[side].map((r) => r.exactlyOnce))}/${clients}${s[side].length > 1 ? ' (worst round)' : ''}`;
    const broadcastCpu = compare(s, (r) => r.serverCpuMs);
    rows.push([
      `long poll ${clients}, ${label}`,
      'publish -> last response, ms (lower is better)',
      fixed(1)(toLast.ours),
      fixed(1)(toLast.node),
      ratioText(toLast),
    ]);
    rows.push([
      '',
      'server CPU for the broadcast, ms (every process)',
      fixed(0)(broadcastCpu.ours),
      fixed(0)(broadcastCpu.node),
      ratioText(broadcastCpu),
    ]);
    const total = compare(s, (r) => r.rssAfter / 1048576);
    rows.push(['', 'server RSS per parked client, KB (lower is better)', fixed(2)(rss.ours), fixed(2)(rss.node), ratioText(rss)]);
    rows.push(['', `server RSS with ${clients} parked, MB (every process)`, fixed(1)(total.ours), fixed(1)(total.node), ratioText(total)]);
    rows.push(['', 'polls answered exactly once', once('ours'), once('node'), '']);
    if (workers > 1) {
      // Whole percents that add up to 100: the last worker gets what the others leave.
      const percents = (spread) =>
        spread
          .map((n, i) => (i < spread.length - 1 ? Math.round((100 * n) / clients) : 0))
          .map((p, i, all) => (i < all.length - 1 ? p : 100 - sum(all)));
      const split = (side) => s[side].map((r) => percents(r.spread).join(':')).join(', ');
      rows.push(['', 'polls per worker, %', split('ours'), split('node'), '']);
    }
    summary.soak[workers] = { toLastMs: toLast, serverCpuMs: broadcastCpu, rssKbPerClient: rss, rssMb: total };
  }
}

function printTable(header, body) {
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i].length)));
  const line = (row) => `| ${row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of body) console.log(line(row));
}

console.log('');
if (rows.length > 0) printTable(['', 'figure', '@http-kit/http1', 'node:http', 'ours/node'], rows);

// Scaling on this machine: each side against itself in one process.
const scale = (workers, kind, pick) => median(hello[workers][kind].map(pick)) / median(hello[0][kind].map(pick));
if (hello[2]?.ours.length > 0 && hello[0]?.ours.length > 0 && hello[1]?.ours.length > 0) {
  for (const kind of KINDS) {
    console.log(
      `  ${kind === 'ours' ? '@http-kit/http1' : 'node:http'}: 2 workers vs 1 process ${scale(2, kind, (r) => r.requestsPerSecond).toFixed(2)}x requests/s, ` +
        `${scale(2, kind, (r) => r.requestsPerCpuSecond).toFixed(2)}x requests per CPU-second; 1 worker vs 1 process ${scale(1, kind, (r) => r.requestsPerSecond).toFixed(2)}x requests/s`,
    );
  }
}
const seconds = (performance.now() - startedAt) / 1000;
console.log(
  `workers-bench: ${seconds.toFixed(1)} s, load average now ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);

if (json) {
  console.log(
    JSON.stringify({
      bench: 'workers-bench',
      smoke,
      duration,
      warmup,
      rounds,
      clients,
      connections: CONNECTIONS,
      seconds,
      summary,
      hello,
      soak,
      failures,
    }),
  );
}
clearTimeout(hardStop);
if (failures.length > 0) {
  for (const failure of failures) console.error(`workers-bench: FAILED: ${failure}`);
  process.exitCode = 1;
}
