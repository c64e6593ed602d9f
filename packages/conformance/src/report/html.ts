/**
 * The report as one self-contained HTML page: a summary by group with each verdict's count in its
 * colour, then each case: its verdict, why, what was expected, and its transcript (frames or bytes
 * both ways).
 */
import type { CaseResult, Verdict } from '../verdict.js';
import { VERDICT_ORDER } from '../verdict.js';
import type { SuiteReport } from './suite-report.js';

const COLOURS: Record<Verdict, string> = {
  OK: '#2e7d32',
  'NON-STRICT': '#9e9d24',
  INFORMATIONAL: '#1565c0',
  UNIMPLEMENTED: '#6d4c41',
  FAILED: '#c62828',
};

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function badge(verdict: Verdict): string {
  return `<span class="v" style="background:${COLOURS[verdict]}">${verdict}</span>`;
}

function groupsOf(results: readonly CaseResult[]): Map<string, CaseResult[]> {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    const list = groups.get(r.group) ?? [];
    list.push(r);
    groups.set(r.group, list);
  }
  return groups;
}

/**
 * The page for a suite's report.
 *
 * @example
 * writeFileSync('report.html', renderHtml(report));
 */
export function renderHtml(report: SuiteReport): string {
  const groups = groupsOf(report.results);
  const summaryRows = [...groups]
    .map(([group, list]) => {
      const cells = VERDICT_ORDER.map((v) => {
        const n = list.filter((r) => r.verdict === v).length;
        return `<td style="${n > 0 ? `background:${COLOURS[v]};color:#fff` : 'color:#bbb'}">${n}</td>`;
      }).join('');
      return `<tr><td><a href="#g-${html(group)}">${html(group)}</a></td><td>${list.length}</td>${cells}</tr>`;
    })
    .join('\n');
  const totals = VERDICT_ORDER.map((v) => `<td><b>${report.counts[v]}</b></td>`).join('');
  const sections = [...groups]
    .map(([group, list]) => {
      const rows = list
        .map(
          (
            r,
          ) => `<details id="c-${html(r.id)}"${r.verdict === 'FAILED' ? ' open' : ''}><summary>${badge(r.verdict)} <code>${html(r.id)}</code> ${html(r.title)} <small>${r.durationMs} ms</small></summary>
<div class="case">${r.requirement ? `<p><b>${r.requirement}</b> ${html(r.reference ?? '')}</p>` : ''}${r.expectation ? `<p><b>Expected:</b> ${html(r.expectation)}</p>` : ''}
<p><b>Judged:</b> ${html(r.reason)}</p>${r.behavior ? `<p><b>Behavior:</b> ${html(r.behavior)} &nbsp; <b>Close:</b> ${html(r.behaviorClose ?? '')}</p>` : ''}${r.measured ? `<p><b>Measured:</b> ${html(JSON.stringify(r.measured))}</p>` : ''}
<pre>${html(r.transcript.join('\n') || '(nothing recorded)')}</pre></div></details>`,
        )
        .join('\n');
      return `<h2 id="g-${html(group)}">${html(group)}</h2>\n${rows}`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>http-kit-conformance: ${html(report.suite)} ${html(report.target)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.v{color:#fff;border-radius:3px;padding:0 5px;font-size:12px;font-weight:bold}
details{margin:2px 0}summary{cursor:pointer}.case{margin:4px 0 10px 24px}pre{background:#f6f6f6;padding:6px;overflow:auto;max-height:24em;font-size:12px}
</style></head><body>
<h1>${html(report.suite)}: ${html(report.target)}</h1>
<p>Started ${html(report.started)}, ${report.results.length} cases in ${(report.durationMs / 1000).toFixed(1)} s. Verdicts as Autobahn|Testsuite's: OK, NON-STRICT (allowed, not the best answer), INFORMATIONAL (implementation defined), UNIMPLEMENTED (the peer declined a feature the case needs), FAILED.</p>
<table><tr><th>Group</th><th>Cases</th>${VERDICT_ORDER.map((v) => `<th>${v}</th>`).join('')}</tr>
${summaryRows}
<tr><td><b>Total</b></td><td><b>${report.results.length}</b></td>${totals}</tr></table>
${sections}
</body></html>
`;
}
