/**
 * One accepted socket and its loop: reads bytes and hands them to the current protocol (the HTTP
 * session, or what an upgrade switched to), keeps what the protocol is not ready for (bounded
 * read-ahead), pauses and resumes the socket, writes what the protocol writes (batched per turn),
 * waits for 'drain' and cuts off a peer that stops reading, runs the protocol's timer, lingers on
 * close and reports the close.
 *
 * Reading and writing are one machine: handing input over is what opens and ends a turn's batch
 * of writes, and the end of a batch is what lets input held for 'drain' go on. So they are one
 * object, in sections: reading, writing, timers, closing. (A writer object of its own, owned as a
 * field, measured ~60 B more heap per idle connection by bench/memory-bench.mjs, for an object
 * that calls back into the loop at every turn.)
 *
 * Writes made in one turn go out as one syscall: while input is being handed over (and, when
 * more input waits, until the end of the turn) writes are collected and flushed together, so the
 * answers to a batch of pipelined requests leave in one write. An answer ready alone is written
 * at once.
 */
import type { Socket } from 'node:net';
import { ChunkQueue } from './buffers.js';
import type { ErrorLogger, WarnLogger } from './logger.js';
import type { CloseReason, Protocol, ProtocolHost } from './protocol.js';
import { listenTo, type SocketEvents } from './socket-events.js';
import { Timer, type TimerWheel } from './timer-wheel.js';

/** What a socket loop needs from whoever runs it (a server, or a WebSocket client). */
export interface LoopContext {
  readonly wheel: TimerWheel;
  /** ms a write may stay stuck on a peer that does not read before the connection is cut; 0: never. */
  readonly writeTimeout: number;
  readonly errorLogger: ErrorLogger;
  readonly warnLogger: WarnLogger;
  /** Called once the socket has closed. */
  connectionClosed(loop: SocketLoop): void;
}

/** Bytes held for the protocol before the socket pauses (or, for a parked request, closes). */
const MAX_READ_AHEAD = 64 * 1024;
/** How long a closing connection waits for the peer to read the last answer and hang up, ms. */
const LINGER_MS = 2_000;
/** Batches up to this size are joined into one buffer; larger ones go out as one writev. */
const JOIN_LIMIT = 32 * 1024;

// Yes/no state (bits of `flags`).
/** Writes are being collected until the end of this turn (a flushTurn is queued). */
const F_FLUSH_QUEUED = 1;
/** Inside the loop that hands input over: a nested resumeInput only clears its hold. */
const F_DELIVERING = 2;
/** Our side has ended; input is read and dropped until the peer hangs up. */
const F_LINGERING = 4;
/** 'close' has been handled. */
const F_CLOSED = 8;
const F_PEER_ENDED = 16;
const F_CLOSE_ON_READ_AHEAD = 32;

// Why input is not handed to the protocol (bits).
const HOLD_PROTOCOL = 1;
const HOLD_DRAIN = 2;
// Why the socket is not read (bits).
const PAUSE_READ_AHEAD = 1;
const PAUSE_DRAIN = 2;
const PAUSE_PROTOCOL = 4;

export class SocketLoop implements ProtocolHost, SocketEvents {
  readonly socket: Socket;
  readonly remoteAddr: string;
  private readonly ctx: LoopContext;
  /**
   * The connection's yes/no state, one bit each (F_*), one field instead of six. Measured with
   * the session's bits (http-session.ts), against plain booleans in both: ~85 B less heap per
   * idle keep-alive connection (1.40-1.42 vs 1.50 KB) and ~110 B per parked long poll
   * (bench/memory-bench.mjs, 5000 connections, two runs each).
   */
  private flags = 0;
  private protocol: Protocol;
  private readonly timer: Timer<SocketLoop>;
  private held: ChunkQueue | null = null;
  /** Why input is not handed to the protocol (HOLD_*). */
  private holds = 0;
  /** Why the socket is not read (PAUSE_*). */
  private pauses = 0;
  private closeReason: CloseReason | null = null;
  /** Bytes read and dropped while lingering. */
  private lingerDropped = 0;
  // This turn's writes: the first, then the rest, flushed together.
  /** Open stretches (input being handed over, the protocol's cork) whose writes wait for the last to end. */
  private corks = 0;
  private batchFirst: Uint8Array | null = null;
  private batchRest: Uint8Array[] | null = null;
  private batchBytes = 0;
  /** Cuts off a peer whose writes stay stuck (made at the first stuck write). */
  private writeTimer: Timer<SocketLoop> | null = null;
  private drainWaiters: Array<() => void> | null = null;

  constructor(socket: Socket, ctx: LoopContext, createProtocol: (host: SocketLoop) => Protocol) {
    this.socket = socket;
    this.ctx = ctx;
    this.remoteAddr = socket.remoteAddress ?? '';
    listenTo(socket, this);
    this.timer = new Timer<SocketLoop>(onTimer, this);
    this.protocol = createProtocol(this);
  }

  get peerEnded(): boolean {
    return (this.flags & F_PEER_ENDED) !== 0;
  }

  get closeOnReadAheadLimit(): boolean {
    return (this.flags & F_CLOSE_ON_READ_AHEAD) !== 0;
  }

  set closeOnReadAheadLimit(value: boolean) {
    this.flags = value ? this.flags | F_CLOSE_ON_READ_AHEAD : this.flags & ~F_CLOSE_ON_READ_AHEAD;
  }

  get isClosed(): boolean {
    return (this.flags & F_CLOSED) !== 0 || this.socket.destroyed;
  }

  get ending(): boolean {
    return (this.flags & F_LINGERING) !== 0;
  }

  get heldBytes(): number {
    return this.held === null ? 0 : this.held.bytes;
  }

  /** More input waits to be handed over: what is written now will likely have company this turn. */
  private get inputWaiting(): boolean {
    return this.held !== null && this.held.length > 0;
  }

  // --- reading ---------------------------------------------------------------------------

  /** @internal */
  onData(chunk: Buffer): void {
    if ((this.flags & F_LINGERING) !== 0) {
      // Closing: read and drop, but a peer that keeps sending is not read for the whole linger.
      if ((this.lingerDropped += chunk.length) > MAX_READ_AHEAD) this.socket.destroy();
      return;
    }
    if (this.isClosed) return;
    if (this.holds !== 0 || this.inputWaiting) {
      this.hold(chunk, false);
      return;
    }
    this.corks++;
    this.deliver(chunk);
    this.endDelivery();
  }

  private deliver(chunk: Buffer): void {
    const taken = this.protocol.onData(chunk);
    if (taken < chunk.length && !this.isClosed && (this.flags & F_LINGERING) === 0) {
      if (this.holds === 0) this.holds |= HOLD_PROTOCOL;
      this.hold(taken === 0 ? chunk : chunk.subarray(taken), true);
    }
  }

  /** Keeps bytes the protocol is not ready for, up to MAX_READ_AHEAD. */
  private hold(chunk: Buffer, front: boolean): void {
    const queue = (this.held ??= new ChunkQueue());
    if (front) queue.unshift(chunk);
    else queue.push(chunk);
    if (queue.bytes <= MAX_READ_AHEAD || (this.pauses & PAUSE_READ_AHEAD) !== 0) return;
    if (this.closeOnReadAheadLimit) {
      this.ctx.warnLogger(`Closing a connection that sent over ${MAX_READ_AHEAD} bytes ahead of a parked request`);
      this.destroy('error');
      return;
    }
    this.pause(PAUSE_READ_AHEAD);
  }

  holdInput(): void {
    this.holds |= HOLD_PROTOCOL;
  }

  resumeInput(): void {
    if ((this.holds & HOLD_PROTOCOL) === 0) return;
    this.holds &= ~HOLD_PROTOCOL;
    this.deliverHeld();
  }

  holdUntilDrained(): void {
    this.holds |= HOLD_DRAIN;
  }

  pauseReading(): void {
    this.pause(PAUSE_PROTOCOL);
  }

  resumeReading(): void {
    this.unpause(PAUSE_PROTOCOL);
  }

  /** Hands what waited to the protocol until it holds again, then reads from the socket again. */
  private deliverHeld(): void {
    if ((this.flags & F_DELIVERING) !== 0) return; // a nested call: the loop below goes on by itself
    this.corks++;
    this.deliverQueue();
    this.endDelivery();
  }

  private deliverQueue(): void {
    const queue = this.held;
    this.flags |= F_DELIVERING;
    while (queue !== null && queue.length > 0 && this.holds === 0 && !this.isClosed && (this.flags & F_LINGERING) === 0) {
      this.deliver(queue.shift()!);
    }
    this.flags &= ~F_DELIVERING;
  }

  /** Ends a stretch of handing input over: writes what the protocol wrote meanwhile, then settles. */
  private endDelivery(): void {
    this.uncork();
    this.settle();
  }

  /**
   * After a flush: a protocol that held input until the peer read our answers goes on at once
   * when the kernel took them all (a write often completes synchronously); otherwise reading
   * stops until 'drain'.
   */
  private settle(): void {
    let released = false;
    while ((this.holds & HOLD_DRAIN) !== 0 && this.batchFirst === null && !this.isClosed && !this.socket.writableNeedDrain) {
      this.holds &= ~HOLD_DRAIN;
      released = true;
      if (this.holds !== 0) break;
      this.corks++;
      this.deliverQueue();
      this.uncork();
    }
    if (this.isClosed) return;
    if ((this.holds & HOLD_DRAIN) !== 0) this.pause(PAUSE_DRAIN);
    else this.unpause(PAUSE_DRAIN);
    if (this.holds === 0) this.unpause(PAUSE_READ_AHEAD);
    if (released && (this.flags & F_LINGERING) === 0) this.protocol.onDrain();
  }

  private pause(reason: number): void {
    if (this.pauses === 0 && (this.flags & F_LINGERING) === 0) this.socket.pause();
    this.pauses |= reason;
  }

  private unpause(reason: number): void {
    if ((this.pauses & reason) === 0) return;
    this.pauses &= ~reason;
    if (this.pauses === 0 && !this.isClosed) this.socket.resume();
  }

  switchProtocol(protocol: Protocol, leftover: Buffer | null = null): void {
    this.protocol = protocol;
    this.closeOnReadAheadLimit = false;
    if (leftover !== null && leftover.length > 0) (this.held ??= new ChunkQueue()).unshift(leftover);
    // Input stays held until the old protocol's call has returned (it may hand back the rest of
    // the chunk it was reading); the new protocol reads from the next microtask on.
    this.holds |= HOLD_PROTOCOL;
    queueMicrotask(() => this.resumeInput());
  }

  // --- writing ---------------------------------------------------------------------------

  get bufferedAmount(): number {
    return this.socket.writableLength + this.batchBytes;
  }

  /**
   * Bytes wait in user space for a peer that has not read them: send() says the buffer is full
   * and drained() waits for 'drain'. Node's `writableNeedDrain` alone is not that: writes
   * collected under the socket's cork past its high-water mark set it even when the kernel then
   * takes every byte at once ('drain' follows next tick), which made a client that never reads
   * look drained.
   */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain && this.socket.writableLength !== 0;
  }

  write(data: Uint8Array | string, encoding?: BufferEncoding): boolean {
    if (this.corks === 0 && (this.flags & F_FLUSH_QUEUED) === 0) {
      if (!this.inputWaiting) return this.writeNow(data, encoding);
      // More input waits and will likely be answered in this turn: collect until its end.
      this.flags |= F_FLUSH_QUEUED;
      process.nextTick(flushTurn, this);
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, encoding) : data;
    if (this.batchFirst === null) this.batchFirst = bytes;
    else (this.batchRest ??= []).push(bytes);
    this.batchBytes += bytes.byteLength;
    // Past the high-water mark a batch gains nothing: write it, and report the socket's own state.
    if (this.batchBytes >= this.socket.writableHighWaterMark) this.flush();
    return !this.needsDrain;
  }

  cork(): void {
    this.corks++;
  }

  uncork(): void {
    if (--this.corks === 0 && (this.flags & F_FLUSH_QUEUED) === 0) this.flush();
  }

  private writeNow(data: Uint8Array | string, encoding?: BufferEncoding): boolean {
    if (this.isClosed) return false;
    const ok = encoding === undefined ? this.socket.write(data) : this.socket.write(data, encoding);
    if (!ok) this.armWriteTimer();
    return ok;
  }

  /** Writes this turn's batch: one buffer when small, one writev otherwise. */
  private flush(): void {
    const first = this.batchFirst;
    if (first === null) return;
    const rest = this.batchRest;
    const bytes = this.batchBytes;
    this.batchFirst = null;
    this.batchRest = null;
    this.batchBytes = 0;
    if (this.isClosed) return;
    if (rest === null) {
      this.writeNow(first);
      return;
    }
    rest.unshift(first);
    if (bytes <= JOIN_LIMIT) {
      this.writeNow(Buffer.concat(rest, bytes));
      return;
    }
    this.socket.cork();
    for (let i = 0; i < rest.length - 1; i++) this.socket.write(rest[i]);
    const ok = this.socket.write(rest[rest.length - 1]);
    this.socket.uncork();
    if (!ok) this.armWriteTimer();
  }

  /** @internal The end of a turn in which writes were collected. */
  endTurn(): void {
    this.flags &= ~F_FLUSH_QUEUED;
    if (this.corks !== 0) return;
    this.flush();
    this.settle();
  }

  drained(): Promise<void> {
    // Whatever this turn collected goes out now: the kernel may take it all, with no 'drain'.
    this.flush();
    if (this.isClosed || !this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => {
      (this.drainWaiters ??= []).push(resolve);
      this.armWriteTimer();
    });
  }

  /** A peer that stops reading is cut off once a write has been stuck for writeTimeout. */
  private armWriteTimer(): void {
    const timer = (this.writeTimer ??= new Timer<SocketLoop>(onWriteTimeout, this));
    if (!timer.armed && this.ctx.writeTimeout > 0) this.ctx.wheel.schedule(timer, this.ctx.writeTimeout);
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    this.drainWaiters = null;
    for (const wake of waiters) wake();
  }

  /** @internal */
  onDrain(): void {
    // The socket took everything: the stall is over, and whoever awaited `drained()` goes on.
    this.writeTimer?.cancel();
    this.wakeDrainWaiters();
    if (this.isClosed) return;
    if ((this.holds & HOLD_DRAIN) !== 0) {
      this.holds &= ~HOLD_DRAIN;
      this.unpause(PAUSE_DRAIN);
      this.deliverHeld();
    }
    this.protocol.onDrain();
  }

  // --- timers ----------------------------------------------------------------------------

  armTimer(ms: number): void {
    if ((this.flags & F_LINGERING) !== 0) return;
    if (ms > 0) this.ctx.wheel.scheduleCoarse(this.timer, ms);
    else this.timer.cancel();
  }

  cancelTimer(): void {
    if ((this.flags & F_LINGERING) === 0) this.timer.cancel();
  }

  /** @internal */
  onTimer(): void {
    if ((this.flags & F_LINGERING) !== 0) this.socket.destroy();
    else this.protocol.onTimeout();
  }

  // --- closing ---------------------------------------------------------------------------

  end(reason?: CloseReason): void {
    if (reason !== undefined) this.closeReason ??= reason;
    if (this.isClosed || (this.flags & F_LINGERING) !== 0) return;
    this.flush();
    this.flags |= F_LINGERING;
    this.held?.clear();
    this.socket.end();
    // Keep reading (and dropping) so the peer's FIN is seen and unread data cannot turn our
    // close into a reset that loses the last answer.
    this.pauses = 0;
    this.socket.resume();
    this.ctx.wheel.scheduleCoarse(this.timer, LINGER_MS);
  }

  destroy(reason: CloseReason): void {
    this.closeReason ??= reason;
    this.socket.destroy();
  }

  /** The server is stopping. */
  shutdown(): void {
    if (this.isClosed) return;
    this.closeReason ??= 'server-stopping';
    this.protocol.onShutdown();
  }

  /** @internal */
  onEnd(): void {
    this.flags |= F_PEER_ENDED;
    if (!this.isClosed && (this.flags & F_LINGERING) === 0) this.protocol.onEnd();
  }

  /** @internal */
  onClose(): void {
    if ((this.flags & F_CLOSED) !== 0) return;
    this.flags |= F_CLOSED;
    this.timer.cancel();
    this.held?.clear();
    // What was collected is dropped, and whoever awaited `drained()` goes on.
    this.writeTimer?.cancel();
    this.batchFirst = this.batchRest = null;
    this.batchBytes = 0;
    this.wakeDrainWaiters();
    try {
      this.protocol.onClose(this.closeReason ?? ((this.flags & F_LINGERING) !== 0 ? 'server-closed' : 'client-closed'));
    } finally {
      this.ctx.connectionClosed(this);
    }
  }

  logError(message: string, error: unknown): void {
    this.ctx.errorLogger(message, error);
  }

  logWarning(message: string): void {
    this.ctx.warnLogger(message);
  }
}

function onTimer(loop: SocketLoop): void {
  loop.onTimer();
}
function onWriteTimeout(loop: SocketLoop): void {
  loop.destroy('timeout');
}
function flushTurn(loop: SocketLoop): void {
  loop.endTurn();
}
