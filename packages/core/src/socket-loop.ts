/**
 * One accepted socket and its loop: reads bytes and hands them to the current protocol (the HTTP
 * session, or what an upgrade switched to), keeps what the protocol is not ready for (bounded
 * read-ahead), pauses and resumes the socket, runs the protocol's timer, lingers on close and
 * reports the close.
 *
 * Writing (batched per turn, 'drain', write stalls) is the loop's `writer`, a `BatchedWriter`
 * (batched-writer.ts) it owns: handing input over is what opens and ends a turn's batch.
 */
import type { Socket } from 'node:net';
import { BatchedWriter, type WriteContext, type WriterOwner } from './batched-writer.js';
import { ChunkQueue } from './buffers.js';
import type { ErrorLogger, WarnLogger } from './logger.js';
import type { CloseReason, Protocol, ProtocolHost } from './protocol.js';
import { listenTo, type SocketEvents } from './socket-events.js';
import { Timer } from './timer-wheel.js';

/**
 * What a socket loop needs from whoever runs it (a server, or a WebSocket client): the timer
 * wheel and `writeTimeout` (WriteContext), and these.
 */
export interface LoopContext extends WriteContext {
  readonly errorLogger: ErrorLogger;
  readonly warnLogger: WarnLogger;
  /** Called once the socket has closed. */
  connectionClosed(loop: SocketLoop): void;
}

/** Bytes held for the protocol before the socket pauses (or, for a parked request, closes). */
const MAX_READ_AHEAD = 64 * 1024;
/** How long a closing connection waits for the peer to read the last answer and hang up, ms. */
const LINGER_MS = 2_000;

// Yes/no state (bits of `flags`).
/** Inside the loop that hands input over: a nested resumeInput only clears its hold. */
const F_DELIVERING = 1;
/** Our side has ended; input is read and dropped until the peer hangs up. */
const F_LINGERING = 2;
/** 'close' has been handled. */
const F_CLOSED = 4;
const F_PEER_ENDED = 8;
const F_CLOSE_ON_READ_AHEAD = 16;

// Why input is not handed to the protocol (bits).
const HOLD_PROTOCOL = 1;
const HOLD_DRAIN = 2;
// Why the socket is not read (bits).
const PAUSE_READ_AHEAD = 1;
const PAUSE_DRAIN = 2;
const PAUSE_PROTOCOL = 4;

export class SocketLoop implements ProtocolHost, SocketEvents, WriterOwner {
  readonly socket: Socket;
  readonly remoteAddr: string;
  private readonly ctx: LoopContext;
  /** Writes batched per turn, 'drain', write stalls. */
  private readonly writer: BatchedWriter;
  /** The connection's yes/no state, one bit each (F_*). */
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

  constructor(socket: Socket, ctx: LoopContext, createProtocol: (host: SocketLoop) => Protocol) {
    this.socket = socket;
    this.ctx = ctx;
    this.writer = new BatchedWriter(socket, ctx, this);
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

  get closed(): boolean {
    return (this.flags & F_CLOSED) !== 0 || this.socket.destroyed;
  }

  /** @internal The writer's view of `closed`. */
  get isClosed(): boolean {
    return this.closed;
  }

  get ending(): boolean {
    return (this.flags & F_LINGERING) !== 0;
  }

  get heldBytes(): number {
    return this.held === null ? 0 : this.held.bytes;
  }

  /** @internal More input waits to be handed over (the writer collects this turn's writes). */
  get inputWaiting(): boolean {
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
    if (this.closed) return;
    if (this.holds !== 0 || this.inputWaiting) {
      this.hold(chunk, false);
      return;
    }
    this.writer.cork();
    this.deliver(chunk);
    this.endDelivery();
  }

  private deliver(chunk: Buffer): void {
    const taken = this.protocol.onData(chunk);
    if (taken < chunk.length && !this.closed && (this.flags & F_LINGERING) === 0) {
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
    this.writer.cork();
    this.deliverQueue();
    this.endDelivery();
  }

  private deliverQueue(): void {
    const queue = this.held;
    this.flags |= F_DELIVERING;
    while (queue !== null && queue.length > 0 && this.holds === 0 && !this.closed && (this.flags & F_LINGERING) === 0) {
      this.deliver(queue.shift()!);
    }
    this.flags &= ~F_DELIVERING;
  }

  /** Ends a stretch of handing input over: writes what the protocol wrote meanwhile, then settles. */
  private endDelivery(): void {
    this.writer.uncork();
    this.settle();
  }

  /**
   * @internal After a flush: a protocol that held input until the peer read our answers goes on
   * at once when the kernel took them all (a write often completes synchronously); otherwise
   * reading stops until 'drain'.
   */
  settle(): void {
    let released = false;
    while ((this.holds & HOLD_DRAIN) !== 0 && !this.writer.batching && !this.closed && !this.socket.writableNeedDrain) {
      this.holds &= ~HOLD_DRAIN;
      released = true;
      if (this.holds !== 0) break;
      this.writer.cork();
      this.deliverQueue();
      this.writer.uncork();
    }
    if (this.closed) return;
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
    if (this.pauses === 0 && !this.closed) this.socket.resume();
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

  // --- writing (batched by the writer) ----------------------------------------------------

  get bufferedAmount(): number {
    return this.writer.bufferedAmount;
  }

  get needsDrain(): boolean {
    return this.writer.needsDrain;
  }

  write(data: Uint8Array | string, encoding?: BufferEncoding): boolean {
    return this.writer.write(data, encoding);
  }

  cork(): void {
    this.writer.cork();
  }

  uncork(): void {
    this.writer.uncork();
  }

  drained(): Promise<void> {
    return this.writer.drained();
  }

  /** @internal */
  onDrain(): void {
    this.writer.writesDrained();
    if (this.closed) return;
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
    if (this.closed || (this.flags & F_LINGERING) !== 0) return;
    this.writer.flush();
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
    if (this.closed) return;
    this.closeReason ??= 'server-stopping';
    this.protocol.onShutdown();
  }

  /** @internal */
  onEnd(): void {
    this.flags |= F_PEER_ENDED;
    if (!this.closed && (this.flags & F_LINGERING) === 0) this.protocol.onEnd();
  }

  /** @internal */
  onClose(): void {
    if ((this.flags & F_CLOSED) !== 0) return;
    this.flags |= F_CLOSED;
    this.timer.cancel();
    this.held?.clear();
    this.writer.dropWrites();
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
