/**
 * The writing half of a socket loop, owned by it as a field: writes batched per turn, the wait
 * for 'drain', and the stall timer that cuts off a peer that stops reading.
 *
 * Writes made in one turn go out as one syscall: while input is being handed over (and, when
 * more input waits, until the end of the turn) writes are collected and flushed together, so the
 * answers to a batch of pipelined requests leave in one write. An answer ready alone is written
 * at once.
 *
 * The writer knows its loop only through `WriterOwner`: whether it is closed, whether more input
 * waits, how to cut the connection off, and what to do once a turn's batch is out.
 *
 * @example
 * const writer = new BatchedWriter(socket, ctx, loop);
 * writer.cork();
 * writer.write(head);
 * writer.write(body);
 * writer.uncork(); // one write syscall for both
 */
import type { Socket } from 'node:net';
import type { CloseReason } from './protocol.js';
import { Timer, type TimerWheel } from './timer-wheel.js';

/** What the writer needs of whoever runs the loop (a `LoopContext` is one). */
export interface WriteContext {
  readonly wheel: TimerWheel;
  /** ms a write may stay stuck on a peer that does not read before the connection is cut; 0: never. */
  readonly writeTimeout: number;
}

/** What the writer asks of the loop that owns it. */
export interface WriterOwner {
  /** The socket is destroyed or closed: nothing more can be written. */
  readonly isClosed: boolean;
  /** More input waits to be handed over: what is written now will likely have company this turn. */
  readonly inputWaiting: boolean;
  /** Closes now (a write stuck past writeTimeout does, with 'timeout'). */
  destroy(reason: CloseReason): void;
  /** After the batch of a turn has been flushed: go on with what waited for it. */
  settle(): void;
}

/** Batches up to this size are joined into one buffer; larger ones go out as one writev. */
const JOIN_LIMIT = 32 * 1024;

export class BatchedWriter {
  private readonly socket: Socket;
  private readonly ctx: WriteContext;
  private readonly owner: WriterOwner;
  /** Writes are being collected until the end of this turn (a flushTurn is queued). */
  private flushQueued = false;
  /** Open stretches (input being handed over, the protocol's cork) whose writes wait for the last to end. */
  private corks = 0;
  // This turn's writes: the first, then the rest, flushed together.
  private batchFirst: Uint8Array | null = null;
  private batchRest: Uint8Array[] | null = null;
  private batchBytes = 0;
  private writeTimer: Timer<BatchedWriter> | null = null;
  private drainWaiters: Array<() => void> | null = null;

  constructor(socket: Socket, ctx: WriteContext, owner: WriterOwner) {
    this.socket = socket;
    this.ctx = ctx;
    this.owner = owner;
  }

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

  /** Whether this turn has collected writes not flushed yet. */
  get batching(): boolean {
    return this.batchFirst !== null;
  }

  write(data: Uint8Array | string, encoding?: BufferEncoding): boolean {
    if (this.corks === 0 && !this.flushQueued) {
      if (!this.owner.inputWaiting) return this.writeNow(data, encoding);
      // More input waits and will likely be answered in this turn: collect until its end.
      this.flushQueued = true;
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
    if (--this.corks === 0 && !this.flushQueued) this.flush();
  }

  private writeNow(data: Uint8Array | string, encoding?: BufferEncoding): boolean {
    if (this.owner.isClosed) return false;
    const ok = encoding === undefined ? this.socket.write(data) : this.socket.write(data, encoding);
    if (!ok) this.armWriteTimer();
    return ok;
  }

  /** Writes this turn's batch: one buffer when small, one writev otherwise. */
  flush(): void {
    const first = this.batchFirst;
    if (first === null) return;
    const rest = this.batchRest;
    const bytes = this.batchBytes;
    this.batchFirst = null;
    this.batchRest = null;
    this.batchBytes = 0;
    if (this.owner.isClosed) return;
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
    this.flushQueued = false;
    if (this.corks !== 0) return;
    this.flush();
    this.owner.settle();
  }

  /** Resolves once the socket can take more, or has closed. */
  drained(): Promise<void> {
    // Whatever this turn collected goes out now: the kernel may take it all, with no 'drain'.
    this.flush();
    if (this.owner.isClosed || !this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => {
      (this.drainWaiters ??= []).push(resolve);
      this.armWriteTimer();
    });
  }

  /** A peer that stops reading is cut off once a write has been stuck for writeTimeout. */
  private armWriteTimer(): void {
    const timer = (this.writeTimer ??= new Timer<BatchedWriter>(onWriteTimeout, this));
    if (!timer.armed && this.ctx.writeTimeout > 0) this.ctx.wheel.schedule(timer, this.ctx.writeTimeout);
  }

  /** The socket took everything: the stall is over, and whoever awaited `drained()` goes on. */
  writesDrained(): void {
    this.writeTimer?.cancel();
    this.wakeDrainWaiters();
  }

  /** The socket has closed: what was collected is dropped, and whoever awaited `drained()` goes on. */
  dropWrites(): void {
    this.writeTimer?.cancel();
    this.batchFirst = this.batchRest = null;
    this.batchBytes = 0;
    this.wakeDrainWaiters();
  }

  /** @internal A write stayed stuck for writeTimeout: the peer is cut off. */
  timedOut(): void {
    this.owner.destroy('timeout');
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    this.drainWaiters = null;
    for (const wake of waiters) wake();
  }
}

function onWriteTimeout(writer: BatchedWriter): void {
  writer.timedOut();
}
function flushTurn(writer: BatchedWriter): void {
  writer.endTurn();
}
