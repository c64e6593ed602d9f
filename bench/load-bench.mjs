#!/usr/bin/env node
// Hello-world throughput and p99 latency under keep-alive load, measured with wrk:
//   net   bare node:net server writing a canned response, no parsing (upper bound)
//   ours  runServer from @http-kit/http1
//   node  node:http
// Each server runs in its own child process (bench/lib/server-child.mjs) on 127.0.0.1, port 0;
// each is driven in turn by `wrk -t1 -c100 -d<secs>s --latency` (wrk keeps connections alive).
//
// Usage: node bench/load-bench.mjs [--smoke] [--duration S] [--rounds N] [--connections N] [--pin] [--json]
//   --smoke     1 s per server, no warm-up, one round (CI); rough figures.
//   --duration  seconds of measured load per server and round (default 5).
//   --rounds    rounds over all servers (net, ours, node, net, ours, node, ...); figures are the
//               median per server, the ratio the median of each round's ratio (default 3).
//   --pin       with taskset and >= 2 CPUs, run the server on CPU 1 and wrk on CPU 0. Off by
//               default: on the 2-CPU CI VM pinning gave lower and noisier figures (the server's
//               GC and compiler threads then share its one CPU); see bench/README.md.
// Target: ours/node:http >= 1.6x requests/s. Missing it is reported, not an error (exit 0).
// Without wrk installed it prints a skip message and exits 0.
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { loadavg } from 'node:os';
import { canPin, libPath, nextMessage, run, startChild, stopChild, TASKSET, warnIfStaleBuild } from './lib/children.mjs';

const WRK = '/usr/bin/wrk';
const TARGET_VS_NODE = 1.6;
const SERVERS = [
  { kind: 'net', label: 'bare net (no parsing)' },
  { kind: 'ours', label: '@http-kit/http1' },
  { kind: 'node', label: 'node:http' },
];

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const json = argv.includes('--json');
const pin = argv.includes('--pin') && canPin();
const duration = Math.max(1, Math.round(numberArg('--duration', smoke ? 1 : 5)));
const rounds = Math.max(1, Math.round(numberArg('--rounds', smoke ? 1 : 3)));
const connections = Math.max(1, Math.round(numberArg('--connections', 100)));
const warmup = smoke ? 0 : 2;

function numberArg(name, fallback) {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : Number(argv[i + 1]);
}

const wrkPath = existsSync(WRK) ? WRK : (await run('sh', ['-c', 'command -v wrk'], { timeoutMs: 2000 })).stdout.trim();
if (!wrkPath) {
  console.log('load-bench: SKIPPED, wrk is not installed (apt-get install wrk)');
  process.exit(0);
}

/** Parses wrk's report: requests/s, latency percentiles (ms), errors. */
function parseWrk(text) {
  const number = (re) => {
    const m = re.exec(text);
    return m === null ? NaN : Number(m[1]);
  };
  const toMs = (value, unit) => value * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit];
  const percentile = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m === null ? NaN : toMs(Number(m[1]), m[2]);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSecond: number(/^Requests\/sec:\s+([\d.]+)/m),
    requests: number(/^\s+(\d+) requests in/m),
    p50: percentile(50),
    p99: percentile(99),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/) || 0,
    socketErrors: socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0),
  };
}

/** One GET, so a broken server fails loudly here rather than as a fast wrk figure. */
function checkResponse(port) {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (text) => (body += text));
      res.on('end', () => {
        if (res.statusCode === 200 && body === 'hello world') resolve();
        else reject(new Error(`expected 200 "hello world", got ${res.statusCode} ${JSON.stringify(body.slice(0, 80))}`));
      });
    });
    request.on('timeout', () => request.destroy(new Error('no response within 3 s')));
    request.on('error', reject);
  });
}

function wrk(port, seconds) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', `http://127.0.0.1:${port}/`];
  const [command, fullArgs] = pin ? [TASKSET, ['-c', '0', wrkPath, ...args]] : [wrkPath, args];
  return run(command, fullArgs, { timeoutMs: (seconds + 15) * 1000 });
}

async function measure(server) {
  const child = startChild(libPath('server-child.mjs'), [server.kind, '--max-seconds', String(duration + warmup + 60)], { cpu: pin ? 1 : null });
  try {
    const { port } = await nextMessage(child, 'listening', 10_000);
    await checkResponse(port);
    if (warmup > 0) await wrk(port, warmup);
    const cpuStart = await serverCpu(child);
    const result = await wrk(port, duration);
    const cpuEnd = await serverCpu(child);
    if (result.code !== 0 || result.timedOut) {
      throw new Error(`wrk failed (exit ${result.code}${result.timedOut ? ', timed out' : ''}): ${result.stderr.trim() || result.stdout.trim()}`);
    }
    const figures = parseWrk(result.stdout);
    if (!Number.isFinite(figures.requestsPerSecond)) throw new Error(`could not read wrk's output:\n${result.stdout}`);
    // The server's own CPU time per request: what it costs, whether or not wrk kept it busy.
    figures.cpuMicrosPerRequest = (cpuEnd - cpuStart) / (figures.requestsPerSecond * duration);
    return figures;
  } finally {
    await stopChild(child);
  }
}

async function serverCpu(child) {
  child.send({ type: 'cpu' });
  return (await nextMessage(child, 'cpu', 5_000)).micros;
}

/** Total and stolen CPU jiffies so far (Linux), to tell how much the hypervisor took meanwhile. */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return null;
  }
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

console.log(
  `load-bench${smoke ? ' (smoke: rough figures)' : ''}: wrk -t1 -c${connections} -d${duration}s --latency, ${rounds} round(s), ` +
    `${warmup ? `${warmup} s warm-up, ` : ''}${pin ? 'server on CPU 1, wrk on CPU 0' : 'not pinned'}, node ${process.version}, load average ${loadavg()[0].toFixed(2)}`,
);

warnIfStaleBuild('load-bench');
const samples = Object.fromEntries(SERVERS.map((s) => [s.kind, []]));
const roundRatios = [];
const cpuBefore = cpuTimes();
for (let round = 0; round < rounds; round++) {
  for (const server of SERVERS) samples[server.kind].push(await measure(server));
  roundRatios.push(samples.ours[round].requestsPerSecond / samples.node[round].requestsPerSecond);
}
const cpuAfter = cpuTimes();
const stealPercent = cpuBefore && cpuAfter ? (100 * (cpuAfter.steal - cpuBefore.steal)) / Math.max(1, cpuAfter.total - cpuBefore.total) : NaN;

const summary = {};
for (const server of SERVERS) {
  const list = samples[server.kind];
  summary[server.kind] = {
    requestsPerSecond: median(list.map((f) => f.requestsPerSecond)),
    p50: median(list.map((f) => f.p50)),
    p99: median(list.map((f) => f.p99)),
    errors: list.reduce((sum, f) => sum + f.non2xx + f.socketErrors, 0),
    cpuMicrosPerRequest: median(list.map((f) => f.cpuMicrosPerRequest)),
  };
}
console.table(
  SERVERS.map((server) => {
    const s = summary[server.kind];
    return {
      server: server.label,
      'requests/s': Math.round(s.requestsPerSecond).toLocaleString('en-US'),
      'p50 ms': s.p50.toFixed(2),
      'p99 ms': s.p99.toFixed(2),
      'vs node:http': `${(s.requestsPerSecond / summary.node.requestsPerSecond).toFixed(2)}x`,
      'server CPU µs/req': s.cpuMicrosPerRequest.toFixed(1),
      'req per CPU-s vs node:http': `${(summary.node.cpuMicrosPerRequest / s.cpuMicrosPerRequest).toFixed(2)}x`,
      errors: s.errors,
    };
  }),
);
// Each round's servers ran back to back under similar conditions: the median of those ratios
// is steadier than a ratio of medians on a shared machine.
const ratio = median(roundRatios);
const met = ratio >= TARGET_VS_NODE;
console.log(
  `ours/node:http ${ratio.toFixed(2)}x (median of rounds: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}; target >= ${TARGET_VS_NODE}x: ${met ? 'met' : 'MISSED'}); ` +
    `ours/bare net ${(summary.ours.requestsPerSecond / summary.net.requestsPerSecond).toFixed(2)}x; CPU steal ${stealPercent.toFixed(1)}%`,
);
// With one wrk thread on a 2-core machine the load generator, not the server, can be the limit
// (then even the bare net server runs at well under 2x node:http); server CPU per request says
// what each server costs regardless.
console.log(
  `server CPU per request: ours ${summary.ours.cpuMicrosPerRequest.toFixed(1)} µs, node:http ${summary.node.cpuMicrosPerRequest.toFixed(1)} µs, ` +
    `bare net ${summary.net.cpuMicrosPerRequest.toFixed(1)} µs: ours serves ${(summary.node.cpuMicrosPerRequest / summary.ours.cpuMicrosPerRequest).toFixed(2)}x the requests of node:http per CPU-second`,
);
for (const server of SERVERS) {
  if (summary[server.kind].errors > 0) console.log(`load-bench: ${server.label} had ${summary[server.kind].errors} non-2xx responses or socket errors`);
}
if (!met) console.log('load-bench: the target was missed (reported only; exit code stays 0)');
if (json) console.log(JSON.stringify({ bench: 'load', smoke, duration, rounds, connections, pinned: pin, ratio, roundRatios, stealPercent, summary, samples }));
