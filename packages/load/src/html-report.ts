/**
 * The --report page: one self-contained HTML file (inline CSS and SVG, no script, no external
 * asset) with the summary, the latency over time (p50, p99 and max per second, answers per second
 * beneath) and the percentile curve on the log scale HdrHistogram uses (x = 1 / (1 - p)).
 */
import { Histogram } from './histogram.js';
import type { LoadResult } from './run-load.js';
import { formatMicros, formatSummary } from './text-report.js';

const W = 720;
const H = 260;
const PAD = { left: 70, right: 40, top: 16, bottom: 36 };

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A "nice" upper bound for an axis. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

/** A line chart as an SVG element; x and y are mapped by the given functions to [0, 1]. */
function chart(
  series: Series[],
  x: (v: number) => number,
  y: (v: number) => number,
  xTicks: Array<[number, string]>,
  yTicks: Array<[number, string]>,
  title: string,
): string {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const px = (v: number) => (PAD.left + x(v) * iw).toFixed(1);
  const py = (v: number) => (PAD.top + (1 - y(v)) * ih).toFixed(1);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">`,
  );
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${iw}" height="${ih}" fill="#fafafa" stroke="#ccc"/>`);
  for (const [v, label] of yTicks) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(v)}" y2="${py(v)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${py(v)}" text-anchor="end" dominant-baseline="middle">${escapeHtml(label)}</text>`);
  }
  for (const [v, label] of xTicks) {
    parts.push(`<line x1="${px(v)}" x2="${px(v)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${px(v)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${escapeHtml(label)}</text>`);
  }
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map(([a, b], j) => `${j === 0 ? 'M' : 'L'}${px(a)},${py(b)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    }
    parts.push(`<rect x="${PAD.left + 10 + i * 110}" y="${PAD.top + 8}" width="12" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${PAD.left + 26 + i * 110}" y="${PAD.top + 11}" dominant-baseline="middle">${escapeHtml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function latencyTicks(max: number): Array<[number, string]> {
  return [0, 0.25, 0.5, 0.75, 1].map((f) => [f * max, formatMicros(f * max)]);
}

/** The latency of each second, and its answers per second. */
function overTime(r: LoadResult): string {
  const t = r.timeline;
  const tMax = Math.max(1, ...t.map((s) => s.t));
  const lMax = niceMax(Math.max(...t.map((s) => s.max), 1));
  const xTicks: Array<[number, string]> = [0, 0.25, 0.5, 0.75, 1].map((f) => [
    f * tMax,
    `${Number((f * tMax).toFixed(tMax < 10 ? 1 : 0))} s`,
  ]);
  const latency = chart(
    [
      { label: 'p50', color: '#2a7ab0', points: t.map((s) => [s.t, s.p50]) },
      { label: 'p99', color: '#d9822b', points: t.map((s) => [s.t, s.p99]) },
      { label: 'max', color: '#c23030', points: t.map((s) => [s.t, s.max]) },
    ],
    (v) => v / tMax,
    (v) => v / lMax,
    xTicks,
    latencyTicks(lMax),
    'latency over time',
  );
  const aMax = niceMax(Math.max(...t.map((s) => s.answers), 1));
  const answers = chart(
    [
      { label: 'answers/s', color: '#0f9960', points: t.map((s) => [s.t, s.answers]) },
      { label: 'errors/s', color: '#c23030', points: t.map((s) => [s.t, s.errors]) },
    ],
    (v) => v / tMax,
    (v) => v / aMax,
    xTicks,
    [0, 0.5, 1].map((f) => [f * aMax, (f * aMax).toLocaleString('en-US')]),
    'answers per second',
  );
  return `${latency}<h2>Answers per second</h2>${answers}`;
}

/** The percentile curve, x on the log of 1 / (1 - p). */
function percentileCurve(r: LoadResult): string {
  const curve = Histogram.fromJSON(r.histogram)
    .curve()
    .filter(([p]) => p < 100);
  if (curve.length === 0) return '<p>No latency samples.</p>';
  const xOf = (p: number) => Math.log10(1 / (1 - p / 100));
  const xMax = Math.max(2, Math.ceil(xOf(curve[curve.length - 1][0])));
  const lMax = niceMax(Math.max(...curve.map(([, v]) => v), 1));
  const xTicks: Array<[number, string]> = [];
  for (let k = 0; k <= xMax; k++)
    xTicks.push([100 * (1 - 10 ** -k), k === 0 ? '0%' : `${(100 * (1 - 10 ** -k)).toFixed(Math.max(0, k - 2))}%`]);
  return chart(
    [{ label: 'latency', color: '#2a7ab0', points: curve }],
    (p) => xOf(p) / xMax,
    (v) => v / lMax,
    xTicks,
    latencyTicks(lMax),
    'percentile curve',
  );
}

/**
 * The report page for `result`, as one HTML string.
 *
 * @example
 * writeFileSync('report.html', htmlReport(await runLoad({ url })));
 */
export function htmlReport(result: LoadResult): string {
  const l = result.latency;
  const rows = [
    ['p50', l.p50],
    ['p90', l.p90],
    ['p99', l.p99],
    ['p99.9', l.p999],
    ['max', l.max],
  ]
    .map(([name, v]) => `<tr><th>${name}</th><td>${escapeHtml(formatMicros(v as number))}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>http-kit-load: ${escapeHtml(result.url)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:780px}pre{background:#f4f4f4;padding:12px;white-space:pre-wrap}
svg{display:block;margin:8px 0 20px}svg text{font:11px system-ui,sans-serif;fill:#444}table{border-collapse:collapse}th,td{padding:2px 12px;text-align:right}</style>
</head><body>
<h1>http-kit-load</h1>
<pre>${escapeHtml(formatSummary(result))}</pre>
<table>${rows}</table>
<h2>Latency over time</h2>
${overTime(result)}
<h2>Percentile curve</h2>
${percentileCurve(result)}
</body></html>
`;
}
