/**
 * The WebSocket server suite: Autobahn's numbered cases, the kit's own cases beside them
 * (`<group>.x.<n>`), and group 14 (resource limits and refusals); selected by id and run
 * against an echo server.
 */
import { caseFilter, compareIds } from '../select.js';
import { type RunOptions, runCases } from '../run.js';
import type { SuiteReport } from '../report/suite-report.js';
import { countVerdicts } from '../verdict.js';
import { autobahnCases } from './autobahn/cases.js';
import { type WebSocketCase, WebSocketCaseContext, type WebSocketSuiteOptions } from './context.js';
import { closeCases } from './extended/close.js';
import { deflateCases } from './extended/deflate.js';
import { framingCases } from './extended/framing.js';
import { handshakeCases } from './extended/handshake.js';
import { limitsCases } from './extended/limits.js';
import { utf8Cases } from './extended/utf8.js';
import { limitCases } from './limits.js';

/**
 * Every case of the suite, sorted by id; `cases` keeps those matching its patterns.
 *
 * @example
 * websocketServerCases({ url: 'ws://127.0.0.1:9001/', cases: '6.*' }).length;
 */
export function websocketServerCases(options: WebSocketSuiteOptions & { cases?: string | readonly string[] }): WebSocketCase[] {
  const take = caseFilter(options.cases);
  const all = [
    ...autobahnCases(options),
    ...handshakeCases(options),
    ...framingCases(options),
    ...utf8Cases(options),
    ...closeCases(options),
    ...limitsCases(options),
    ...deflateCases(options),
    ...limitCases(),
  ];
  return all.filter((c) => take(c.id)).sort((a, b) => compareIds(a.id, b.id));
}

/**
 * Runs the WebSocket server suite against an echo server and returns every verdict.
 *
 * @example
 * const report = await runWebSocketServerSuite({ url: 'ws://127.0.0.1:9001/', cases: '1.*,2.*' });
 * if (report.counts.FAILED > 0) console.log(report.results.filter((r) => r.verdict === 'FAILED'));
 */
export async function runWebSocketServerSuite(
  options: WebSocketSuiteOptions & { cases?: string | readonly string[] } & RunOptions,
): Promise<SuiteReport> {
  const started = new Date();
  const cases = websocketServerCases(options);
  if (cases.length === 0) throw new Error(`no case matches ${JSON.stringify(options.cases)}; ids look like 1.1.1, 6.x.12, 14.3`);
  const t0 = performance.now();
  const results = await runCases(cases, () => new WebSocketCaseContext(options), options);
  return {
    suite: 'websocket-server',
    target: String(options.url),
    started: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    counts: countVerdicts(results),
    results,
  };
}
