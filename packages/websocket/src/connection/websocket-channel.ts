/**
 * One WebSocket connection, on either side: the channel the program talks to (`send`, `close`,
 * `drain`, the handlers) and the protocol its socket loop calls down into (bytes in, drain,
 * timer, shutdown, close). Frames are read by the codec's FrameReader and written by its frame
 * writer; messages go out in order even when some are compressed (deflate is asynchronous).
 *
 * States: Open -> Closing (we sent a close frame and wait for the peer's) -> Closed (the close
 * handshake is done, or the connection failed). Nothing read after a close frame is acted on.
 * The server ends the TCP connection once the handshake is done (RFC 6455 7.1.1); a client
 * waits for the server to do it, up to `closeTimeout`.
 */
import { ClosedSignal, kWatchClose, type CloseReason, type CloseWatcher, type Protocol, type ProtocolHost } from '@http-kit/core';
import { ChannelMisuseError, answerEnded, type Channel, type ChannelHandlers, type Request } from '@http-kit/http1';
import { CloseCode, isValidCloseCode } from '../codec/close-codes.js';
import type { WebSocketProtocolError } from '../codec/errors.js';
import { FrameReader, type FrameReaderEvents } from '../codec/frame-reader.js';
import { encodeClose } from '../codec/frame-writer.js';
import { randomMask } from '../codec/mask.js';
import { Opcode } from '../codec/opcodes.js';
import type { PerMessageDeflate } from '../codec/permessage-deflate.js';
import { OutgoingQueue } from './outgoing-queue.js';
import { sharedTextFrame } from './shared-frame.js';
import type { WebSocketSettings } from './settings.js';

const enum WsState {
  Open,
  /** We sent a close frame; waiting for the peer's. */
  Closing,
  Closed,
}

/** What a WebSocket's `onClose` gets besides the reason: the close frame's code and text. */
export interface CloseInfo {
  /** 1000 normal, 1001 going away, 1002 protocol error, ... 1005 when the close frame had none, 1006 when there was no close frame. */
  code: number;
  reason: string;
  /**
   * When the peer broke the protocol (reason 'protocol-error'): which way, as a stable
   * `error.code` (`HTTPKIT_WS_INVALID_UTF8`, `HTTPKIT_WS_MESSAGE_TOO_BIG`, ...), with `closeCode`.
   */
  error?: WebSocketProtocolError;
}

/** The handlers of a WebSocket channel, with `onClose` told the close code. */
export interface WebSocketHandlers extends Omit<ChannelHandlers, 'onClose'> {
  onClose?: (channel: Channel, reason: CloseReason, info: CloseInfo) => void;
}

const EMPTY = Buffer.alloc(0);
/** No close frame was exchanged (until one is). */
const ABNORMAL: CloseInfo = Object.freeze({ code: CloseCode.Abnormal, reason: '' });

export class WebSocketChannel implements Channel, Protocol, FrameReaderEvents {
  readonly isWebSocket = true;
  /** The subprotocol agreed in the handshake ('' when none). */
  readonly protocol: string;
  private state = WsState.Open;
  private readonly reader: FrameReader;
  private readonly deflate: PerMessageDeflate | null;
  private readonly out: OutgoingQueue;
  /** Any byte from the peer since the timer last fired: no ping needed. */
  private heardFrom = false;
  private awaitingPong = false;
  private closeReason: CloseReason | null = null;
  private closeInfo: CloseInfo = ABNORMAL;
  /** close() was called: a later send() is the program's mistake. */
  private closedByProgram = false;

  constructor(
    readonly host: ProtocolHost,
    readonly request: Request,
    private readonly handlers: WebSocketHandlers,
    private readonly settings: WebSocketSettings,
    /** Server side: frames from the peer are masked, ours are not. Client side: the opposite. */
    private readonly isServer: boolean,
    deflate: PerMessageDeflate | null,
    protocol = '',
  ) {
    this.protocol = protocol;
    this.deflate = deflate;
    this.reader = new FrameReader(this, {
      expectMasked: isServer,
      maxMessageSize: settings.maxMessageSize,
      maxFragments: settings.maxFragments,
      deflate,
    });
    this.out = new OutgoingQueue(host, deflate, isServer, settings.maxBufferedAmount, this);
    this.armIdleTimer();
    // After the switch's 101 (and the new protocol's first bytes) are on their way.
    queueMicrotask(() => this.opened());
  }

  get isOpen(): boolean {
    return this.state === WsState.Open && !this.host.isClosed;
  }

  get bufferedAmount(): number {
    return this.host.bufferedAmount + this.out.queuedBytes;
  }

  private closedSignal: ClosedSignal | null = null;
  private finalReason: CloseReason | null = null;

  get closed(): Promise<CloseReason> {
    return (this.closedSignal = ClosedSignal.for(this.closedSignal, this.finalReason)).promise;
  }

  /** @internal How a hub learns of the close without making the `closed` promise. */
  [kWatchClose](watcher: CloseWatcher): void {
    this.closedSignal = ClosedSignal.watch(this.closedSignal, this.finalReason, watcher);
  }

  // --- Channel -----------------------------------------------------------------------------

  /** Sends a text frame for a string, a binary frame for bytes; `close` true closes (1000) after it. */
  send(data: unknown, close = false): boolean {
    if (this.state !== WsState.Open || this.host.isClosed) {
      // As HTTP channels do: sending after the program's own close() is a mistake; after the peer
      // or a timeout closed it, false (the program could not have known: check isOpen).
      if (this.closedByProgram)
        throw new ChannelMisuseError('WebSocket send: this channel was closed by close(); nothing more can be sent');
      return false;
    }
    // A response object (as an HTTP channel takes) sends its body.
    const message =
      data !== null && typeof data === 'object' && !(data instanceof Uint8Array) && !(data instanceof ArrayBuffer) && 'body' in data
        ? (data as { body: unknown }).body
        : data;
    let ok: boolean;
    const max = this.settings.maxBufferedAmount;
    if (typeof message === 'string') {
      // (UTF-8 takes at most 3 bytes per UTF-16 unit: most strings need no count.)
      if (message.length * 3 > max) this.refuseOver(Buffer.byteLength(message));
      const frame = this.isServer && !this.out.compresses ? sharedTextFrame(message) : null;
      ok = frame !== null ? this.out.framed(frame) : this.out.send(Opcode.Text, Buffer.from(message, 'utf8'));
    } else {
      const bytes = bytesOf(message);
      if (bytes.length > max) this.refuseOver(bytes.length);
      ok = this.out.send(Opcode.Binary, bytes);
    }
    if (close) this.close();
    return ok;
  }

  close(code: number = CloseCode.Normal, reason = ''): boolean {
    if (this.state !== WsState.Open || this.host.isClosed) return false;
    if (!isValidCloseCode(code))
      throw new ChannelMisuseError(`WebSocket close: ${code} is not a close code an endpoint may send (1000-1003, 1007-1014, 3000-4999)`);
    this.closedByProgram = true;
    this.startClose(code, reason, this.isServer ? 'server-closed' : 'client-closed');
    return true;
  }

  drain(): Promise<void> {
    return this.out.drained();
  }

  /** Sends a ping (payload at most 125 bytes). */
  ping(payload: Buffer = EMPTY): boolean {
    if (this.state !== WsState.Open || this.host.isClosed) return false;
    if (payload.length > 125)
      throw new ChannelMisuseError(`WebSocket ping: the payload is ${payload.length} bytes; a control frame carries at most 125`);
    return this.out.control(Opcode.Ping, payload);
  }

  /** @internal Whether messages to this channel are compressed (permessage-deflate agreed). */
  get compresses(): boolean {
    return this.out.compresses;
  }

  /**
   * @internal Whether a message of `bytes` would be refused or get this peer dropped: larger
   * than maxBufferedAmount, or more than it waits already (see OutgoingQueue).
   */
  wouldOverflow(bytes: number): boolean {
    const max = this.settings.maxBufferedAmount;
    return bytes > max || this.bufferedAmount > max;
  }

  /** A message larger than maxBufferedAmount could never be sent within it: the program is told. */
  private refuseOver(bytes: number): void {
    if (bytes <= this.settings.maxBufferedAmount) return;
    throw new ChannelMisuseError(
      `WebSocket send: a message of ${bytes} bytes is larger than maxBufferedAmount (${this.settings.maxBufferedAmount} bytes); raise maxBufferedAmount or send less at once`,
    );
  }

  /** @internal Writes an already-framed message (broadcast): false when skipped. */
  writeFramed(frame: Buffer): boolean {
    if (this.state !== WsState.Open || this.host.isClosed) return false;
    return this.out.framed(frame);
  }

  /** @internal The outgoing queue passed maxBufferedAmount: a peer that does not read is dropped. */
  tooSlow(): void {
    this.closeReason ??= 'too-slow';
    this.closeInfo = { code: CloseCode.Abnormal, reason: `over maxBufferedAmount (${this.settings.maxBufferedAmount} bytes)` };
    this.state = WsState.Closed;
    this.host.destroy('too-slow');
  }

  // --- frames from the peer ----------------------------------------------------------------

  onMessage(data: Buffer, isText: boolean): void {
    if (this.state === WsState.Closed) return;
    this.call('onReceive', this.handlers.onReceive, isText ? data.toString('utf8') : data);
  }

  onPing(payload: Buffer): void {
    if (this.state === WsState.Open) this.out.control(Opcode.Pong, payload);
    this.call('onPing', this.handlers.onPing, payload);
  }

  onPong(payload: Buffer): void {
    if (this.awaitingPong && this.state === WsState.Open) {
      this.awaitingPong = false;
      this.armIdleTimer(); // back from pongTimeout to the ping interval
    }
    this.call('onPong', this.handlers.onPong, payload);
  }

  /** FrameReaderEvents: a close frame from the peer. */
  onCloseFrame(code: number, reason: string): void {
    this.peerClosed(code, reason);
  }

  /** Protocol: the socket loop closed the connection. */
  onClose(reason: CloseReason): void {
    this.socketClosed(reason);
  }

  onProtocolError(code: number, reason: string, error: WebSocketProtocolError): void {
    if (this.state === WsState.Closed) return;
    this.closeReason ??= 'protocol-error';
    this.closeInfo = { code, reason, error };
    // _Fail the WebSocket Connection_ (RFC 6455 7.1.7): say why, then close the TCP connection.
    if (this.state === WsState.Open) this.out.close(encodeClose(code, reason.slice(0, 120), this.mask()));
    this.state = WsState.Closed;
    // After what was queued before it (messages still being compressed, then the close frame).
    const why = this.closeReason;
    this.host.armTimer(this.settings.closeTimeout);
    this.out.afterQueued(() => this.host.end(why));
  }

  onResume(): void {
    this.host.resumeInput();
  }

  private peerClosed(code: number, reason: string): void {
    if (this.state === WsState.Closed) return;
    const wasOpen = this.state === WsState.Open;
    this.closeInfo = { code, reason };
    this.closeReason ??= this.isServer ? 'client-closed' : 'server-closed';
    this.state = WsState.Closed;
    // Echo the close (its code, or none when it had none), unless ours is already out.
    if (wasOpen) this.out.close(encodeClose(code, '', this.mask()));
    if (this.isServer) {
      const why = this.closeReason;
      this.host.armTimer(this.settings.closeTimeout); // bounds a queue that is slow to empty
      this.out.afterQueued(() => this.host.end(why));
    } else {
      this.host.armTimer(this.settings.closeTimeout); // the server ends TCP first
    }
  }

  // --- Protocol ------------------------------------------------------------------------------

  onData(chunk: Buffer): number {
    this.heardFrom = true;
    return this.reader.push(chunk);
  }

  onEnd(): void {
    // The peer ended TCP: without a close frame that is an abnormal closure (1006).
    if (this.state !== WsState.Closed) this.closeReason ??= this.isServer ? 'client-closed' : 'server-closed';
    this.state = WsState.Closed;
    this.host.end(this.closeReason ?? undefined);
  }

  onDrain(): void {}

  onTimeout(): void {
    if (this.state !== WsState.Open) {
      // The peer did not answer our close (or, on a client, did not end TCP) in time.
      this.host.destroy(this.closeReason ?? 'timeout');
      return;
    }
    if (this.awaitingPong) {
      this.closeReason ??= 'timeout';
      this.closeInfo = { code: CloseCode.Abnormal, reason: `no pong within ${this.settings.pongTimeout} ms` };
      this.state = WsState.Closed;
      this.host.destroy('timeout');
      return;
    }
    if (this.heardFrom) {
      this.heardFrom = false;
      this.armIdleTimer();
      return;
    }
    this.awaitingPong = true;
    this.out.control(Opcode.Ping, EMPTY);
    this.host.armTimer(this.settings.pongTimeout);
  }

  onShutdown(): void {
    if (this.state === WsState.Open) this.startClose(CloseCode.GoingAway, 'server stopping', 'server-stopping');
  }

  private socketClosed(reason: CloseReason): void {
    this.state = WsState.Closed;
    this.out.release();
    this.deflate?.close();
    if (this.finalReason !== null) return;
    this.finalReason = this.closeReason ?? reason;
    this.closedSignal?.settle(this.finalReason);
    // Middleware watching the request (a request logger) hears of the close too.
    if (this.isServer) answerEnded(this.request, { reason: this.finalReason, status: 101, code: this.closeInfo.code }, this.host);
    const onClose = this.handlers.onClose;
    if (onClose === undefined) return;
    try {
      onClose(this, this.finalReason, this.closeInfo);
    } catch (error) {
      this.host.logError('WebSocket onClose callback failed', error);
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  private startClose(code: number, reason: string, why: CloseReason): void {
    this.closeReason ??= why;
    this.closeInfo = { code, reason };
    this.state = WsState.Closing;
    this.out.close(encodeClose(code, reason, this.mask()));
    this.host.armTimer(this.settings.closeTimeout);
  }

  private armIdleTimer(): void {
    if (this.settings.pingInterval > 0) this.host.armTimer(this.settings.pingInterval);
  }

  private mask(): Buffer | null {
    return this.isServer ? null : randomMask();
  }

  private opened(): void {
    if (this.state !== WsState.Open || this.host.isClosed) return;
    this.call('onOpen', this.handlers.onOpen as ((ch: Channel, x: undefined) => void) | undefined, undefined);
  }

  private call<T>(name: string, handler: ((channel: Channel, value: T) => void) | undefined, value: T): void {
    if (handler === undefined) return;
    try {
      handler(this, value);
    } catch (error) {
      this.host.logError(`WebSocket ${name} callback failed`, error);
      if (this.state === WsState.Open) this.startClose(CloseCode.InternalError, 'internal error', 'error');
    }
  }
}

/** The bytes of a binary message. */
function bytesOf(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  throw new ChannelMisuseError(
    `WebSocket send: cannot send ${Object.prototype.toString.call(data)} (a string for a text message, bytes for a binary one)`,
  );
}
