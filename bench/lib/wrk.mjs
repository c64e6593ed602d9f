// Driving wrk (the HTTP load generator) from the benchmarks: find it, run it against a hello-world
// server on 127.0.0.1, read its report; and the one checked GET that goes first, so a broken server
// fails loudly instead of showing as a fast wrk figure.
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { run, TASKSET } from './children.mjs';

/** wrk's path: /usr/bin/wrk, else whatever `command -v wrk` finds; '' when it is not installed. */
export async function findWrk() {
  if (existsSync('/usr/bin/wrk')) return '/usr/bin/wrk';
  return (await run('sh', ['-c', 'command -v wrk'], { timeoutMs: 2000 })).stdout.trim();
}

/**
 * `wrk -t1 -c<connections> -d<seconds>s --latency --timeout 5s` against `http://127.0.0.1:<port>/`,
 * with `-s script -- ...scriptArgs` when a script is given, under `taskset -c <cpu>` when `cpu` is
 * set. Resolves to children.mjs `run`'s { code, stdout, stderr, timedOut }; `onSpawn(child)` sees
 * the wrk process as it starts.
 */
export function runWrk(wrkPath, { port, connections, seconds, script = null, scriptArgs = [], cpu = null, onSpawn }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s'];
  if (script !== null) args.push('-s', script, `http://127.0.0.1:${port}/`, '--', ...scriptArgs);
  else args.push(`http://127.0.0.1:${port}/`);
  const [command, fullArgs] = cpu === null ? [wrkPath, args] : [TASKSET, ['-c', String(cpu), wrkPath, ...args]];
  return run(command, fullArgs, { timeoutMs: (seconds + 15) * 1000, onSpawn });
}

/**
 * wrk's report: requests, requests/s, p50 and p99 latency (ms), non-2xx answers, socket errors
 * (wrk's total: connect + read + write + timeout) and of them the timeouts. NaN where absent.
 */
export function parseWrk(text) {
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
    timeouts: socket === null ? 0 : Number(socket[4]),
  };
}

/** The figures of a finished wrk run (`runWrk`'s result); throws when wrk failed or its report is unreadable. */
export function wrkFigures(result) {
  if (result.code !== 0 || result.timedOut) {
    throw new Error(
      `wrk failed (exit ${result.code}${result.timedOut ? ', timed out' : ''}): ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  const figures = parseWrk(result.stdout);
  if (!Number.isFinite(figures.requestsPerSecond) || !Number.isFinite(figures.requests))
    throw new Error(`could not read wrk's output:\n${result.stdout}`);
  return figures;
}

/** One GET on a new connection; rejects unless it is 200 "hello world". */
export function checkHello(port) {
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
