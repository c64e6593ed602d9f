/**
 * What a WebSocket sends, in order: data frames (compressed first when permessage-deflate is on
 * and the message reaches its threshold, which is asynchronous), control frames, pre-framed
 * broadcast bytes and the close frame. Control frames may pass data messages waiting for
 * compression (RFC 6455 5.4 lets them in between); nothing passes the close frame.
 *
 * It also enforces maxBufferedAmount, on what waits beyond the message being sent: a peer is
 * dropped when, as something more is sent, more than maxBufferedAmount of what went before it
 * still waits. The message being sent is not counted against the bound (a peer that reads takes
 * a message as large as the bound), so at most the bound plus one message waits; a message larger
 * than the bound is refused before it gets here (`WebSocketChannel.send`).
 */
import type { ProtocolHost } from '@http-kit/core';
import { encodeFrame } from '../codec/frame-writer.js';
import { randomMask } from '../codec/mask.js';
import type { PerMessageDeflate } from '../codec/permessage-deflate.js';

/** Told when the peer reads too slowly. */
export interface SlowPeerListener {
  tooSlow(): void;
}

const enum Kind {
  Data,
  /** Bytes already framed (broadcast, close). */
  Raw,
}

interface Pending {
  kind: Kind;
  opcode: number;
  data: Buffer;
}

export class OutgoingQueue {
  /** Bytes waiting behind a compression. */
  queuedBytes = 0;
  private pending: Pending[] | null = null;
  private compressing = false;
  private waiters: Array<() => void> | null = null;
  /** Run once the queue is empty (ending the connection after a close frame that waited). */
  private afterWritten: Array<() => void> | null = null;
  private released = false;

  constructor(
    private readonly host: ProtocolHost,
    private readonly deflate: PerMessageDeflate | null,
    private readonly isServer: boolean,
    private readonly maxBufferedAmount: number,
    private readonly listener: SlowPeerListener,
  ) {}

  get compresses(): boolean {
    return this.deflate !== null;
  }

  /** Bytes written or queued and not yet taken by the kernel. */
  get waiting(): number {
    return this.host.bufferedAmount + this.queuedBytes;
  }

  /** A whole data message; false when the socket's buffer is full (wait with drained()). */
  send(opcode: number, data: Buffer): boolean {
    const before = this.waiting;
    const deflate = this.deflate;
    if (deflate === null || (this.pending === null && data.length < deflate.threshold)) {
      this.writeFrame(opcode, data, false);
      return this.check(before);
    }
    return this.enqueue(Kind.Data, opcode, data, before);
  }

  /** A ping or pong: goes out now. */
  control(opcode: number, payload: Buffer): boolean {
    const before = this.waiting;
    this.writeFrame(opcode, payload, false);
    return this.check(before);
  }

  /** Bytes framed already (the same Buffer may go to many sockets). */
  framed(frame: Buffer): boolean {
    const before = this.waiting;
    if (this.pending !== null) return this.enqueue(Kind.Raw, 0, frame, before);
    this.host.write(frame);
    return this.check(before);
  }

  /** The close frame: after everything queued before it. */
  close(frame: Buffer): void {
    // Never counted against maxBufferedAmount: closeTimeout bounds how long it may wait.
    if (this.pending !== null) this.enqueue(Kind.Raw, 0, frame, 0);
    else this.host.write(frame);
  }

  /** Runs `then` once everything queued so far is written (at once when nothing waits). */
  afterQueued(then: () => void): void {
    if (this.pending === null || this.released) then();
    else (this.afterWritten ??= []).push(then);
  }

  /** Resolves once queued messages are written and the socket can take more. */
  drained(): Promise<void> {
    if (this.pending === null || this.released) return this.host.drained();
    return new Promise<void>((resolve) => (this.waiters ??= []).push(resolve)).then(() => this.host.drained());
  }

  /** The connection closed: drop what waits. */
  release(): void {
    this.released = true;
    this.pending = null;
    this.queuedBytes = 0;
    this.wake();
  }

  private enqueue(kind: Kind, opcode: number, data: Buffer, before: number): boolean {
    (this.pending ??= []).push({ kind, opcode, data });
    this.queuedBytes += data.length;
    if (!this.compressing) this.pump();
    return this.check(before);
  }

  /** Writes queued entries in order, compressing data messages one at a time. */
  private pump(): void {
    const queue = this.pending;
    while (queue !== null && queue.length > 0 && !this.released) {
      const next = queue[0];
      if (next.kind === Kind.Raw) {
        queue.shift();
        this.queuedBytes -= next.data.length;
        this.host.write(next.data);
        continue;
      }
      if (next.data.length < this.deflate!.threshold) {
        queue.shift();
        this.queuedBytes -= next.data.length;
        this.writeFrame(next.opcode, next.data, false);
        continue;
      }
      this.compressing = true;
      this.deflate!.compress(next.data, (error, compressed) => {
        this.compressing = false;
        if (this.released) return;
        queue.shift();
        this.queuedBytes -= next.data.length;
        if (error !== null) {
          this.host.logError('WebSocket: compressing a message failed; closing', error);
          this.host.destroy('error');
          return;
        }
        this.writeFrame(next.opcode, compressed, true);
        // Go on even when the socket needs draining: what waits here was accepted already, and
        // was counted against maxBufferedAmount when it was sent.
        this.pump();
      });
      return;
    }
    if (queue !== null && queue.length === 0) {
      this.pending = null;
      this.wake();
      const after = this.afterWritten;
      this.afterWritten = null;
      if (after !== null) for (const then of after) then();
    }
  }

  private writeFrame(opcode: number, payload: Buffer, rsv1: boolean): void {
    const frame = encodeFrame(opcode, payload, true, rsv1, this.isServer ? null : randomMask());
    if (Buffer.isBuffer(frame)) {
      this.host.write(frame);
      return;
    }
    this.host.cork();
    this.host.write(frame[0]);
    this.host.write(frame[1]);
    this.host.uncork();
  }

  /**
   * After a send: false when the socket's buffer is full; drops the peer when more than
   * maxBufferedAmount waited before it (`before`).
   */
  private check(before: number): boolean {
    if (before > this.maxBufferedAmount) {
      this.listener.tooSlow();
      return false;
    }
    return !this.host.needsDrain && !this.host.isClosed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters !== null) for (const wake of waiters) wake();
  }
}
