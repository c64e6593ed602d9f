/**
 * The run in words: the progress line printed once a second and the summary at the end.
 */
import type { LoadResult, Progress } from './run-load.js';

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * A latency in µs, in the unit that reads best.
 *
 * @example
 * formatMicros(1530); // '1.53 ms'
 */
export function formatMicros(us: number): string {
  if (us < 1000) return `${num(us)} µs`;
  if (us < 1_000_000) return `${num(us / 1000, 2)} ms`;
  return `${num(us / 1_000_000, 2)} s`;
}

/** Bytes as MiB/GiB. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${num(bytes / 2 ** 30, 2)} GiB`;
  return `${num(bytes / 2 ** 20, 1)} MiB`;
}

/** What a run's answers are, by mode. */
export function answerNoun(result: Pick<LoadResult, 'mode'>): string {
  switch (result.mode) {
    case 'longpoll':
      return 'answers';
    case 'sse':
      return 'events';
    case 'websocket':
      return 'messages';
    default:
      return 'responses';
  }
}

/**
 * One progress line.
 *
 * @example
 * formatProgress(progress); // '[3s] 45,120 responses/s  p99 2.10 ms  open 100/100  errors 0  cpu 97%  rss 61.2 MiB'
 */
export function formatProgress(p: Progress, noun = 'answers'): string {
  const open = `open ${num(p.open)}/${num(p.connections)}`;
  const own = `cpu ${num(p.cpuPercent)}%  rss ${formatBytes(p.rssBytes)}`;
  if (p.phase === 'opening') return `[opening ${num(p.t, 0)}s] ${open}  errors ${num(p.errors)}  ${own}`;
  return `[${num(p.t, 0)}s] ${num(p.answersPerSecond)} ${noun}/s  p99 ${formatMicros(p.p99)}  ${open}  errors ${num(p.errors)}  ${own}`;
}

/** The summary printed at the end of a run. */
export function formatSummary(r: LoadResult): string {
  const noun = answerNoun(r);
  const lines: string[] = [];
  const what = r.mode === 'websocket' ? `websocket ${r.wsMode}` : r.mode === 'pipeline' ? `pipeline ${r.pipeline}` : r.mode;
  lines.push(
    `${r.url}  ${what}, ${num(r.connections)} connections${r.rate > 0 ? `, rate ${num(r.rate)}/s (open model)` : ''}${r.processes > 1 ? `, ${r.processes} processes` : ''}, ${num(r.seconds, 1)} s`,
  );
  lines.push(
    `  opened ${num(r.open.opened)}/${num(r.connections)} in ${num(r.open.ms / 1000, 2)} s${r.open.failed > 0 ? ` (${num(r.open.failed)} failed)` : ''}${r.open.sourceAddresses.length > 1 || r.open.sourceAddresses[0] !== 'default' ? `; source addresses ${r.open.sourceAddresses.join(', ')}` : ''}`,
  );
  const c = r.counters;
  lines.push(
    `  ${num(c.answers)} ${noun} (${num(r.answersPerSecond)}/s), ${num(c.sent)} sent; read ${formatBytes(c.bytesRead)}, wrote ${formatBytes(c.bytesWritten)}`,
  );
  const l = r.latency;
  if (l.count > 0) {
    const label = r.mode === 'longpoll' ? 'event -> answer' : r.mode === 'websocket' ? 'round trip' : 'latency';
    lines.push(
      `  ${label}${r.rate > 0 ? ' (from due time)' : ''}: p50 ${formatMicros(l.p50)}  p90 ${formatMicros(l.p90)}  p99 ${formatMicros(l.p99)}  p99.9 ${formatMicros(l.p999)}  max ${formatMicros(l.max)}  (${num(l.count)} samples)`,
    );
  } else if (r.mode === 'longpoll') {
    lines.push('  event -> answer: no response carried the stamp header (epoch ms), so no latency');
  }
  const k0 = r.connectLatency;
  if (k0.count > 0)
    lines.push(
      `  connect (${num(k0.count)} opened during the load): p50 ${formatMicros(k0.p50)}  p99 ${formatMicros(k0.p99)}  max ${formatMicros(k0.max)}`,
    );
  const statuses = c.status
    .map((n, i) => (n > 0 ? `${i === 0 ? 'other' : `${i}xx`} ${num(n)}` : ''))
    .filter((s) => s !== '')
    .join(', ');
  if (statuses !== '') lines.push(`  status: ${statuses}`);
  if (r.mode === 'sse') lines.push(`  events missed (gaps in numeric ids): ${num(c.gaps)}`);
  if (c.sessions > 0)
    lines.push(
      `  sessions ended by the client: ${num(c.sessions)} (${num(c.sessions - c.drops)} closed, ${num(c.drops - c.resets)} dropped, ${num(c.resets)} reset${c.aborts > 0 ? `; of the drops ${num(c.aborts)} polls given up while parked` : ''})`,
    );
  if (c.slowReaders > 0) lines.push(`  slow readers: ${num(c.slowReaders)} sockets opened reading at most slowReadRate`);
  const errors = Object.entries(c.errors);
  lines.push(
    `  errors: ${errors.length === 0 ? 0 : errors.map(([kind, n]) => `${kind} ${num(n)}`).join(', ')}; reconnects ${num(c.reconnects)}`,
  );
  const k = r.closing;
  if (k.connections > 0)
    lines.push(
      `  closing: ${num(k.peerClosed)}/${num(k.connections)} closed by the server${k.lastPeerCloseMs === null ? '' : `, the last ${num(k.lastPeerCloseMs, 1)} ms after the client's close`}${k.forced > 0 ? `; ${num(k.forced)} not in time (destroyed)` : ''}`,
    );
  lines.push(
    `  this tool: ${num(r.client.cpuSeconds, 2)} CPU s (${num(r.client.cpuPercent)}% of a core${r.processes > 1 ? ', summed over processes' : ''}), RSS peak ${formatBytes(r.client.rssPeakBytes)}`,
  );
  return lines.join('\n');
}
