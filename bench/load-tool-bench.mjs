#!/usr/bin/env node
// The load tool (http-kit-load, the built packages/load/dist/cli.js) measured against its peers,
// side by side in one run:
//
//   1. keep-alive GETs against node:http (server pinned to CPU 0), 100 connections: the tool
//      pinned to CPU 1, then autocannon pinned to CPU 1 at the same connections, then wrk -t1 (the
//      native reference); requests/s of each, ratios per round, their median;
//   2. N connections held from one tool process, with its RSS read from /proc while it holds them
//      (peak VmRSS): WebSockets (idle), parked long polls, SSE streams, against our server in
//      another process, which counts what it holds;
//   3. --rate against a node:http server that stalls 1 s every 5 s: the open model's p99 shows
//      the stall (latency counted from the due time); the closed model beside it hides it.
//
//   node bench/load-tool-bench.mjs [--smoke] [--connections N] [--json]
//
//   --smoke          short runs: 2 s rounds, 1,000 held connections (fewer if ulimit -n is lower),
//                    a 0.5 s stall every 2 s; ~30 s
//   --connections N  held connections in part 2 (default 10,000; needs ulimit -n above N + 200)
//
// autocannon is not a dependency: install it outside the project (`npm i --prefix /tmp/peers
// autocannon`) or point AUTOCANNON at its autocannon.js; without it that column is skipped.
// Targets: the tool's requests/s >= autocannon's; each 10,000-connection hold under 150 MB RSS;
// the open model's p99 at least half the stall. A missed target prints MISSED (exit 0); a crash,
// a failed run or a hold that did not open every connection exits 1.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { canPin, libPath, nextMessage, run, startChild, stopChild, TASKSET, warnIfStaleBuild } from './lib/children.mjs';
import { cpuSeconds, openFileLimits, rssBytes } from './lib/proc.mjs';
import { checkHello, findWrk, runWrk, wrkFigures } from './lib/wrk.mjs';

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const json = argv.includes('--json');
const at = argv.indexOf('--connections');
const wanted = at === -1 ? (smoke ? 1_000 : 10_000) : Number(argv[at + 1]);
if (!(wanted > 0)) fail(`--connections wants a positive number, got ${JSON.stringify(argv[at + 1])}`);

const BIN = fileURLToPath(new URL('../packages/load/dist/cli.js', import.meta.url));
const AUTOCANNON = process.env.AUTOCANNON ?? '/tmp/peers/node_modules/autocannon/autocannon.js';
const ROUNDS = smoke ? 1 : 3;
const SECONDS = smoke ? 2 : 5;
const KEEP_ALIVE_CONNECTIONS = 100;
const HOLD_SECONDS = smoke ? 1 : 4;
const RSS_TARGET_MB = 150;
const STALL = smoke ? { period: 2000, stall: 500, rate: 1000, seconds: 5 } : { period: 5000, stall: 1000, rate: 2000, seconds: 15 };
const pin = canPin();
const failures = [];
const figures = { keepAlive: [], holds: [], rate: null };

function fail(message) {
  console.error(`load-tool-bench: FAILED: ${message}`);
  process.exit(1);
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes) => bytes / 1048576;
const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
};
const pinned = (command, args) => (pin ? [TASKSET, ['-c', '1', command, ...args]] : [command, args]);

/**
 * Runs `command args`, reading the process's VmRSS and CPU seconds from /proc every 200 ms (the
 * last reading before it exits stands for its total); resolves to run()'s outcome plus
 * { rssPeakBytes, cpuSeconds }.
 */
async function watched(command, args, { timeoutMs, watch = null }) {
  let pid = 0;
  let rssPeakBytes = 0;
  let cpu = 0;
  const sample = () => {
    if (pid === 0) return;
    const rss = rssBytes(pid);
    if (rss > rssPeakBytes) rssPeakBytes = rss;
    const { own } = cpuSeconds(pid);
    if (own > cpu) cpu = own;
    watch?.();
  };
  const sampler = setInterval(sample, 200);
  const outcome = await run(command, args, {
    timeoutMs,
    onSpawn: (child) => {
      pid = child.pid;
      // The last reading, as late as can be: when its output closes it is about to exit.
      child.stdout.once('end', sample);
    },
  });
  clearInterval(sampler);
  return { ...outcome, rssPeakBytes, cpuSeconds: cpu };
}

/** Runs the tool with `args` (+ -q --json -), watching it from outside; resolves to { result, rssPeakBytes, cpuSeconds }. */
async function runTool(args, { pinIt = false, timeoutMs = 120_000, watch = null } = {}) {
  const [command, fullArgs] = pinIt
    ? pinned(process.execPath, [BIN, ...args, '-q', '--json', '-'])
    : [process.execPath, [BIN, ...args, '-q', '--json', '-']];
  const outcome = await watched(command, fullArgs, { timeoutMs, watch });
  if (outcome.code !== 0 || outcome.timedOut)
    throw new Error(
      `http-kit-load ${args.join(' ')} failed (exit ${outcome.code}${outcome.timedOut ? ', timed out' : ''}): ${outcome.stderr.trim()}`,
    );
  const result = JSON.parse(outcome.stdout.trim().split('\n').at(-1));
  return { result, rssPeakBytes: outcome.rssPeakBytes, cpuSeconds: outcome.cpuSeconds };
}

// --- 1. keep-alive GETs against node:http ---------------------------------------------------------

async function keepAlive() {
  const server = startChild(libPath('server-child.mjs'), ['node', '--max-seconds', '600', '--keep-alive-ms', '60000'], {
    cpu: pin ? 0 : null,
  });
  try {
    const { port } = await nextMessage(server, 'listening', 10_000);
    await checkHello(port);
    const url = `http://127.0.0.1:${port}/`;
    const wrk = await findWrk();
    const haveAutocannon = existsSync(AUTOCANNON);
    if (!haveAutocannon)
      console.log(
        `  autocannon not found at ${AUTOCANNON} (npm i --prefix /tmp/peers autocannon, or AUTOCANNON=path): its column is skipped`,
      );
    // Warm the server's JIT so the first contender does not pay for it.
    await runTool([url, '-c', String(KEEP_ALIVE_CONNECTIONS), '-d', '1'], { pinIt: true });
    for (let round = 1; round <= ROUNDS; round++) {
      const oursRun = await runTool([url, '-c', String(KEEP_ALIVE_CONNECTIONS), '-d', String(SECONDS)], { pinIt: true });
      const ours = oursRun.result;
      const row = {
        round,
        ours: ours.answersPerSecond,
        // CPU of the whole process (start and opening included) per request it completed.
        oursCpuUsPerRequest: (oursRun.cpuSeconds * 1e6) / ours.counters.answers,
        autocannonCpuUsPerRequest: NaN,
        oursP99Ms: ours.latency.p99 / 1000,
        oursCpuPercent: ours.client.cpuPercent,
        oursErrors: Object.values(ours.counters.errors).reduce((a, b) => a + b, 0),
        autocannon: NaN,
        autocannonP99Ms: NaN,
        wrk: NaN,
        wrkP99Ms: NaN,
      };
      if (haveAutocannon) {
        const [command, args] = pinned(process.execPath, [
          AUTOCANNON,
          '-c',
          String(KEEP_ALIVE_CONNECTIONS),
          '-d',
          String(SECONDS),
          '-j',
          url,
        ]);
        const outcome = await watched(command, args, { timeoutMs: (SECONDS + 30) * 1000 });
        if (outcome.code !== 0) throw new Error(`autocannon failed (exit ${outcome.code}): ${outcome.stderr.trim()}`);
        const report = JSON.parse(outcome.stdout.trim().split('\n').at(-1));
        row.autocannon = report.requests.total / report.duration;
        row.autocannonCpuUsPerRequest = (outcome.cpuSeconds * 1e6) / report.requests.total;
        row.autocannonP99Ms = report.latency.p99;
      }
      if (wrk !== '') {
        const w = wrkFigures(await runWrk(wrk, { port, connections: KEEP_ALIVE_CONNECTIONS, seconds: SECONDS, cpu: pin ? 1 : null }));
        row.wrk = w.requestsPerSecond;
        row.wrkP99Ms = w.p99;
      }
      figures.keepAlive.push(row);
      console.log(
        `  round ${round}: http-kit-load ${fmt(row.ours)} req/s (p99 ${fmt(row.oursP99Ms, 2)} ms, ${fmt(row.oursCpuUsPerRequest, 1)} µs CPU/req, ${row.oursErrors} errors); ` +
          `autocannon ${fmt(row.autocannon)} (p99 ${fmt(row.autocannonP99Ms, 2)} ms, ${fmt(row.autocannonCpuUsPerRequest, 1)} µs CPU/req); wrk ${fmt(row.wrk)} (p99 ${fmt(row.wrkP99Ms, 2)} ms); ` +
          `ours/autocannon ${fmt(row.ours / row.autocannon, 2)}x, ours/wrk ${fmt(row.ours / row.wrk, 2)}x`,
      );
      if (row.oursErrors > 0) failures.push(`keep-alive round ${round}: the tool counted ${row.oursErrors} errors`);
    }
  } finally {
    await stopChild(server);
  }
}

// --- 2. N connections held ------------------------------------------------------------------------

async function holds(count) {
  const server = startChild(libPath('load-targets-child.mjs'), ['targets', '--max-seconds', '600']);
  try {
    const { port } = await nextMessage(server, 'listening', 10_000);
    const kinds = [
      ['WebSockets (idle)', 'websockets', `ws://127.0.0.1:${port}/ws`, ['--mode', 'websocket', '--ws-mode', 'idle']],
      ['parked long polls', 'parked', `http://127.0.0.1:${port}/poll`, ['--mode', 'longpoll']],
      ['SSE streams', 'streams', `http://127.0.0.1:${port}/events`, ['--mode', 'sse']],
    ];
    for (const [label, field, url, args] of kinds) {
      let serverPeak = 0;
      let asking = false;
      const watch = () => {
        if (asking) return;
        asking = true;
        server.send({ type: 'count' });
        nextMessage(server, 'count', 5_000)
          .then((c) => (serverPeak = Math.max(serverPeak, c[field])))
          .catch(() => {})
          .finally(() => (asking = false));
      };
      const { result, rssPeakBytes } = await runTool([url, '-c', String(count), '-d', String(HOLD_SECONDS), ...args], { watch });
      const row = {
        label,
        connections: count,
        opened: result.open.opened,
        serverHeld: serverPeak,
        openSeconds: result.open.ms / 1000,
        rssPeakMb: mb(rssPeakBytes),
        rssOwnPeakMb: mb(result.client.rssPeakBytes),
        errors: result.counters.errors,
      };
      figures.holds.push(row);
      const met = count < 10_000 || row.rssPeakMb < RSS_TARGET_MB;
      console.log(
        `  ${label}: ${fmt(row.opened)}/${fmt(count)} opened in ${fmt(row.openSeconds, 1)} s, server held ${fmt(serverPeak)} at most; ` +
          `tool RSS peak ${fmt(row.rssPeakMb, 1)} MB from /proc (its own reading ${fmt(row.rssOwnPeakMb, 1)} MB)` +
          (count >= 10_000 ? ` (target < ${RSS_TARGET_MB} MB: ${met ? 'met' : 'MISSED'})` : ''),
      );
      if (row.opened !== count) failures.push(`${label}: ${row.opened} of ${count} opened (${JSON.stringify(row.errors)})`);
      else if (Object.keys(row.errors).length > 0) failures.push(`${label}: errors ${JSON.stringify(row.errors)}`);
    }
  } finally {
    await stopChild(server);
  }
}

// --- 3. --rate against a stalling server --------------------------------------------------------

async function stalls() {
  const server = startChild(libPath('load-targets-child.mjs'), ['stall', '--period', String(STALL.period), '--stall', String(STALL.stall)]);
  try {
    const { port } = await nextMessage(server, 'listening', 10_000);
    const url = `http://127.0.0.1:${port}/`;
    const common = [url, '-c', '20', '-d', String(STALL.seconds), '--timeout', String(STALL.stall * 5)];
    const open = (await runTool([...common, '--rate', String(STALL.rate)])).result;
    const closed = (await runTool(common)).result;
    const row = {
      stallMs: STALL.stall,
      periodMs: STALL.period,
      rate: STALL.rate,
      open: {
        p50Ms: open.latency.p50 / 1000,
        p90Ms: open.latency.p90 / 1000,
        p99Ms: open.latency.p99 / 1000,
        maxMs: open.latency.max / 1000,
        requests: open.counters.answers,
      },
      closed: {
        p50Ms: closed.latency.p50 / 1000,
        p90Ms: closed.latency.p90 / 1000,
        p99Ms: closed.latency.p99 / 1000,
        maxMs: closed.latency.max / 1000,
        requests: closed.counters.answers,
      },
    };
    figures.rate = row;
    const line = (name, r) =>
      `${name}: p50 ${fmt(r.p50Ms, 1)} ms, p90 ${fmt(r.p90Ms, 1)} ms, p99 ${fmt(r.p99Ms, 1)} ms, max ${fmt(r.maxMs, 1)} ms (${fmt(r.requests)} responses)`;
    const met = row.open.p99Ms >= STALL.stall / 2;
    console.log(`  ${line(`open model, --rate ${STALL.rate}`, row.open)} (target p99 >= ${STALL.stall / 2} ms: ${met ? 'met' : 'MISSED'})`);
    console.log(`  ${line('closed model (no --rate)', row.closed)}`);
  } finally {
    await stopChild(server);
  }
}

// --- the run --------------------------------------------------------------------------------------

console.log(
  `load-tool-bench${smoke ? ' (smoke)' : ''}: node ${process.version}, load average ${loadavg()[0].toFixed(2)}, ${pin ? 'server on CPU 0, load generators on CPU 1' : 'not pinned (no taskset or one CPU)'}`,
);
if (!existsSync(BIN)) fail('packages/load/dist/cli.js is missing: build first with `node scripts/build.mjs --no-types`');
warnIfStaleBuild('load-tool-bench');
const { soft } = openFileLimits();
const held = Math.min(wanted, soft - 200);
if (held < wanted)
  console.log(`  ulimit -n is ${soft}: holding ${fmt(held)} connections instead of ${fmt(wanted)} (raise it with \`ulimit -n 20000\`)`);

const started = Date.now();
try {
  console.log(`1. keep-alive GETs against node:http, ${KEEP_ALIVE_CONNECTIONS} connections, ${ROUNDS} round(s) of ${SECONDS} s each`);
  await keepAlive();
  console.log(`2. ${fmt(held)} connections held for ${HOLD_SECONDS} s by one tool process`);
  await holds(held);
  console.log(`3. --rate against node:http stalling ${STALL.stall} ms every ${STALL.period} ms, 20 connections, ${STALL.seconds} s`);
  await stalls();
} catch (error) {
  failures.push(error.message);
}

const ratio = (field) => median(figures.keepAlive.map((r) => r.ours / r[field]));
const vsAutocannon = ratio('autocannon');
console.log(`summary (${((Date.now() - started) / 1000).toFixed(1)} s):`);
const cpuRatio = median(figures.keepAlive.map((r) => r.autocannonCpuUsPerRequest / r.oursCpuUsPerRequest));
console.log(
  `  keep-alive: autocannon spends ${fmt(cpuRatio, 2)}x the tool's CPU per request (median of rounds); http-kit-load/autocannon ${fmt(vsAutocannon, 2)}x (target >= 1.0x: ${Number.isNaN(vsAutocannon) ? 'not measured' : vsAutocannon >= 1 ? 'met' : 'MISSED'}), http-kit-load/wrk ${fmt(ratio('wrk'), 2)}x (median of rounds)`,
);
for (const h of figures.holds) console.log(`  ${h.label}: ${fmt(h.opened)} held, tool RSS peak ${fmt(h.rssPeakMb, 1)} MB`);
if (figures.rate !== null)
  console.log(
    `  stall ${STALL.stall} ms: open-model p99 ${fmt(figures.rate.open.p99Ms, 1)} ms, closed-model p99 ${fmt(figures.rate.closed.p99Ms, 1)} ms`,
  );
if (json) console.log(JSON.stringify({ bench: 'load-tool', smoke, held, ...figures, vsAutocannon, cpuRatio, failures }));
if (failures.length > 0) {
  for (const failure of failures) console.error(`load-tool-bench: FAILED: ${failure}`);
  process.exitCode = 1;
}
