/**
 * @http-kit/load: load and soak testing with many connections of every kind from one Node process
 * (or a few): keep-alive and pipelined HTTP, long polls, Server-Sent Events and WebSockets, closed
 * or open model, latency in an HDR-style histogram. The `http-kit-load` command is built on this.
 *
 * @example
 * import { runLoad, formatSummary } from '@http-kit/load';
 * const result = await runLoad({ url: 'http://127.0.0.1:8080/', connections: 100, duration: 10 });
 * console.log(formatSummary(result));
 */
export { runLoad } from './run-load.js';
export type { ClosingFigures, LoadResult, OpenedInfo, Progress, RunHooks } from './run-load.js';
export { runWorkers, mergeResults } from './workers.js';
export { LoadMode, WebSocketMode, resolveOptions } from './options.js';
export type { LoadOptions, RequestSpec, ResolvedOptions } from './options.js';
export { Histogram, HISTOGRAM_MAX_US } from './histogram.js';
export type { HistogramJSON, LatencySummary } from './histogram.js';
export type { Counters, SecondSample, SecondReport } from './recorder.js';
export { checkFileLimit, openFileLimit } from './dial.js';
export { formatSummary, formatProgress, formatMicros } from './text-report.js';
export { htmlReport } from './html-report.js';
