/**
 * HTTP/1.1 on one connection, as a protocol of its socket loop: parses requests with llhttp,
 * checks each head, dispatches it to the handler, writes the answers in order and keeps the
 * connection alive between requests, or hands it to another protocol on an upgrade.
 *
 * One exchange (request + response) at a time, in two explicit state machines: `ReadState` for
 * the request, `ResponseState` for its answer, which handlers, channels and the response writer
 * drive. When a request is read before its answer is done, the session holds input: whatever
 * the client pipelined waits in the loop, so answers stay in order and read-ahead stays bounded.
 * An idle connection holds no parser.
 *
 * In the order a request goes through it: reading (the loop's calls), parser events (head,
 * body, end), answers (the handler's result), channel primitives, the response writer's calls,
 * then after the answer (switch protocol, keep alive, or close); last, the two state machines,
 * each advanced in one method. Who may call what during a parse: docs/architecture.md.
 */
import { LAST_CHUNK, writeChunk } from '../codec/chunked.js';
import { requestHeaderMap } from '../codec/header-map.js';
import { METHOD_HEAD } from '../codec/llhttp-module.js';
import { HttpParser, ParseResult, PAUSE, TYPE_REQUEST, type ParserEvents } from '../codec/parser.js';
import { ChannelMisuseError } from '../errors.js';
import type { Response } from './body-types.js';
import { CONTINUE, INTERNAL_ERROR, NOT_FOUND, rejectionBytes } from './canned-responses.js';
import { HANDED_OFF, handOffNotReturned, responseOf, runHandler, type HandlerOutcome, type HandlerResult } from './dispatch.js';
import { ANSWER_SENT, answerEnded } from './response-hooks.js';
import { noteStatus, publishError, requestFinished, requestStarted, requestUpgraded } from './diagnostics.js';
import type { CloseReason, Protocol, ProtocolHost } from '@http-kit/core';
import { charsetOf, kExchange, RequestBody, splitTarget, type BodySource, type Request } from './request.js';
import {
  checkHead,
  Failure,
  HEAD_PADDING,
  hostOf,
  MAX_CHUNK_LINE,
  maxFramingOf,
  parseFailure,
  statusOf,
  type Rejection,
} from './request-checks.js';
import { StreamFraming, writeResponse, writeStreamHead, type ResponseTarget } from './response-writer.js';
import type { ServerContext } from './server-context.js';
import { upgradesToWebSocket } from './websocket-options.js';

/** Where the current request stands. */
const enum ReadState {
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

/** What moves `ReadState` on (see `advanceRead`, the one place it changes). */
const enum ReadEvent {
  /** A request's first byte: Head. */
  MessageBegins,
  /** Its head is checked and dispatched: Body (with or without one). */
  HeadDispatched,
  /** Answered before its body was read: Body becomes DiscardingBody. */
  AnsweredEarly,
  /** llhttp read the whole message: Complete, unless it was refused meanwhile. */
  RequestComplete,
  /** Both sides are done and the connection stays: Idle until the next request. */
  NextRequest,
  /** Refused, or closing: Closed. */
  Refused,
  /** Given to another protocol: Switched. */
  Switched,
}

/** Where the answer to the current request stands. */
const enum ResponseState {
  None,
  /** Head sent, body on its way (a stream, a file, or a channel). */
  Streaming,
  Done,
}

/** What moves `ResponseState` on (see `advanceResponse`, the one place it changes). */
const enum ResponseEvent {
  /** A new request, or none yet: nothing answered (None). */
  NextRequest,
  /** The head is out and the body on its way: Streaming. */
  HeadSent,
  /** The whole answer is written (or a refusal, or a 101): Done. */
  AnswerFinished,
  /** A file answer failed before its head went out: None again, so it can be answered for. */
  HeadNotSent,
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

// Bits of HttpSession.bits.
const B_HEAD = 1;
const B_HTTP10 = 2;
const B_KEEP_ALIVE = 4;
const B_EXPECTS_CONTINUE = 8;
/** The request asked for an upgrade. */
const B_UPGRADE = 16;
/** The session's timer stands for the whole-request deadline. */
const B_TIMER_IS_DEADLINE = 32;

// Scratch shared by every connection, filled and read within one onHeadersComplete: from
// requestHeaderMap and splitTarget to the request literal there is no await and no call into
// other code (the header map, the target split and checkHead are pure functions of the head),
// so no other head can be read in between. The handler runs after the last read.
/** How many Host fields the head being read has (requestHeaderMap's out-parameter). */
const hostCounter = { hostCount: 0 };
/** The head's request-target, split (splitTarget's out-parameter). */
const target = { uri: '', queryString: null as string | null, authority: null as string | null, scheme: null as string | null };

export class HttpSession implements Protocol, ParserEvents, BodySource, ResponseTarget, HandlerOutcome {
  readonly host: ProtocolHost;
  private readonly ctx: ServerContext;
  private read = ReadState.Idle;
  private response = ResponseState.None;
  /** Increments per request, so a late answer cannot land on a later request. */
  seq = 0;
  request: Request | null = null;
  private body: RequestBody | null = null;
  /** How a channel's streamed answer frames its body: chunked, raw (close-delimited, HTTP/1.0) or none. */
  private framing: StreamFraming = StreamFraming.NoBody;
  /**
   * The exchange's yes/no state, one bit each (B_*), one field instead of six: with the socket
   * loop's bits, ~85 B less heap per idle keep-alive connection than plain booleans (see
   * socket-loop.ts, measured by bench/memory-bench.mjs).
   */
  private bits = B_KEEP_ALIVE;
  /** A channel that owns the current answer, told when the connection goes. */
  private owner: ResponseOwner | null = null;
  /** A protocol switch the handler asked for, done once the request is read. */
  private pendingSwitch: ((host: ProtocolHost) => Protocol) | null = null;
  /** The head (a 101) written when that switch is done. */
  private switchHead: Uint8Array | null = null;
  /** Held while a request is read; back in the pool between requests. */
  private parser: HttpParser | null = null;
  private bodyBytes = 0;
  /**
   * When the request being read must have arrived whole (performance.now() ms; 0: not set). Set
   * at the end of the first read of a request that goes on past it, so a request read in one
   * read costs no clock read.
   */
  private deadline = 0;

  constructor(host: ProtocolHost, ctx: ServerContext) {
    this.host = host;
    this.ctx = ctx;
    host.armTimer(ctx.keepAliveTimeout);
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
  private get expectsContinue(): boolean {
    return (this.bits & B_EXPECTS_CONTINUE) !== 0;
  }
  private set expectsContinue(on: boolean) {
    this.bits = on ? this.bits | B_EXPECTS_CONTINUE : this.bits & ~B_EXPECTS_CONTINUE;
  }

  /** The connection is closed: nothing more can be written. */
  get isClosed(): boolean {
    return this.host.isClosed;
  }

  /** The server's WebSocket options (its defaults for WebSocket channels). */
  get websocketDefaults(): ServerContext['websocket'] {
    return this.ctx.websocket;
  }

  /** The server this connection belongs to, as an identity only: a key for what is told once per server. */
  get server(): object {
    return this.ctx;
  }

  get serverLine(): Uint8Array {
    return this.ctx.serverLine;
  }

  /** The server's registry of channels holding requests open. */
  get channels(): ServerContext['channels'] {
    return this.ctx.channels;
  }

  /**
   * Inside this session's parser.execute (its callbacks, and whatever they call, run meanwhile):
   * the parser must not be released, input must not be resumed (the parse goes on by itself
   * with the rest of the chunk) and a switch waits for the parse to pause. The parser knows it
   * (its chunk is set for the length of an execute): no flag of the session's own.
   */
  private get parsing(): boolean {
    return this.parser !== null && this.parser.executing;
  }

  private get upgradeRequested(): boolean {
    return (this.bits & B_UPGRADE) !== 0;
  }
  private set upgradeRequested(on: boolean) {
    this.bits = on ? this.bits | B_UPGRADE : this.bits & ~B_UPGRADE;
  }

  /** The connection's timer is armed for the deadline rather than for the head or body timeout. */
  private get timerIsDeadline(): boolean {
    return (this.bits & B_TIMER_IS_DEADLINE) !== 0;
  }
  private set timerIsDeadline(on: boolean) {
    this.bits = on ? this.bits | B_TIMER_IS_DEADLINE : this.bits & ~B_TIMER_IS_DEADLINE;
  }

  // --- reading ---------------------------------------------------------------------------

  onData(chunk: Buffer): number {
    if (!this.readsHttp) return chunk.length;
    let parser = this.parser;
    if (parser === null) {
      parser = this.parser = HttpParser.acquire(TYPE_REQUEST, this);
      parser.maxUrlLength = this.ctx.maxLine;
      parser.maxHeaderBytes = this.ctx.maxHeaderSize;
      parser.maxHeadBytes = this.ctx.maxLine + this.ctx.maxHeaderSize + HEAD_PADDING;
      parser.maxChunkLine = MAX_CHUNK_LINE;
      parser.maxFraming = maxFramingOf(this.ctx.maxBody);
    }
    const result = parser.execute(chunk);
    switch (result) {
      case ParseResult.Ok:
        if (this.host.isClosed) this.releaseParser();
        else if (this.read === ReadState.Idle) this.becomeIdle();
        else if (this.midRequest) this.requestGoesOn();
        return chunk.length;
      case ParseResult.Paused: {
        // Stopped at a message boundary; the rest of the chunk waits in the loop.
        const taken = parser.offset;
        if (this.pendingSwitch !== null) this.completeSwitch();
        // Waiting for an answer (minutes, for a parked channel): the parser goes back to the pool.
        else if (this.read === ReadState.Complete) this.releaseParser();
        else parser.resume();
        return taken;
      }
      case ParseResult.Upgrade:
        // Answered in HTTP already: keep-alive was turned off at the head, the connection closes.
        return chunk.length;
      case ParseResult.Error:
        if (this.readsHttp) this.reject(parseFailure(parser, this.read !== ReadState.Head));
        this.releaseParser();
        return chunk.length;
    }
  }

  onEnd(): void {
    if (this.host.isClosed) return;
    if (this.owner !== null && this.response !== ResponseState.Done) {
      // A parked or streaming channel: the client is gone; tell the channel at once.
      this.host.destroy('client-closed');
      return;
    }
    if (this.midRequest) {
      // A request cut off in its head or body can never be completed.
      if (this.body !== null && !this.body.destroyed) {
        this.body.abortReason = 'the client closed its side of the connection mid-body';
        this.body.destroy();
      }
      if (this.response === ResponseState.Streaming) this.host.destroy('client-closed');
      else this.host.end('client-closed');
      return;
    }
    // Idle: nothing more will come. Otherwise a half-closing client (such as `nc -N`) still
    // reads: what it sent is answered first, and becomeIdle() closes.
    if (this.read === ReadState.Idle && this.host.heldBytes === 0) this.host.end();
  }

  onDrain(): void {
    // Pipelined requests held until the client read our answers may all have been answered.
    if (this.read === ReadState.Idle && !this.parsing && this.host.heldBytes === 0 && !this.host.isClosed) this.becomeIdle();
  }

  /** The one timer means what the read state says: keep-alive, head, body, or the request's deadline. */
  onTimeout(): void {
    switch (this.read) {
      case ReadState.Idle:
        this.host.destroy('timeout');
        return;
      case ReadState.Head:
      case ReadState.Body:
      case ReadState.DiscardingBody:
        if (this.timerIsDeadline) {
          const left = this.deadline - performance.now();
          // A coarse timer may fire a little early after a blocked event loop.
          if (left > 0) this.host.armTimer(left);
          else
            this.timedOut({ failure: Failure.RequestTimeout, detail: `Request not received whole within ${this.ctx.requestTimeout} ms` });
        } else if (this.read === ReadState.Head) {
          this.reject({ failure: Failure.HeadTimeout, detail: 'Request head not received in time' });
        } else {
          this.timedOut({ failure: Failure.BodyTimeout, detail: 'Request body not received in time' });
        }
        return;
    }
  }

  /** 408 and close, or only close when the answer has begun (or is done: the body is being dropped). */
  private timedOut(rejection: Rejection): void {
    if (this.response === ResponseState.None) this.reject(rejection, 'timeout');
    else this.host.destroy('timeout');
  }

  onShutdown(): void {
    if (this.read === ReadState.Idle) {
      this.host.end();
      return;
    }
    this.keepAlive = false;
    // A parked channel hears the news while it can still answer; if it does not, it is answered
    // 503 (streams go on until stop's deadline).
    if (this.owner !== null && this.response === ResponseState.None) this.owner.serverStopping();
  }

  onClose(reason: CloseReason): void {
    if (this.request !== null) {
      answerEnded(this.request, { reason, status: 0 }, this.host);
      requestFinished(this.ctx.counters);
    }
    this.releaseParser();
    if (this.body !== null && this.read !== ReadState.Complete && !this.body.destroyed) {
      this.body.abortReason ??= `the connection closed (${reason})`;
      this.body.destroy();
    }
    const owner = this.owner;
    this.setOwner(null);
    if (owner !== null) {
      try {
        owner.connectionClosed(reason);
      } catch (error) {
        this.ctx.errorLogger('onClose callback failed', error);
      }
    }
  }

  private becomeIdle(): void {
    this.releaseParser();
    if (this.ctx.stopping || this.host.ending || this.host.peerEnded) {
      this.host.end();
      return;
    }
    this.host.armTimer(this.ctx.keepAliveTimeout);
  }

  private releaseParser(): void {
    if (this.parser !== null && !this.parsing) {
      this.parser.release();
      this.parser = null;
    }
  }

  // --- parser events -------------------------------------------------------------------

  onMessageBegin(): number {
    this.advanceRead(ReadEvent.MessageBegins);
    this.deadline = 0;
    this.timerIsDeadline = false;
    this.host.armTimer(this.ctx.headersTimeout);
    return 0;
  }

  /** A request goes on past the read it began in: its deadline starts. */
  private requestGoesOn(): void {
    if (this.deadline === 0 && this.ctx.requestTimeout > 0) {
      this.deadline = performance.now() + this.ctx.requestTimeout;
      this.armReadTimer(this.read === ReadState.Head ? this.ctx.headersTimeout : this.ctx.bodyTimeout);
    }
  }

  /**
   * Arms the connection's timer for `ms` of waiting (the head or body timeout; 0: none), or for
   * what is left of the request's deadline when that comes first.
   */
  private armReadTimer(ms: number): void {
    this.timerIsDeadline = false;
    if (this.deadline !== 0) {
      const left = this.deadline - performance.now();
      if (ms === 0 || left < ms) {
        ms = Math.max(1, left);
        this.timerIsDeadline = true;
      }
    }
    this.host.armTimer(ms);
  }

  onHeadersComplete(parser: HttpParser, upgrade: boolean, shouldKeepAlive: boolean): number {
    this.host.cancelTimer();
    const ctx = this.ctx;
    const headers = requestHeaderMap(parser.rawHeaders, hostCounter);
    const lengthHeader = headers['content-length'];
    const contentLength = lengthHeader === undefined ? null : Number(lengthHeader);
    splitTarget(parser.url, target);
    const rejection = checkHead(parser, headers, hostCounter.hostCount, contentLength, ctx.maxBody, target);
    if (rejection !== null) {
      this.reject(rejection);
      return -1;
    }
    const transferEncoding = headers['transfer-encoding'];
    const hasBody = (contentLength !== null && contentLength > 0) || transferEncoding !== undefined;
    this.http10 = parser.versionMinor === 0;
    this.isHead = parser.method === METHOD_HEAD;
    this.expectsContinue = hasBody && !this.http10 && headers['expect'] !== undefined;
    this.upgradeRequested = upgrade;
    // HTTP/1.0 has no chunked framing: such a message is faulty and the connection closes (RFC 9112 6.1).
    this.keepAlive = shouldKeepAlive && !upgrade && !ctx.stopping && !this.host.ending && !(this.http10 && transferEncoding !== undefined);
    this.advanceRead(ReadEvent.HeadDispatched);
    this.advanceResponse(ResponseEvent.NextRequest);
    this.bodyBytes = 0;
    const body = hasBody ? new RequestBody(this, ctx.maxBody) : null;
    this.body = body;
    const contentType = headers['content-type'] ?? null;
    // An absolute-form target names the host (request-checks made sure Host agrees).
    const host = target.authority ?? headers['host'];
    const request: Request = {
      serverPort: ctx.port,
      serverName: host === undefined || host === '' ? ctx.defaultServerName : hostOf(host),
      remoteAddr: this.host.remoteAddr,
      uri: target.uri,
      queryString: target.queryString,
      scheme: ctx.scheme,
      requestMethod: parser.methodName,
      protocol: this.http10 ? 'HTTP/1.0' : 'HTTP/1.1',
      headers,
      contentType,
      contentLength,
      characterEncoding: contentType === null ? null : charsetOf(contentType),
      body,
      // Asked for, even when malformed (no Connection: upgrade): the WebSocket acceptor refuses those with 400.
      websocket: headers['upgrade'] !== undefined && upgradesToWebSocket(headers['upgrade']),
    };
    // Set after the literal: a computed key would keep V8 from using the literal's fast path.
    request[kExchange] = this;
    this.request = request;
    const seq = ++this.seq;
    if (hasBody) this.armReadTimer(ctx.bodyTimeout);
    requestStarted(ctx.counters, request);
    runHandler(ctx.handler, request, this, seq);
    return 0;
  }

  onBody(_parser: HttpParser, chunk: Buffer): number {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.ctx.maxBody) {
      this.reject({ failure: Failure.BodyTooLarge, detail: `Request body exceeds the limit of ${this.ctx.maxBody} bytes` });
      return -1;
    }
    const body = this.body;
    if (body === null || this.read === ReadState.DiscardingBody || body.destroyed) return 0;
    this.armReadTimer(this.ctx.bodyTimeout);
    if (!body.push(chunk)) this.host.pauseReading();
    return 0;
  }

  onMessageComplete(): number {
    this.host.cancelTimer();
    this.deadline = 0;
    const discarded = this.read === ReadState.DiscardingBody;
    this.advanceRead(ReadEvent.RequestComplete);
    if (this.body !== null && !discarded && !this.body.destroyed) this.body.push(null);
    if (this.host.isClosed || this.host.ending || this.read === ReadState.Closed) return PAUSE;
    if (this.pendingSwitch !== null) {
      this.host.holdInput();
      return PAUSE;
    }
    if (this.response === ResponseState.Done) {
      this.finishExchange();
      if (this.host.ending || this.host.isClosed) return PAUSE;
      if (this.host.needsDrain) {
        // Pipelined requests behind this one wait until the client has read these answers.
        this.host.holdUntilDrained();
        return PAUSE;
      }
      return 0;
    }
    this.host.holdInput();
    return PAUSE;
  }

  /** @internal The body's consumer wants more bytes. */
  onBodyRead(): void {
    if (this.expectsContinue) {
      this.expectsContinue = false;
      if (this.response === ResponseState.None && !this.host.isClosed) this.host.write(CONTINUE);
    }
    this.host.resumeReading();
  }

  // --- answers ---------------------------------------------------------------------------

  /** Answers request number `seq` with a handler's result. Late or repeated answers are dropped. */
  respond(seq: number, result: HandlerResult): void {
    if (result === HANDED_OFF && seq === this.seq) {
      if (this.owner !== null && !this.isClosed) {
        this.owner.opened(); // a channel answers from here on
        return;
      }
      if (this.pendingSwitch !== null || this.read === ReadState.Switched) return;
    }
    if (seq === this.seq && result !== HANDED_OFF && (this.owner !== null || this.pendingSwitch !== null)) {
      // A channel or switch was made but what it returned was not returned (easy in JavaScript).
      this.ctx.errorLogger(handOffNotReturned(this.owner !== null, this.request, result));
      this.pendingSwitch = null;
      if (result === null || result === undefined) {
        this.abandonOwner('error');
        this.answer(seq, INTERNAL_ERROR);
        return;
      }
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
    if (seq !== this.seq || this.response !== ResponseState.None || this.isClosed || this.read === ReadState.Switched) {
      if (!this.isClosed && !this.host.ending && this.read !== ReadState.Closed) {
        this.ctx.warnLogger(`A response for ${this.request?.uri ?? 'a finished request'} was dropped: the request was already answered`);
      }
      return;
    }
    this.beforeHead();
    noteStatus(this.request, response.status);
    try {
      writeResponse(this, response);
    } catch (error) {
      // Invalid status or header: nothing was written yet.
      this.handlerFailed(seq, error);
    }
  }

  handlerFailed(seq: number, error: unknown): void {
    this.ctx.errorLogger(`Handler failed for ${this.request?.requestMethod?.toUpperCase() ?? ''} ${this.request?.uri ?? ''}`, error);
    publishError(this.request, error);
    if (seq !== this.seq || this.isClosed) return;
    if (this.response === ResponseState.None && this.read !== ReadState.Switched) {
      this.abandonOwner('error');
      this.pendingSwitch = null;
      this.beforeHead();
      noteStatus(this.request, 500);
      writeResponse(this, INTERNAL_ERROR);
    } else if (this.response === ResponseState.Streaming) {
      this.host.destroy('error');
    }
  }

  /** Tells a channel that owns the current answer that it will not get to answer. */
  private abandonOwner(reason: CloseReason): void {
    const owner = this.owner;
    if (owner === null) return;
    this.setOwner(null);
    try {
      owner.connectionClosed(reason);
    } catch (error) {
      this.ctx.errorLogger('onClose callback failed', error);
    }
  }

  private setOwner(owner: ResponseOwner | null): void {
    this.owner = owner;
    // A parked request may be held for good, and a paused socket would hide the client's close.
    this.host.closeOnReadAheadLimit = owner !== null;
  }

  /** A client still waiting for 100 Continue may never send its body: this connection cannot be reused. */
  private beforeHead(): void {
    if (this.expectsContinue && this.read !== ReadState.Complete) this.keepAlive = false;
  }

  // --- channel primitives (see channel.ts) ----------------------------------------------

  /** @internal Makes `owner` the one to answer `request`; returns the request's seq. */
  adopt(owner: ResponseOwner, request: Request): number {
    if (this.isClosed) throw new ChannelMisuseError(`asChannel: the connection of ${request.uri} is already closed`);
    if (this.request !== request || this.response !== ResponseState.None || this.owner !== null || this.pendingSwitch !== null) {
      throw new ChannelMisuseError(`asChannel: the request for ${request.uri} is already answered or owned by another channel`);
    }
    this.setOwner(owner);
    return this.seq;
  }

  /** @internal Writes the head of a channel's streamed answer. */
  channelStart(seq: number, status: number, headers: Response['headers']): boolean {
    if (seq !== this.seq || this.isClosed || this.response !== ResponseState.None) return false;
    this.beforeHead();
    noteStatus(this.request, status);
    this.framing = writeStreamHead(this, status, headers);
    this.advanceResponse(ResponseEvent.HeadSent);
    return !this.host.needsDrain;
  }

  /** @internal Writes one piece of a channel's streamed body; false when the buffer is full. */
  channelWrite(seq: number, data: string | Uint8Array): boolean {
    if (seq !== this.seq || this.isClosed || this.response !== ResponseState.Streaming) return false;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (size === 0 || this.framing === StreamFraming.NoBody) return !this.host.needsDrain;
    if (this.framing === StreamFraming.Chunked) return writeChunk(this.host, data, size);
    return this.host.write(data);
  }

  /** @internal Ends a channel's streamed body. */
  channelEnd(seq: number): void {
    if (seq !== this.seq || this.isClosed || this.response !== ResponseState.Streaming) return;
    if (this.framing === StreamFraming.Chunked) this.host.write(LAST_CHUNK);
    this.responseFinished();
  }

  // --- ResponseTarget ----------------------------------------------------------------------

  /** @internal */
  responseStarted(): void {
    this.advanceResponse(ResponseEvent.HeadSent);
  }

  /** @internal */
  responseFinished(bodyBytes?: number): void {
    if (this.isClosed) return;
    // Middleware hooks (a logger, multipart's temporary files) learn the answer is out.
    if (this.request !== null)
      answerEnded(this.request, bodyBytes === undefined ? ANSWER_SENT : { reason: 'server-closed', status: 0, bodyBytes }, this.host);
    this.advanceResponse(ResponseEvent.AnswerFinished);
    this.setOwner(null);
    if (this.read !== ReadState.Complete) {
      // Answered before the request was read entirely: the rest of its body is dropped. A
      // client still waiting for 100 Continue may never send it: that connection cannot be reused.
      if (this.body !== null) {
        if (this.expectsContinue) this.keepAlive = false;
        this.advanceRead(ReadEvent.AnsweredEarly);
        if (this.keepAlive) this.host.resumeReading();
      }
      if (!this.keepAlive) this.host.end();
      return;
    }
    this.finishExchange();
  }

  /** @internal */
  responseAborted(error: unknown, headSent: boolean): void {
    if (this.isClosed) return;
    if (!headSent) {
      // A file that cannot be sent: answer for it, nothing is on the wire yet.
      const missing = (error as NodeJS.ErrnoException)?.code === 'ENOENT';
      this.ctx.errorLogger(missing ? 'Response file not found' : 'Response file could not be read', error);
      this.advanceResponse(ResponseEvent.HeadNotSent);
      writeResponse(this, missing ? NOT_FOUND : INTERNAL_ERROR);
      return;
    }
    this.ctx.errorLogger(`Response to ${this.request?.uri ?? 'a request'} failed mid-body; closing the connection`, error);
    this.host.destroy('error');
  }

  // --- after the answer: switch protocol, keep alive, or close ---------------------------

  /**
   * @internal Answers `request` with `head` (a 101) and gives the connection to the protocol
   * `create` makes, once the request has been read.
   */
  switchTo(request: Request, head: Uint8Array, create: (host: ProtocolHost) => Protocol): void {
    if (this.isClosed) throw new ChannelMisuseError(`switchProtocol: the connection of ${request.uri} is already closed`);
    if (this.request !== request || this.response !== ResponseState.None || this.owner !== null || this.pendingSwitch !== null) {
      throw new ChannelMisuseError(`switchProtocol: the request for ${request.uri} is already answered or owned by a channel`);
    }
    if (!this.upgradeRequested)
      throw new ChannelMisuseError(
        `switchProtocol: the request for ${request.uri} asked for no upgrade (Connection: upgrade and Upgrade headers)`,
      );
    this.pendingSwitch = create;
    this.switchHead = head;
    if (this.read === ReadState.Complete && !this.parsing) this.completeSwitch();
  }

  private completeSwitch(): void {
    const create = this.pendingSwitch!;
    const head = this.switchHead!;
    this.pendingSwitch = this.switchHead = null;
    this.releaseParser();
    this.advanceRead(ReadEvent.Switched);
    this.advanceResponse(ResponseEvent.AnswerFinished);
    // The new protocol may keep the request (a WebSocket channel does); this session need not live on with it.
    if (this.request !== null) requestUpgraded(this.ctx.counters, this.host, this.request);
    if (this.request !== null) this.request[kExchange] = undefined;
    this.request = null;
    this.body = null;
    this.host.write(head);
    this.host.cancelTimer(); // the new protocol arms its own
    this.host.switchProtocol(create(this.host));
  }

  /** Both sides of the exchange are done: get ready for the next request, or close. */
  private finishExchange(): void {
    if (this.request !== null) requestFinished(this.ctx.counters);
    this.request = null;
    this.body = null;
    this.advanceResponse(ResponseEvent.NextRequest);
    this.advanceRead(ReadEvent.NextRequest);
    this.setOwner(null);
    if (!this.keepAlive || this.ctx.stopping) {
      this.host.end();
      return;
    }
    if (this.parsing) return; // the parse goes on with whatever follows in this chunk
    this.host.resumeInput();
    if (this.read === ReadState.Idle && this.host.heldBytes === 0 && !this.host.isClosed) this.becomeIdle();
  }

  /** Answers a bad request with its status and closes the connection. */
  private reject(rejection: Rejection, reason?: CloseReason): void {
    if (!this.readsHttp || this.isClosed) return;
    this.advanceRead(ReadEvent.Refused);
    this.keepAlive = false;
    if (this.body !== null && !this.body.destroyed) {
      this.body.abortReason = `the server refused the rest of the request (${rejection.detail}) and answered ${statusOf(rejection.failure)}`;
      this.body.destroy();
    }
    if (this.response === ResponseState.Streaming) {
      this.host.destroy(reason ?? 'error');
      return;
    }
    if (this.response === ResponseState.None) {
      this.host.write(rejectionBytes(statusOf(rejection.failure), rejection.detail));
      this.advanceResponse(ResponseEvent.AnswerFinished);
    }
    this.host.end(reason);
  }

  // --- the two state machines ------------------------------------------------------------

  /** The one place `read` changes: `event` says what happened to the request. */
  private advanceRead(event: ReadEvent): void {
    switch (event) {
      case ReadEvent.MessageBegins:
        this.read = ReadState.Head;
        return;
      case ReadEvent.HeadDispatched:
        this.read = ReadState.Body;
        return;
      case ReadEvent.AnsweredEarly:
        // Only a body still arriving is dropped from here on; one read whole stays Complete.
        if (this.read === ReadState.Body) this.read = ReadState.DiscardingBody;
        return;
      case ReadEvent.RequestComplete:
        // A request refused meanwhile stays refused: nothing more is read as HTTP.
        if (this.read !== ReadState.Closed) this.read = ReadState.Complete;
        return;
      case ReadEvent.NextRequest:
        this.read = ReadState.Idle;
        return;
      case ReadEvent.Refused:
        this.read = ReadState.Closed;
        return;
      case ReadEvent.Switched:
        this.read = ReadState.Switched;
        return;
    }
  }

  /** The one place `response` changes: `event` says what happened to the answer. */
  private advanceResponse(event: ResponseEvent): void {
    switch (event) {
      case ResponseEvent.NextRequest:
      case ResponseEvent.HeadNotSent:
        this.response = ResponseState.None;
        return;
      case ResponseEvent.HeadSent:
        this.response = ResponseState.Streaming;
        return;
      case ResponseEvent.AnswerFinished:
        this.response = ResponseState.Done;
        return;
    }
  }

  /** Input is still read as HTTP: not refused or closing, not switched to another protocol. */
  private get readsHttp(): boolean {
    switch (this.read) {
      case ReadState.Closed:
      case ReadState.Switched:
        return false;
      default:
        return true;
    }
  }

  /** A request's head or body is on its way (its timers run). */
  private get midRequest(): boolean {
    switch (this.read) {
      case ReadState.Head:
      case ReadState.Body:
      case ReadState.DiscardingBody:
        return true;
      default:
        return false;
    }
  }
}
