/**
 * `--workers N`: the connections split over N child processes (node:child_process `fork` of the
 * built CLI with `--worker-child`), for when one core cannot make the load. Each child runs
 * `runLoad` on its share and sends, over IPC, each second's counters and histogram, its progress,
 * and its result; the parent adds the histograms up (bucket counts add exactly) and the counters,
 * so percentiles are of every sample, not an average of percentiles.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@http-kit/core';
import { Histogram } from './histogram.js';
import { resolveOptions, type LoadOptions } from './options.js';
import { addCounters, emptyCounters, sampleOf, type SecondReport } from './recorder.js';
import { runLoad, type LoadResult, type Progress, type RunHooks } from './run-load.js';

/** The argument that makes the CLI a worker child. */
export const WORKER_CHILD_FLAG = '--worker-child';

type FromChild =
  | { type: 'second'; report: SecondReport }
  | { type: 'progress'; progress: Progress }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

/** The built CLI next to this module (dist/ or dist/chunks/), or null when running from sources. */
function defaultChildScript(): string | null {
  for (const relative of ['./cli.js', '../cli.js']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * Runs `options` split over `workers` child processes and merges their figures. `childScript`
 * is the built CLI (found next to this module by default).
 *
 * @example
 * const result = await runWorkers({ url: 'http://127.0.0.1:8080/', connections: 2000, duration: 10 }, 2);
 */
export async function runWorkers(options: LoadOptions, workers: number, hooks: RunHooks = {}, childScript?: string): Promise<LoadResult> {
  const resolved = resolveOptions(options);
  if (!Number.isInteger(workers) || workers < 1)
    throw new InvalidArgumentError(`workers must be a positive integer, got ${JSON.stringify(workers)}`);
  if (workers > resolved.connections)
    throw new InvalidArgumentError(
      `workers (${workers}) must not exceed connections (${resolved.connections}): each worker needs one at least`,
    );
  const script = childScript ?? defaultChildScript();
  if (script === null)
    throw new InvalidArgumentError('workers need the built package (dist/cli.js next to dist/index.js): run the build first');

  const children: ChildProcess[] = [];
  const seconds: SecondReport[][] = [];
  const progress: Array<Progress | null> = [];
  const results: LoadResult[] = [];
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const ticker = setInterval(() => {
    const latest = progress.filter((p): p is Progress => p !== null);
    if (latest.length === 0 || hooks.onProgress === undefined) return;
    hooks.onProgress({
      phase: latest.some((p) => p.phase === 'opening') ? 'opening' : 'load',
      t: Math.max(...latest.map((p) => p.t)),
      open: latest.reduce((n, p) => n + p.open, 0),
      connections: resolved.connections,
      answersPerSecond: latest.reduce((n, p) => n + p.answersPerSecond, 0),
      p99: Math.max(...latest.map((p) => p.p99)),
      errors: latest.reduce((n, p) => n + p.errors, 0),
      cpuPercent: latest.reduce((n, p) => n + p.cpuPercent, 0),
      rssBytes: latest.reduce((n, p) => n + p.rssBytes, 0),
    });
  }, 1000);
  const abort = () => {
    for (const child of children) if (child.connected) child.send({ type: 'abort' });
  };
  hooks.signal?.addEventListener('abort', abort, { once: true });
  try {
    const runs: Array<Promise<void>> = [];
    for (let i = 0; i < workers; i++) {
      const share = Math.floor(resolved.connections / workers) + (i < resolved.connections % workers ? 1 : 0);
      const childOptions: LoadOptions = {
        ...options,
        connections: share,
        rate: resolved.rate / workers,
        requests: resolved.requests,
        requestsFile: undefined,
      };
      const child = fork(script, [WORKER_CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      seconds.push([]);
      progress.push(null);
      runs.push(
        new Promise<void>((resolve, reject) => {
          child.on('message', (message: FromChild) => {
            if (message.type === 'second') seconds[i].push(message.report);
            else if (message.type === 'progress') progress[i] = message.progress;
            else if (message.type === 'result') {
              results[i] = message.result;
              resolve();
            } else if (message.type === 'error') reject(new Error(`worker ${i + 1}: ${message.message}`));
          });
          child.on('exit', (code, signal) => {
            if (results[i] === undefined)
              reject(new Error(`worker ${i + 1} (pid ${child.pid}) exited (${signal ?? `code ${code}`}) without a result`));
          });
          child.send({ type: 'run', options: childOptions });
        }),
      );
    }
    await Promise.all(runs);
  } finally {
    clearInterval(ticker);
    hooks.signal?.removeEventListener('abort', abort);
    killAll();
    process.off('exit', killAll);
  }
  return mergeResults(results, seconds);
}

/** One result from several processes' results, their histograms added up. */
export function mergeResults(results: LoadResult[], seconds: SecondReport[][]): LoadResult {
  const first = results[0];
  const counters = emptyCounters();
  const histogram = new Histogram();
  const connect = new Histogram();
  for (const r of results) {
    addCounters(counters, r.counters);
    histogram.add(r.histogram);
    connect.add(r.connectHistogram);
  }
  const length = Math.max(...seconds.map((s) => s.length));
  const timeline = [];
  for (let k = 0; k < length; k++) {
    const sum = emptyCounters();
    const latency = new Histogram();
    for (const list of seconds) {
      if (k >= list.length) continue;
      addCounters(sum, list[k].counters);
      latency.add(list[k].latency);
    }
    timeline.push(sampleOf(first.timeline[k]?.t ?? k + 1, sum, latency));
  }
  const secondsRun = Math.max(...results.map((r) => r.seconds));
  return {
    ...first,
    connections: results.reduce((n, r) => n + r.connections, 0),
    rate: results.reduce((n, r) => n + r.rate, 0),
    processes: results.length,
    seconds: secondsRun,
    open: {
      opened: results.reduce((n, r) => n + r.open.opened, 0),
      failed: results.reduce((n, r) => n + r.open.failed, 0),
      ms: Math.max(...results.map((r) => r.open.ms)),
      sourceAddresses: [...new Set(results.flatMap((r) => r.open.sourceAddresses))],
    },
    counters,
    answersPerSecond: secondsRun > 0 ? counters.answers / secondsRun : 0,
    latency: histogram.summary(),
    connectLatency: connect.summary(),
    connectHistogram: connect.toJSON(),
    histogram: histogram.toJSON(),
    timeline,
    client: {
      cpuSeconds: results.reduce((n, r) => n + r.client.cpuSeconds, 0),
      cpuPercent: results.reduce((n, r) => n + r.client.cpuPercent, 0),
      rssPeakBytes: results.reduce((n, r) => n + r.client.rssPeakBytes, 0),
      rssEndBytes: results.reduce((n, r) => n + r.client.rssEndBytes, 0),
    },
    closing: {
      connections: results.reduce((n, r) => n + r.closing.connections, 0),
      peerClosed: results.reduce((n, r) => n + r.closing.peerClosed, 0),
      forced: results.reduce((n, r) => n + r.closing.forced, 0),
      lastPeerCloseMs: results.some((r) => r.closing.lastPeerCloseMs !== null)
        ? Math.max(...results.map((r) => r.closing.lastPeerCloseMs ?? 0))
        : null,
    },
  };
}

/** The child's side: waits for {type:'run'}, runs it, reports over IPC, exits. */
export function serveWorker(): void {
  if (process.send === undefined) {
    console.error(`http-kit-load: ${WORKER_CHILD_FLAG} is for the processes --workers starts (it needs an IPC channel)`);
    process.exit(2);
  }
  const send = (message: FromChild, then?: () => void) => process.send?.(message, undefined, undefined, then);
  const controller = new AbortController();
  process.on('disconnect', () => process.exit(0));
  // Ctrl-C reaches the whole process group: the parent turns it into an abort for every child,
  // which then reports what it measured instead of dying without a result.
  process.on('SIGINT', () => {});
  process.on('message', async (message: { type: string; options?: LoadOptions }) => {
    if (message.type === 'abort') return controller.abort();
    if (message.type !== 'run' || message.options === undefined) return;
    try {
      const result = await runLoad(message.options, {
        signal: controller.signal,
        onSecond: (report) => send({ type: 'second', report }),
        onProgress: (progress) => send({ type: 'progress', progress }),
      });
      send({ type: 'result', result }, () => process.exit(0));
    } catch (error) {
      send({ type: 'error', message: (error as Error).message }, () => process.exit(1));
    }
  });
}
