/**
 * What a run counts, shared by every connection of one process: the latency histogram (the
 * whole run and the current second), answers, status classes, errors by kind, bytes, SSE events
 * and gaps, reconnects. Connections add to it on their hot path (plain field increments); the run
 * closes a second with `tick()` and keeps one line per second for the plot over time.
 */
import { Histogram, type HistogramJSON } from './histogram.js';

/** One second of the run, as plotted. */
export interface SecondSample {
  /** Seconds since the measured load began (end of this second). */
  t: number;
  answers: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

/** The counters of one process or of a sum of them (workers). */
export interface Counters {
  /** Requests (or messages) written. */
  sent: number;
  /** Responses, long-poll answers, SSE events or WebSocket messages received. */
  answers: number;
  /** Responses by status class: index 1-5 for 1xx-5xx, 0 for anything else. */
  status: number[];
  /** Errors by kind, over the whole run (opening included). */
  errors: Record<string, number>;
  bytesRead: number;
  bytesWritten: number;
  /** Connections replaced after the server closed them or they failed. */
  reconnects: number;
  /** SSE events missed: the ids skipped between one numeric id and the next. */
  gaps: number;
  /** Sessions the client ended itself (`sessionRequests`, aborted polls), and opened again. */
  sessions: number;
  /** Of those, ended without a clean close: dropped (no FIN wait, no close frame) or reset. */
  drops: number;
  /** Of the drops, with a TCP reset (RST). */
  resets: number;
  /** Long polls given up while parked (`abortFraction`); each also ends its session as a drop. */
  aborts: number;
  /** Sockets opened as slow readers (`slowFraction`). */
  slowReaders: number;
}

export function emptyCounters(): Counters {
  return {
    sent: 0,
    answers: 0,
    status: [0, 0, 0, 0, 0, 0],
    errors: {},
    bytesRead: 0,
    bytesWritten: 0,
    reconnects: 0,
    gaps: 0,
    sessions: 0,
    drops: 0,
    resets: 0,
    aborts: 0,
    slowReaders: 0,
  };
}

/** Adds `from` into `into`. */
export function addCounters(into: Counters, from: Counters): void {
  into.sent += from.sent;
  into.answers += from.answers;
  for (let i = 0; i < 6; i++) into.status[i] += from.status[i];
  for (const [kind, n] of Object.entries(from.errors)) into.errors[kind] = (into.errors[kind] ?? 0) + n;
  into.bytesRead += from.bytesRead;
  into.bytesWritten += from.bytesWritten;
  into.reconnects += from.reconnects;
  into.gaps += from.gaps;
  into.sessions += from.sessions;
  into.drops += from.drops;
  into.resets += from.resets;
  into.aborts += from.aborts;
  into.slowReaders += from.slowReaders;
}

/** What `tick()` hands on: the second's counters and histogram (workers send it to the parent). */
export interface SecondReport {
  counters: Counters;
  latency: HistogramJSON;
}

export class Recorder implements Counters {
  readonly latency = new Histogram();
  /** The current second's latencies only. */
  readonly second = new Histogram();
  /** Connect to open (TCP; WebSocket: its 101; SSE: its response head) of each connection opened, µs. */
  readonly connect = new Histogram();
  sent = 0;
  answers = 0;
  status = [0, 0, 0, 0, 0, 0];
  errors: Record<string, number> = {};
  bytesRead = 0;
  bytesWritten = 0;
  reconnects = 0;
  gaps = 0;
  sessions = 0;
  drops = 0;
  resets = 0;
  aborts = 0;
  slowReaders = 0;
  /** Counters at the end of the last second, to take differences. */
  private last: Counters = emptyCounters();

  /** Counts a latency in µs. */
  recordLatency(us: number): void {
    this.latency.record(us);
    this.second.record(us);
  }

  /** Counts one error of `kind` (an errno code such as ECONNRESET, or one of ours: timeout, parse, ...). */
  error(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  errorCount(): number {
    let n = 0;
    for (const kind in this.errors) n += this.errors[kind];
    return n;
  }

  counters(): Counters {
    return {
      sent: this.sent,
      answers: this.answers,
      status: this.status.slice(),
      errors: { ...this.errors },
      bytesRead: this.bytesRead,
      bytesWritten: this.bytesWritten,
      reconnects: this.reconnects,
      gaps: this.gaps,
      sessions: this.sessions,
      drops: this.drops,
      resets: this.resets,
      aborts: this.aborts,
      slowReaders: this.slowReaders,
    };
  }

  /**
   * Forgets what was counted so far but the errors and the slow readers: the measured load starts
   * now. Errors made while opening (refused connects, say) stay in the totals, and the sockets
   * opened then as slow readers are the ones the load runs on.
   */
  reset(): void {
    this.latency.reset();
    this.second.reset();
    this.connect.reset();
    const errors = this.errors;
    const slowReaders = this.slowReaders;
    Object.assign(this, emptyCounters());
    this.errors = errors;
    this.slowReaders = slowReaders;
    this.last = emptyCounters();
    this.last.errors = { ...errors };
    this.last.slowReaders = slowReaders;
  }

  /** Closes the current second: what it added, and its latencies; the next second starts empty. */
  tick(): SecondReport {
    const now = this.counters();
    const last = this.last;
    const errors: Record<string, number> = {};
    for (const [kind, n] of Object.entries(now.errors)) if (n !== (last.errors[kind] ?? 0)) errors[kind] = n - (last.errors[kind] ?? 0);
    const delta: Counters = {
      sent: now.sent - last.sent,
      answers: now.answers - last.answers,
      status: now.status.map((n, i) => n - last.status[i]),
      errors,
      bytesRead: now.bytesRead - last.bytesRead,
      bytesWritten: now.bytesWritten - last.bytesWritten,
      reconnects: now.reconnects - last.reconnects,
      gaps: now.gaps - last.gaps,
      sessions: now.sessions - last.sessions,
      drops: now.drops - last.drops,
      resets: now.resets - last.resets,
      aborts: now.aborts - last.aborts,
      slowReaders: now.slowReaders - last.slowReaders,
    };
    this.last = now;
    const latency = this.second.toJSON();
    this.second.reset();
    return { counters: delta, latency };
  }
}

/** One plotted second from a second's report (or several processes' reports of the same second, merged). */
export function sampleOf(t: number, counters: Counters, latency: Histogram): SecondSample {
  let errors = 0;
  for (const kind in counters.errors) errors += counters.errors[kind];
  return { t, answers: counters.answers, errors, p50: latency.percentile(50), p99: latency.percentile(99), max: latency.max };
}
