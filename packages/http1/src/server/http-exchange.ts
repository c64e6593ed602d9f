/**
 * One exchange on an HTTP connection, and the answering half of the session: the state of the
 * request being read and of its answer, and the response state machine (None -> Streaming ->
 * Done) that handlers, channels and the response writer drive. The reading half, which starts
 * and ends exchanges, is `HttpSession` (http-session.ts), the one subclass.
 */
import { LAST_CHUNK, writeChunk } from '../codec/chunked.js';
import { ChannelMisuseError } from '../errors.js';
import type { Response } from './body-types.js';
import { INTERNAL_ERROR, NOT_FOUND } from './canned-responses.js';
import { HANDED_OFF, responseOf, type HandlerOutcome, type HandlerResult } from './dispatch.js';
import type { CloseReason, Protocol, ProtocolHost } from '@http-kit/core';
import type { Request, RequestBody } from './request.js';
import { StreamFraming, writeResponse, writeStreamHead, type ResponseTarget } from './response-writer.js';
import type { ServerContext } from './server-context.js';

/** Where the current request stands. */
export const enum ReadState {
  /** Between requests: no parser held, the keep-alive timer runs. */
  Idle,
  /** A request's head is arriving; the head timer runs. */
  Head,
  /** The head is dispatched and its body arriving (if it has one); the body timer runs. */
  Body,
  /** Answered before its body was read: the rest of the body is read and dropped. */
  DiscardingBody,
  /** Read entirely; its answer is not done yet. Input waits in the loop. */
  Complete,
  /** Refused, or the connection is closing: nothing more is read as HTTP. */
  Closed,
  /** The connection went to another protocol. */
  Switched,
}

/** Where the answer to the current request stands. */
export const enum ResponseState {
  None,
  /** Head sent, body on its way (a stream, a file, or a channel). */
  Streaming,
  Done,
}

/** Something that takes the answer over from the handler (an async channel). */
export interface ResponseOwner {
  /** The handler has returned: the owner may start answering (onOpen). */
  opened(): void;
  /** The connection is going away; `reason` says why. */
  connectionClosed(reason: CloseReason): void;
  /** The server is stopping: the owner may still answer now; whatever it leaves unanswered it answers 503. */
  serverStopping(): void;
}

// Bits of HttpExchange.bits.
const B_HEAD = 1;
const B_HTTP10 = 2;
const B_KEEP_ALIVE = 4;
const B_EXPECTS_CONTINUE = 8;
/** Inside parser.execute (HttpSession). */
export const B_PARSING = 16;
/** The request asked for an upgrade (HttpSession). */
export const B_UPGRADE = 32;
/** The session's timer stands for the whole-request deadline (HttpSession). */
export const B_TIMER_IS_DEADLINE = 64;

export abstract class HttpExchange implements ResponseTarget, HandlerOutcome {
  readonly host: ProtocolHost;
  protected readonly ctx: ServerContext;
  protected read = ReadState.Idle;
  protected response = ResponseState.None;
  /** Increments per request, so a late answer cannot land on a later request. */
  seq = 0;
  request: Request | null = null;
  protected body: RequestBody | null = null;
  /** The client waits for 100 Continue before it sends the body. */
  protected framing = StreamFraming.NoBody;
  /** The exchange's yes/no state, one bit each (B_*): one field instead of seven per connection. */
  protected bits = B_KEEP_ALIVE;
  /** A channel that owns the current answer, told when the connection goes. */
  protected owner: ResponseOwner | null = null;
  /** A protocol switch the handler asked for, done once the request is read. */
  protected pendingSwitch: ((host: ProtocolHost) => Protocol) | null = null;

  constructor(host: ProtocolHost, ctx: ServerContext) {
    this.host = host;
    this.ctx = ctx;
  }

  /** A response to HEAD: no body is sent. */
  get isHead(): boolean {
    return (this.bits & B_HEAD) !== 0;
  }
  set isHead(on: boolean) {
    this.bits = on ? this.bits | B_HEAD : this.bits & ~B_HEAD;
  }

  /** The client speaks HTTP/1.0. */
  get http10(): boolean {
    return (this.bits & B_HTTP10) !== 0;
  }
  set http10(on: boolean) {
    this.bits = on ? this.bits | B_HTTP10 : this.bits & ~B_HTTP10;
  }

  /** The connection may carry another request after this one. */
  get keepAlive(): boolean {
    return (this.bits & B_KEEP_ALIVE) !== 0;
  }
  set keepAlive(on: boolean) {
    this.bits = on ? this.bits | B_KEEP_ALIVE : this.bits & ~B_KEEP_ALIVE;
  }

  /** The client waits for 100 Continue before it sends the body. */
  protected get expectsContinue(): boolean {
    return (this.bits & B_EXPECTS_CONTINUE) !== 0;
  }
  protected set expectsContinue(on: boolean) {
    this.bits = on ? this.bits | B_EXPECTS_CONTINUE : this.bits & ~B_EXPECTS_CONTINUE;
  }

  /** Both sides of the exchange are done: get ready for the next request, or close. */
  protected abstract finishExchange(): void;

  get closed(): boolean {
    return this.host.closed;
  }

  /** The server's WebSocket options (its defaults for WebSocket channels). */
  get websocketDefaults(): ServerContext['websocket'] {
    return this.ctx.websocket;
  }

  get serverLine(): Uint8Array {
    return this.ctx.serverLine;
  }

  /** The server's registry of channels holding requests open. */
  get channels(): ServerContext['channels'] {
    return this.ctx.channels;
  }

  // --- answers ---------------------------------------------------------------------------

  /** Answers request number `seq` with a handler's result. Late or repeated answers are dropped. */
  respond(seq: number, result: HandlerResult): void {
    if (result === HANDED_OFF && seq === this.seq) {
      if (this.owner !== null && !this.closed) {
        this.owner.opened(); // a channel answers from here on
        return;
      }
      if (this.pendingSwitch !== null || this.read === ReadState.Switched) return;
    }
    // The handler answered itself: a channel it took over first has nothing left to do.
    if (seq === this.seq) this.abandonOwner('error');
    let response: Response | null;
    try {
      response = result === HANDED_OFF ? null : responseOf(result);
    } catch (error) {
      this.handlerFailed(seq, error);
      return;
    }
    this.answer(seq, response ?? NOT_FOUND);
  }

  /** Writes `response` for request number `seq` (handlers' results and channels' answers). */
  answer(seq: number, response: Response): void {
    if (seq !== this.seq || this.response !== ResponseState.None || this.closed || this.read === ReadState.Switched) {
      if (!this.closed && !this.host.ending && this.read !== ReadState.Closed) {
        this.ctx.warnLogger(`A response for ${this.request?.uri ?? 'a finished request'} was dropped: the request was already answered`);
      }
      return;
    }
    this.beforeHead();
    try {
      writeResponse(this, response);
    } catch (error) {
      // Invalid status or header: nothing was written yet.
      this.handlerFailed(seq, error);
    }
  }

  handlerFailed(seq: number, error: unknown): void {
    this.ctx.errorLogger(`Handler failed for ${this.request?.requestMethod?.toUpperCase() ?? ''} ${this.request?.uri ?? ''}`, error);
    if (seq !== this.seq || this.closed) return;
    if (this.response === ResponseState.None && this.read !== ReadState.Switched) {
      this.abandonOwner('error');
      this.pendingSwitch = null;
      this.beforeHead();
      writeResponse(this, INTERNAL_ERROR);
    } else if (this.response === ResponseState.Streaming) {
      this.host.destroy('error');
    }
  }

  /** Tells a channel that owns the current answer that it will not get to answer. */
  protected abandonOwner(reason: CloseReason): void {
    const owner = this.owner;
    if (owner === null) return;
    this.setOwner(null);
    try {
      owner.connectionClosed(reason);
    } catch (error) {
      this.ctx.errorLogger('onClose callback failed', error);
    }
  }

  protected setOwner(owner: ResponseOwner | null): void {
    this.owner = owner;
    // A parked request may be held for good, and a paused socket would hide the client's close.
    this.host.closeOnReadAheadLimit = owner !== null;
  }

  /** A client still waiting for 100 Continue may never send its body: this connection cannot be reused. */
  protected beforeHead(): void {
    if (this.expectsContinue && this.read !== ReadState.Complete) this.keepAlive = false;
  }

  // --- channel primitives (see channel.ts) ----------------------------------------------

  /** @internal Makes `owner` the one to answer `request`; returns the request's seq. */
  adopt(owner: ResponseOwner, request: Request): number {
    if (this.closed) throw new ChannelMisuseError(`asChannel: the connection of ${request.uri} is already closed`);
    if (this.request !== request || this.response !== ResponseState.None || this.owner !== null || this.pendingSwitch !== null) {
      throw new ChannelMisuseError(`asChannel: the request for ${request.uri} is already answered or owned by another channel`);
    }
    this.setOwner(owner);
    return this.seq;
  }

  /** @internal Writes the head of a channel's streamed answer. */
  channelStart(seq: number, status: number, headers: Response['headers']): boolean {
    if (seq !== this.seq || this.closed || this.response !== ResponseState.None) return false;
    this.beforeHead();
    this.framing = writeStreamHead(this, status, headers);
    this.response = ResponseState.Streaming;
    return !this.host.needsDrain;
  }

  /** @internal Writes one piece of a channel's streamed body; false when the buffer is full. */
  channelWrite(seq: number, data: string | Uint8Array): boolean {
    if (seq !== this.seq || this.closed || this.response !== ResponseState.Streaming) return false;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (size === 0 || this.framing === StreamFraming.NoBody) return !this.host.needsDrain;
    if (this.framing === StreamFraming.Chunked) return writeChunk(this.host, data, size);
    return this.host.write(data);
  }

  /** @internal Ends a channel's streamed body. */
  channelEnd(seq: number): void {
    if (seq !== this.seq || this.closed || this.response !== ResponseState.Streaming) return;
    if (this.framing === StreamFraming.Chunked) this.host.write(LAST_CHUNK);
    this.responseFinished();
  }

  // --- ResponseTarget ----------------------------------------------------------------------

  /** @internal */
  responseStarted(): void {
    this.response = ResponseState.Streaming;
  }

  /** @internal */
  responseFinished(): void {
    if (this.closed) return;
    this.response = ResponseState.Done;
    this.setOwner(null);
    if (this.read !== ReadState.Complete) {
      // Answered before the request was read entirely: the rest of its body is dropped. A
      // client still waiting for 100 Continue may never send it: that connection cannot be reused.
      if (this.body !== null) {
        if (this.expectsContinue) this.keepAlive = false;
        if (this.read === ReadState.Body) this.read = ReadState.DiscardingBody;
        if (this.keepAlive) this.host.resumeReading();
      }
      if (!this.keepAlive) this.host.end();
      return;
    }
    this.finishExchange();
  }

  /** @internal */
  responseAborted(error: unknown, headSent: boolean): void {
    if (this.closed) return;
    if (!headSent) {
      // A file that cannot be sent: answer for it, nothing is on the wire yet.
      const missing = (error as NodeJS.ErrnoException)?.code === 'ENOENT';
      this.ctx.errorLogger(missing ? 'Response file not found' : 'Response file could not be read', error);
      this.response = ResponseState.None;
      writeResponse(this, missing ? NOT_FOUND : INTERNAL_ERROR);
      return;
    }
    this.ctx.errorLogger(`Response to ${this.request?.uri ?? 'a request'} failed mid-body; closing the connection`, error);
    this.host.destroy('error');
  }
}
