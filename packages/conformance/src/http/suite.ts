/** Running the HTTP/1.1 server suite against a server. */
import type { SuiteReport } from '../report/suite-report.js';
import { type RunOptions, runCases } from '../run.js';
import { countVerdicts } from '../verdict.js';
import { httpServerCases } from './cases.js';
import { HttpCaseContext, type HttpServerSuiteOptions } from './context.js';

/**
 * Runs the HTTP/1.1 server suite and returns every verdict.
 *
 * @example
 * const report = await runHttpServerSuite({ url: 'http://127.0.0.1:8080/', cases: '4.*' });
 */
export async function runHttpServerSuite(
  options: HttpServerSuiteOptions & { cases?: string | readonly string[] } & RunOptions,
): Promise<SuiteReport> {
  const started = new Date();
  const cases = httpServerCases(options);
  if (cases.length === 0) throw new Error(`no case matches ${JSON.stringify(options.cases)}; ids look like 1.1, 4.13`);
  const t0 = performance.now();
  const results = await runCases(cases, () => new HttpCaseContext(options), options);
  return {
    suite: 'http-server',
    target: String(options.url),
    started: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    counts: countVerdicts(results),
    results,
  };
}
