/**
 * One load run in this process: open the connections (paced: `connectConcurrency` at once, at
 * most `connectRate` a second), then `duration` seconds of measured load, then close everything.
 * Counting restarts when the last connection has been tried, so the figures are of the load and
 * not of the opening. In the open model a pacer hands each connection, in turn, the requests that
 * became due since the last turn, each with the time it was due.
 *
 * Once a second: the timeout check, the second's figures (the plot over time), the tool's own CPU
 * and RSS, and the progress callback.
 */
import { randomBytes } from 'node:crypto';
import { Opcode, encodeClose, encodeFrame } from '@http-kit/websocket';
import type { AnswerHook, ConnectionHost, LoadConnection } from './connection-host.js';
import { checkFileLimit, Dialer } from './dial.js';
import { Histogram, type HistogramJSON, type LatencySummary } from './histogram.js';
import { HttpConnection } from './http-connection.js';
import { LoadMode, resolveOptions, type LoadOptions, type ResolvedOptions } from './options.js';
import { Recorder, sampleOf, type Counters, type SecondReport, type SecondSample } from './recorder.js';
import { encodeRequest } from './requests.js';
import { SseConnection } from './sse-connection.js';
import { WebSocketConnection, type WebSocketFrames } from './websocket-connection.js';

/** After a failed connect, how long before that connection is tried again (ms). */
const RETRY_DELAY_MS = 250;
/** Beyond closeTimeout, how long the run waits for the last sockets before destroying them (ms). */
const CLOSE_SLACK_MS = 500;

/** The figures of a run (or of several processes' runs, merged). */
export interface LoadResult {
  url: string;
  mode: LoadMode;
  /** websocket mode: idle, echo or listen. */
  wsMode: string | null;
  connections: number;
  rate: number;
  pipeline: number;
  /** Processes that made the load (1 without --workers). */
  processes: number;
  /** Seconds the measured load lasted. */
  seconds: number;
  open: { opened: number; failed: number; ms: number; sourceAddresses: string[] };
  counters: Counters;
  /** Answers (responses, events, messages) per second of measured load. */
  answersPerSecond: number;
  /** Latency in µs (HTTP: request to response; longpoll: server's event time to answer; websocket echo: round trip). */
  latency: LatencySummary;
  histogram: HistogramJSON;
  /**
   * The connections opened during the measured load (reconnects, sessions): from the connect to
   * open (TCP; WebSocket: its 101; SSE: its response head), µs.
   */
  connectLatency: LatencySummary;
  connectHistogram: HistogramJSON;
  timeline: SecondSample[];
  /** The tool's own cost: CPU seconds (user + system) over the measured load, its share of one core, and its RSS. */
  client: { cpuSeconds: number; cpuPercent: number; rssPeakBytes: number; rssEndBytes: number };
  /**
   * The run's end: every open connection is closed as a client leaving would (HTTP, SSE: FIN;
   * WebSocket: a close frame, then FIN). `connections` were closed so; `peerClosed` of them the
   * server then closed within closeTimeout, `forced` not (destroyed); `lastPeerCloseMs`: from the
   * start of closing to the last close by the server (null when none).
   */
  closing: ClosingFigures;
}

export interface ClosingFigures {
  connections: number;
  peerClosed: number;
  forced: number;
  lastPeerCloseMs: number | null;
}

/** What the progress callback gets once a second. */
export interface Progress {
  /** 'opening' while connections are being opened, then 'load'. */
  phase: 'opening' | 'load';
  /** Seconds into the phase. */
  t: number;
  open: number;
  connections: number;
  answersPerSecond: number;
  p99: number;
  errors: number;
  cpuPercent: number;
  rssBytes: number;
}

/** What `onOpened` gets: the opening's outcome, and the live counters of the load that follows. */
export interface OpenedInfo {
  opened: number;
  failed: number;
  /** Errors so far, by kind. */
  errors: Record<string, number>;
  /** Answers received while opening (counting restarts after this call). */
  answers: number;
  /** The counters of the measured load so far, read at the time of the call. */
  counters: () => Counters;
}

export interface RunHooks {
  /** Called once every connection was tried, as the measured load starts. */
  onOpened?: (info: OpenedInfo) => void;
  /** Called once a second with a progress line's figures (the CLI prints them on stderr). */
  onProgress?: (progress: Progress) => void;
  /** Called at the end of each measured second with what it added (workers send it to their parent). */
  onSecond?: (report: SecondReport) => void;
  /**
   * Called each time a connection opens (for a WebSocket: after the 101; SSE: after the 200 head),
   * the first time and after each reconnect or session end, with its index (as `onAnswer` gets
   * it): what a connection gets from then on comes on a new socket, from a new client's session.
   *
   * @example
   * const last = new Int32Array(100).fill(-1);
   * await runLoad({ url: 'ws://127.0.0.1:8080/ws', connections: 100, sessionRequests: [1, 20] },
   *   { onOpen: (connection) => (last[connection] = -1) });
   */
  onOpen?: (connection: number) => void;
  /** Aborting ends the run early; the result covers what was measured. */
  signal?: AbortSignal;
  /**
   * Called with every answer's payload and the index of the connection that got it: a response
   * body in the http, pipeline and longpoll modes, a message in websocket mode (not called in sse
   * mode). For checks the counters cannot make, such as each connection getting each broadcast
   * exactly once. Without it no body is kept.
   *
   * @example
   * const got = new Uint32Array(100);
   * await runLoad({ url: 'ws://127.0.0.1:8080/ws', mode: 'websocket', wsMode: 'listen', connections: 100 },
   *   { onAnswer: (connection) => got[connection]++ });
   */
  onAnswer?: AnswerHook;
}

/** The run's state: the host its connections report to. */
class LoadRun implements ConnectionHost {
  readonly recorder = new Recorder();
  readonly dialer: Dialer;
  stopping = false;
  readonly connections: LoadConnection[] = [];
  readonly onAnswer: AnswerHook | null;
  /** Connections waiting to be opened (first time, or again). */
  private readonly toOpen: LoadConnection[] = [];
  private connecting = 0;
  /** Connections open now. */
  openNow = 0;
  /** Of the first opening: tried (opened or failed) and failed. */
  private tried = 0;
  failedFirst = 0;
  private readonly firstTried = new Set<LoadConnection>();
  private readonly isOpen = new Set<LoadConnection>();
  private allTried: (() => void) | null = null;
  /** connectRate pacing: connects started in the current 100 ms slot. */
  private slotStarted = 0;
  private slotConnects = 0;
  private pumpTimer: NodeJS.Timeout | null = null;
  private readonly retries = new Set<NodeJS.Timeout>();
  /** When each connection (by index) last started to open, performance.now(). */
  private readonly dialedAt: Float64Array;
  /** The run's end, when closing began (performance.now()), and what the closes did. */
  private closeStarted = 0;
  readonly closing: ClosingFigures = { connections: 0, peerClosed: 0, forced: 0, lastPeerCloseMs: null };

  constructor(
    readonly options: ResolvedOptions,
    onAnswer: AnswerHook | undefined,
    private readonly onOpen: ((connection: number) => void) | undefined,
  ) {
    this.dialer = new Dialer(options, this.recorder);
    this.dialedAt = new Float64Array(options.connections);
    this.onAnswer = onAnswer ?? null;
  }

  /** Opens every connection; resolves once each was tried once. */
  openAll(): Promise<void> {
    return new Promise((resolve) => {
      this.allTried = resolve;
      this.toOpen.push(...this.connections);
      this.pump();
    });
  }

  /** Starts connects while under connectConcurrency (and connectRate). */
  private pump(): void {
    const { connectConcurrency, connectRate } = this.options;
    while (this.toOpen.length > 0 && this.connecting < connectConcurrency && !this.stopping) {
      if (connectRate > 0) {
        const now = performance.now();
        if (now - this.slotStarted >= 100) {
          this.slotStarted = now;
          this.slotConnects = 0;
        }
        if (this.slotConnects >= Math.max(1, connectRate / 10)) {
          this.pumpTimer ??= setTimeout(
            () => {
              this.pumpTimer = null;
              this.pump();
            },
            100 - (now - this.slotStarted),
          );
          return;
        }
        this.slotConnects++;
      }
      const connection = this.toOpen.shift() as LoadConnection;
      this.connecting++;
      this.dialedAt[connection.index] = performance.now();
      connection.open();
    }
  }

  opened(connection: LoadConnection): void {
    this.connecting--;
    this.openNow++;
    this.isOpen.add(connection);
    this.triedOnce(connection);
    this.recorder.connect.record((performance.now() - this.dialedAt[connection.index]) * 1000);
    this.onOpen?.(connection.index);
    this.pump();
  }

  lost(connection: LoadConnection, failedToOpen: boolean, code: string | undefined, delayMs?: number): void {
    if (this.isOpen.delete(connection)) {
      this.openNow--;
      this.recorder.reconnects++;
    } else {
      this.connecting--;
    }
    if (failedToOpen) {
      if (code !== undefined) this.recorder.error(`connect: ${code}`);
      if (!this.firstTried.has(connection)) this.failedFirst++;
    }
    this.triedOnce(connection);
    if (this.stopping) return;
    const exhausted = failedToOpen && this.dialer.exhausted(code);
    // Not at once after a failed open: a refused connect would spin.
    const delay = exhausted ? 0 : (delayMs ?? (failedToOpen ? RETRY_DELAY_MS : 0));
    if (delay > 0) {
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.toOpen.push(connection);
        this.pump();
      }, delay);
      this.retries.add(timer);
    } else {
      this.toOpen.push(connection);
    }
    this.pump();
  }

  left(connection: LoadConnection): void {
    if (this.isOpen.delete(connection)) this.openNow--;
    if (this.stopping) return;
    this.toOpen.push(connection);
    this.pump();
  }

  peerClosed(): void {
    this.closing.peerClosed++;
    this.closing.lastPeerCloseMs = performance.now() - this.closeStarted;
  }

  closeForced(): void {
    this.closing.forced++;
  }

  private triedOnce(connection: LoadConnection): void {
    if (this.firstTried.has(connection)) return;
    this.firstTried.add(connection);
    this.tried++;
    if (this.tried === this.connections.length && this.allTried !== null) {
      this.allTried();
      this.allTried = null;
    }
  }

  /** Closes every connection and waits (bounded) for their sockets to go. */
  async closeAll(): Promise<void> {
    this.stopping = true;
    if (this.pumpTimer !== null) clearTimeout(this.pumpTimer);
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    this.toOpen.length = 0;
    this.closeStarted = performance.now();
    for (const connection of this.connections) if (connection.close()) this.closing.connections++;
    // Close events come on later turns; a socket that lingers is destroyed by its connection's own timer.
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.allTried?.();
  }
}

/** The frames a websocket run writes, built once. */
function websocketFrames(options: ResolvedOptions): WebSocketFrames {
  const mask = randomBytes(4);
  const payload = Buffer.alloc(options.messageSize, 'a');
  const message = encodeFrame(Opcode.Text, payload, true, false, mask) as Buffer;
  return {
    message,
    payload,
    close: encodeClose(1000, '', mask),
    mask,
    encodePong: (payload) => encodeFrame(Opcode.Pong, payload, true, false, mask) as Buffer,
  };
}

function makeConnections(run: LoadRun): void {
  const options = run.options;
  if (options.mode === LoadMode.Sse) {
    for (let i = 0; i < options.connections; i++) run.connections.push(new SseConnection(run, i));
  } else if (options.mode === LoadMode.WebSocket) {
    const frames = websocketFrames(options);
    for (let i = 0; i < options.connections; i++) run.connections.push(new WebSocketConnection(run, frames, i));
  } else {
    const requests = options.requests.map((spec) => encodeRequest(spec, options));
    for (let i = 0; i < options.connections; i++) run.connections.push(new HttpConnection(run, requests, i));
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });

/** `promise`, or sooner when `signal` aborts. */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done);
  });
}

/**
 * Runs the load described by `options` in this process and resolves with its figures. Throws
 * InvalidArgumentError for a wrong option, and an error explaining `ulimit -n` when the
 * connections cannot fit under the open-file limit.
 *
 * @example
 * const result = await runLoad({ url: 'http://127.0.0.1:8080/', connections: 50, duration: 5 });
 * console.log(result.answersPerSecond, result.latency.p99);
 */
export async function runLoad(options: LoadOptions, hooks: RunHooks = {}): Promise<LoadResult> {
  const resolved = resolveOptions(options);
  checkFileLimit(resolved.connections);
  const run = new LoadRun(resolved, hooks.onAnswer, hooks.onOpen);
  makeConnections(run);
  const recorder = run.recorder;
  const timeline: SecondSample[] = [];
  let rssPeak = process.memoryUsage.rss();

  // Progress while opening.
  const openStarted = performance.now();
  let phase: 'opening' | 'load' = 'opening';
  let phaseStarted = openStarted;
  let lastCpu = process.cpuUsage();
  let lastTick = performance.now();
  let lastAnswers = 0;
  const tick = () => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const cpuPercent = ((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 / (now - lastTick)) * 100;
    lastCpu = cpu;
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
    for (const connection of run.connections) connection.checkTimeout(now);
    let answersPerSecond: number;
    let p99: number;
    if (phase === 'load') {
      const report = recorder.tick();
      const latency = Histogram.fromJSON(report.latency);
      timeline.push(sampleOf(Math.round((now - phaseStarted) / 100) / 10, report.counters, latency));
      hooks.onSecond?.(report);
      answersPerSecond = (report.counters.answers * 1000) / (now - lastTick);
      p99 = latency.percentile(99);
    } else {
      answersPerSecond = ((recorder.answers - lastAnswers) * 1000) / (now - lastTick);
      lastAnswers = recorder.answers;
      p99 = recorder.second.percentile(99);
    }
    lastTick = now;
    hooks.onProgress?.({
      phase,
      t: (now - phaseStarted) / 1000,
      open: run.openNow,
      connections: resolved.connections,
      answersPerSecond,
      p99,
      errors: recorder.errorCount(),
      cpuPercent,
      rssBytes: rss,
    });
  };
  let ticker = setInterval(tick, 1000);

  let pacer: NodeJS.Timeout | null = null;
  try {
    await untilAborted(run.openAll(), hooks.signal);
    const openMs = performance.now() - openStarted;
    const opened = run.openNow;
    const answersOpening = recorder.answers;

    // The measured load.
    recorder.reset();
    hooks.onOpened?.({
      opened,
      failed: run.failedFirst,
      errors: { ...recorder.errors },
      answers: answersOpening,
      counters: () => recorder.counters(),
    });
    clearInterval(ticker);
    phase = 'load';
    phaseStarted = lastTick = performance.now();
    lastCpu = process.cpuUsage();
    const cpuAtStart = lastCpu;
    ticker = setInterval(tick, 1000);
    if (resolved.rate > 0) {
      const t0 = performance.now();
      const interval = 1000 / resolved.rate;
      const connections = run.connections;
      let issued = 0;
      // The pacer wakes every millisecond and hands out whatever became due, each with its own
      // due time: a late wake (a busy loop) does not move the schedule.
      pacer = setInterval(() => {
        // Request k is due at t0 + k * interval: those with k <= elapsed / interval are due now.
        const due = Math.floor((performance.now() - t0) / interval) + 1;
        while (issued < due) {
          connections[issued % connections.length].offer(t0 + issued * interval);
          issued++;
        }
      }, 1);
    }
    await sleep(resolved.duration * 1000, hooks.signal);
    const seconds = (performance.now() - phaseStarted) / 1000;
    const cpuEnd = process.cpuUsage();
    if (pacer !== null) clearInterval(pacer);
    clearInterval(ticker);
    // The last part-second, so the totals and the timeline agree.
    const last = recorder.tick();
    if (last.counters.answers > 0 || last.counters.sent > 0)
      timeline.push(sampleOf(Math.round(seconds * 10) / 10, last.counters, Histogram.fromJSON(last.latency)));
    hooks.onSecond?.(last);
    const counters = recorder.counters();
    const histogram = recorder.latency.toJSON();
    const latency = recorder.latency.summary();
    const rssEnd = process.memoryUsage.rss();
    await run.closeAll();
    await waitClosed(run);
    const cpuSeconds = (cpuEnd.user - cpuAtStart.user + cpuEnd.system - cpuAtStart.system) / 1e6;
    return {
      url: resolved.url.href,
      mode: resolved.mode,
      wsMode: resolved.mode === LoadMode.WebSocket ? resolved.wsMode : null,
      connections: resolved.connections,
      rate: resolved.rate,
      pipeline: resolved.pipeline,
      processes: 1,
      seconds,
      open: { opened, failed: run.failedFirst, ms: openMs, sourceAddresses: [...run.dialer.used] },
      counters,
      answersPerSecond: seconds > 0 ? counters.answers / seconds : 0,
      latency,
      histogram,
      connectLatency: recorder.connect.summary(),
      connectHistogram: recorder.connect.toJSON(),
      timeline,
      client: {
        cpuSeconds,
        cpuPercent: seconds > 0 ? (cpuSeconds / seconds) * 100 : 0,
        rssPeakBytes: Math.max(rssPeak, rssEnd),
        rssEndBytes: rssEnd,
      },
      closing: { ...run.closing },
    };
  } finally {
    if (pacer !== null) clearInterval(pacer);
    clearInterval(ticker);
    if (!run.stopping) await run.closeAll();
    await waitClosed(run);
  }
}

/** Waits until every connection's socket is gone, at most closeTimeout + CLOSE_SLACK_MS, then destroys what is left. */
async function waitClosed(run: LoadRun): Promise<void> {
  const deadline = performance.now() + run.options.closeTimeout + CLOSE_SLACK_MS;
  while (run.connections.some((c) => c.active()) && performance.now() < deadline) await sleep(20);
  for (const connection of run.connections) if (connection.active()) connection.destroy();
}
