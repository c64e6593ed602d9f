/**
 * One client connection: reads requests off the socket through llhttp, hands each to the
 * handler, writes the answers in order, and keeps the connection alive between requests.
 *
 * One request is handled at a time. When a request has been read and its response is not done
 * yet, the parser pauses and whatever the client pipelined behind it waits (socket paused)
 * until the response is out: responses stay in order and read-ahead stays bounded.
 *
 * An idle connection holds no parser: one is taken from the pool when a request's first byte
 * arrives and given back when the exchange is over.
 */
import type { Socket } from 'node:net';
import { ChunkQueue, Timer } from '@http-kit/core';
import { HttpParser, LimitExceeded, ParseResult, PAUSE, TYPE_REQUEST, type ParserEvents } from '../codec/parser.js';
import { charsetOf, headerMap, kExchange, RequestBody, splitTarget, type BodySource, type Request } from './request.js';
import { isBareBody, type Response } from './body-types.js';
import { StreamFraming, writeChunk, writeLastChunk, writeResponse, writeStreamHead, type ResponseTarget } from './response-writer.js';
import { reasonPhrase } from '../codec/status-codes.js';
import type { HandlerResult, ServerContext } from './server-context.js';

const kConnection = Symbol('http-kit.connection');

const enum ResponseState {
  None,
  /** Head sent, body on its way (a stream, a file, or a channel). */
  Streaming,
  Done,
}

const enum ReadTimer {
  None,
  KeepAlive,
  Headers,
  Body,
  Linger,
}

/** Bytes read ahead of the request being answered before the socket pauses. */
const MAX_READ_AHEAD = 64 * 1024;
/** How long a closing connection waits for the client to read the last answer and hang up. */
const LINGER_MS = 2_000;
const METHOD_HEAD = 2; // llhttp's method number for HEAD

/** Why a connection or channel closed, as `onClose` reports it. */
export type CloseReason = 'client-closed' | 'server-closed' | 'server-stopping' | 'timeout' | 'error';

/** Something that takes the response over from the handler (an async channel). */
export interface ResponseOwner {
  /** The handler has returned: the owner may start answering (onOpen). */
  opened(): void;
  /** The connection is going away; `reason` says why. */
  connectionClosed(reason: CloseReason): void;
}

const hostCounter = { hostCount: 0 };
const target = { uri: '', queryString: null as string | null, authority: null as string | null };

export class Connection implements ParserEvents, BodySource, ResponseTarget {
  readonly socket: Socket;
  private readonly ctx: ServerContext;
  readonly remoteAddr: string;
  private parser: HttpParser | null = null;
  private readonly readTimer: Timer<Connection>;
  private readTimerKind = ReadTimer.None;
  private writeTimer: Timer<Connection> | null = null;
  private pendingInput: ChunkQueue | null = null;
  private drainWaiters: Array<() => void> | null = null;

  // Reading state.
  private inExecute = false;
  private messageInProgress = false;
  /** The request is read but its response is not done: the parser is paused. */
  private waitingForResponse = false;
  private rejected = false;
  /** Reading stopped until the client takes what we wrote. */
  private pausedForDrain = false;

  // The current exchange.
  /** Increments per request, so a late answer cannot land on a later request. */
  seq = 0;
  request: Request | null = null;
  private body: RequestBody | null = null;
  private bodyBytes = 0;
  private discardingBody = false;
  private continuePending = false;
  private requestComplete = false;
  private responseState = ResponseState.None;
  private framing = StreamFraming.NoBody;
  isHead = false;
  http10 = false;
  keepAlive = true;
  /** A channel that owns the current response, told when the connection goes. */
  owner: ResponseOwner | null = null;

  // Lifecycle.
  /** 'close' has been handled. */
  private closeHandled = false;
  private closing = false;
  /** The client has closed its sending side. */
  private peerEnded = false;
  private closeReason: CloseReason | null = null;

  constructor(socket: Socket, ctx: ServerContext) {
    this.socket = socket;
    this.ctx = ctx;
    this.remoteAddr = socket.remoteAddress ?? '';
    (socket as unknown as Record<symbol, Connection>)[kConnection] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('drain', onSocketDrain);
    this.readTimer = new Timer<Connection>(onReadTimeout, this);
    this.armReadTimer(ReadTimer.KeepAlive, ctx.keepAliveTimeout);
  }

  /**
   * Whether the connection is gone: its socket destroyed (a failed write destroys it at once;
   * 'close' follows a turn of the event loop later) or closed.
   */
  get closed(): boolean {
    return this.closeHandled || this.socket.destroyed;
  }

  get serverLine(): Uint8Array {
    return this.ctx.serverLine;
  }

  /** The server's registry of channels holding requests open. */
  get channels(): ServerContext['channels'] {
    return this.ctx.channels;
  }

  logError(message: string, error: unknown): void {
    this.ctx.errorLogger(message, error);
  }

  logWarning(message: string): void {
    this.ctx.warnLogger(message);
  }

  // --- reading ---------------------------------------------------------------------------

  /** @internal */
  onData(chunk: Buffer): void {
    if (this.rejected || this.closed) return; // closing after an error: read and drop
    if (this.waitingForResponse || this.pausedForDrain || this.pendingInput?.length) {
      this.queueInput(chunk, false);
      return;
    }
    this.parse(chunk);
    // A client that sends requests but does not read the answers: stop reading until it does,
    // so its answers cannot pile up in our write buffer.
    if (this.socket.writableNeedDrain && !this.closed && !this.rejected) {
      this.pausedForDrain = true;
      this.socket.pause();
    }
  }

  private parse(chunk: Buffer): void {
    let parser = this.parser;
    if (parser === null) {
      parser = this.parser = HttpParser.acquire(TYPE_REQUEST, this);
      parser.maxUrlLength = this.ctx.maxLine;
      parser.maxHeaderBytes = this.ctx.maxHeaderSize;
    }
    this.inExecute = true;
    const result = parser.execute(chunk);
    this.inExecute = false;
    switch (result) {
      case ParseResult.Ok:
        if (this.closed) this.releaseParser();
        else if (!this.messageInProgress && this.request === null) this.becomeIdle();
        return;
      case ParseResult.Paused:
        if (this.closed || this.closing) return;
        if (parser.offset < chunk.length) this.queueInput(chunk.subarray(parser.offset), true);
        // Paused at a message boundary, waiting for the response (which may take minutes for
        // a parked channel): the parser goes back to the pool; the next bytes get a fresh one.
        if (this.waitingForResponse) this.releaseParser();
        return;
      case ParseResult.Upgrade:
        // We speak no other protocol here: the handler answered in HTTP and the connection
        // closes after that answer (keepAlive was turned off at the head).
        return;
      case ParseResult.Error:
        this.onParseError(parser);
        return;
    }
  }

  /**
   * Keeps bytes that arrived behind a request still being answered. Reading goes on up to
   * MAX_READ_AHEAD, so a client that hangs up while parked is still noticed; past it the
   * socket pauses and the client waits.
   */
  private queueInput(chunk: Buffer, front: boolean): void {
    const queue = (this.pendingInput ??= new ChunkQueue());
    if (front) queue.unshift(chunk);
    else queue.push(chunk);
    if (queue.bytes <= MAX_READ_AHEAD) return;
    if (this.owner !== null) {
      // A channel may hold the request for good, and a paused socket would hide the client's
      // close: a client that piles up this much behind a parked request is cut off.
      this.ctx.warnLogger(`Closing a connection that pipelined over ${MAX_READ_AHEAD} bytes behind a parked request`);
      this.destroy('error');
      return;
    }
    this.socket.pause();
  }

  private onParseError(parser: HttpParser): void {
    if (!this.rejected) {
      if (parser.limitExceeded === LimitExceeded.Url) this.reject(414, 'Request target too long');
      else if (parser.limitExceeded === LimitExceeded.Headers) this.reject(431, 'Request header fields too large');
      else this.reject(400, `${parser.errorReason} (${parser.errorName})`);
    }
    this.releaseParser();
  }

  /** Resumes parsing after the response to a fully read request is done. */
  private resumeReading(): void {
    this.waitingForResponse = false;
    this.drainQueue();
  }

  /** Parses what waited in the queue, then reads from the socket again. */
  private drainQueue(): void {
    this.parser?.resume();
    const queue = this.pendingInput;
    while (queue !== null && queue.length > 0 && !this.waitingForResponse && !this.closed && !this.rejected && !this.closing) {
      this.parse(queue.shift()!);
      if (this.socket.writableNeedDrain && !this.closed) {
        this.pausedForDrain = true;
        this.socket.pause();
        return;
      }
    }
    if (this.closed || this.waitingForResponse || this.closing) return;
    if (!this.pausedForDrain) this.socket.resume();
    if (!this.messageInProgress && this.request === null) this.becomeIdle();
  }

  private becomeIdle(): void {
    this.releaseParser();
    if (this.ctx.stopping || this.closing || this.peerEnded) {
      this.closeGracefully();
      return;
    }
    this.armReadTimer(ReadTimer.KeepAlive, this.ctx.keepAliveTimeout);
  }

  private releaseParser(): void {
    if (this.parser !== null && !this.inExecute) {
      this.parser.release();
      this.parser = null;
    }
  }

  // --- parser events -------------------------------------------------------------------

  onMessageBegin(): number {
    this.messageInProgress = true;
    this.armReadTimer(ReadTimer.Headers, this.ctx.headersTimeout);
    return 0;
  }

  onHeadersComplete(parser: HttpParser, upgrade: boolean, shouldKeepAlive: boolean): number {
    this.cancelReadTimer();
    const ctx = this.ctx;
    if (parser.versionMajor !== 1 || parser.versionMinor > 1) {
      if (parser.versionMajor === 0) this.reject(400, 'Request line has no HTTP version');
      else this.reject(505, `HTTP/${parser.versionMajor}.${parser.versionMinor} is not supported`);
      return -1;
    }
    const headers = headerMap(parser.rawHeaders, hostCounter);
    const hosts = hostCounter.hostCount;
    if (hosts > 1 || (hosts === 0 && parser.versionMinor === 1)) {
      this.reject(400, hosts === 0 ? 'Missing Host header' : 'More than one Host header');
      return -1;
    }
    const transferEncoding = headers['transfer-encoding'];
    if (transferEncoding !== undefined && !endsWithChunked(transferEncoding)) {
      // RFC 9112 6.3: a request body whose length cannot be determined is an error.
      this.reject(400, `Transfer-Encoding must end with chunked: ${transferEncoding}`);
      return -1;
    }
    const lengthHeader = headers['content-length'];
    const contentLength = lengthHeader === undefined ? null : Number(lengthHeader);
    if (contentLength !== null && contentLength > ctx.maxBody) {
      this.reject(413, `Request body of ${contentLength} bytes exceeds the limit of ${ctx.maxBody}`);
      return -1;
    }
    const hasBody = (contentLength !== null && contentLength > 0) || transferEncoding !== undefined;
    const expect = headers['expect'];
    this.continuePending = false;
    if (expect !== undefined) {
      if (expect.toLowerCase() !== '100-continue') {
        this.reject(417, `Unsupported Expect: ${expect}`);
        return -1;
      }
      this.continuePending = hasBody && parser.versionMinor >= 1;
    }

    this.http10 = parser.versionMinor === 0;
    this.isHead = parser.method === METHOD_HEAD;
    // HTTP/1.0 has no chunked framing: such a message is faulty and the connection closes (RFC 9112 6.1).
    this.keepAlive = shouldKeepAlive && !upgrade && !ctx.stopping && !this.closing && !(this.http10 && transferEncoding !== undefined);
    this.requestComplete = false;
    this.responseState = ResponseState.None;
    this.bodyBytes = 0;
    this.discardingBody = false;
    const body = hasBody ? new RequestBody(this, ctx.maxBody) : null;
    this.body = body;
    splitTarget(parser.url, target);
    const contentType = headers['content-type'] ?? null;
    // An absolute-form target names the host; Host is then ignored (RFC 9112 3.2.2).
    const host = target.authority ?? headers['host'];
    const request: Request = {
      serverPort: ctx.port,
      serverName: host === undefined || host === '' ? ctx.defaultServerName : hostName(host),
      remoteAddr: this.remoteAddr,
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
    };
    // Set after the literal: a computed key would keep V8 from using the literal's fast path.
    request[kExchange] = this;
    this.request = request;
    const seq = ++this.seq;
    if (hasBody) this.armReadTimer(ReadTimer.Body, ctx.bodyTimeout);
    this.dispatch(request, seq);
    return 0;
  }

  onBody(_parser: HttpParser, chunk: Buffer): number {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.ctx.maxBody) {
      this.reject(413, `Request body exceeds the limit of ${this.ctx.maxBody} bytes`);
      return -1;
    }
    const body = this.body;
    if (body === null || this.discardingBody || body.destroyed) return 0;
    this.armReadTimer(ReadTimer.Body, this.ctx.bodyTimeout);
    if (!body.push(chunk)) this.socket.pause();
    return 0;
  }

  onMessageComplete(): number {
    this.messageInProgress = false;
    this.cancelReadTimer();
    this.requestComplete = true;
    if (this.body !== null && !this.discardingBody && !this.body.destroyed) this.body.push(null);
    if (this.closed || this.rejected) return PAUSE;
    if (this.responseState === ResponseState.Done) {
      this.finishExchange();
      if (this.closing || this.closed) return PAUSE;
      if (this.socket.writableNeedDrain) {
        // Pipelined requests behind this one wait until the client has read these answers.
        this.pausedForDrain = true;
        this.socket.pause();
        return PAUSE;
      }
      return 0;
    }
    this.waitingForResponse = true;
    return PAUSE;
  }

  /** @internal The body's consumer wants more bytes. */
  onBodyRead(): void {
    if (this.continuePending) {
      this.continuePending = false;
      if (this.responseState === ResponseState.None) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    if (!this.waitingForResponse && !this.closed && !this.pendingInput?.length && !this.pausedForDrain) this.socket.resume();
  }

  // --- handler and responses -----------------------------------------------------------

  private dispatch(request: Request, seq: number): void {
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      result = this.ctx.handler(request);
    } catch (error) {
      this.handlerFailed(seq, error);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<HandlerResult>).then(
        (value) => this.respond(seq, value),
        (error: unknown) => this.handlerFailed(seq, error),
      );
    } else {
      this.respond(seq, result as HandlerResult);
    }
  }

  /** Answers request number `seq` with a handler's result. Late or repeated answers are dropped. */
  respond(seq: number, result: HandlerResult): void {
    if (result === HANDED_OFF && this.owner !== null && seq === this.seq && !this.closed) {
      this.owner.opened(); // a channel answers from here on
      return;
    }
    // The handler answered itself: a channel it took over first has nothing left to do.
    if (seq === this.seq) this.abandonOwner('error');
    let response: Response;
    if (result === null || result === undefined || result === HANDED_OFF) response = NOT_FOUND;
    else if (isBareBody(result)) response = { status: 200, body: result };
    else response = result as Response;
    this.answer(seq, response);
  }

  /** Writes `response` for request number `seq` (handlers' results and channels' answers). */
  answer(seq: number, response: Response): void {
    if (seq !== this.seq || this.responseState !== ResponseState.None || this.closed) {
      if (!this.closed && !this.rejected) this.ctx.warnLogger(`A response for ${this.request?.uri ?? 'a finished request'} was dropped: the request was already answered`);
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

  /** Tells a channel that owns the current response that it will not get to answer. */
  private abandonOwner(reason: CloseReason): void {
    const owner = this.owner;
    if (owner === null) return;
    this.owner = null;
    try {
      owner.connectionClosed(reason);
    } catch (error) {
      this.ctx.errorLogger('onClose callback failed', error);
    }
  }

  /** A client still waiting for 100 Continue may never send its body: this connection cannot be reused. */
  private beforeHead(): void {
    if (this.continuePending && !this.requestComplete) this.keepAlive = false;
  }

  private handlerFailed(seq: number, error: unknown): void {
    this.ctx.errorLogger(`Handler failed for ${this.request?.requestMethod?.toUpperCase() ?? ''} ${this.request?.uri ?? ''}`, error);
    if (seq !== this.seq || this.closed) return;
    if (this.responseState === ResponseState.None) {
      this.abandonOwner('error');
      this.beforeHead();
      writeResponse(this, INTERNAL_ERROR);
    } else if (this.responseState === ResponseState.Streaming) {
      this.socket.destroy();
    }
  }

  // --- channel primitives (see channel.ts) ----------------------------------------------

  /** @internal Makes `owner` the one to answer the current request; returns the request's seq. */
  adopt(owner: ResponseOwner): number {
    if (this.closed) throw new Error('asChannel: the connection is already closed');
    if (this.request === null || this.responseState !== ResponseState.None || this.owner !== null) {
      throw new Error('asChannel: this request is already answered or owned by another channel');
    }
    this.owner = owner;
    return this.seq;
  }

  /** @internal Writes the head of a channel's streamed response. */
  channelStart(seq: number, status: number, headers: Response['headers']): boolean {
    if (seq !== this.seq || this.closed || this.responseState !== ResponseState.None) return false;
    this.beforeHead();
    this.framing = writeStreamHead(this, status, headers);
    this.responseState = ResponseState.Streaming;
    return !this.socket.writableNeedDrain;
  }

  /** @internal Writes one piece of a channel's streamed body; false when the socket's buffer is full. */
  channelWrite(seq: number, data: string | Uint8Array): boolean {
    if (seq !== this.seq || this.closed || this.responseState !== ResponseState.Streaming) return false;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (size === 0 || this.framing === StreamFraming.NoBody) return !this.socket.writableNeedDrain;
    if (this.framing === StreamFraming.Chunked) return writeChunk(this.socket, data, size);
    return this.socket.write(data);
  }

  /** @internal Ends a channel's streamed body. */
  channelEnd(seq: number): void {
    if (seq !== this.seq || this.closed || this.responseState !== ResponseState.Streaming) return;
    if (this.framing === StreamFraming.Chunked) writeLastChunk(this.socket);
    this.responseFinished();
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** @internal ResponseTarget */
  responseStarted(): void {
    this.responseState = ResponseState.Streaming;
  }

  /** @internal ResponseTarget */
  responseFinished(): void {
    if (this.closed) return;
    // A whole body still waiting in the socket's buffer is bounded by writeTimeout too.
    if (this.socket.writableNeedDrain) this.armWriteTimer();
    this.responseState = ResponseState.Done;
    this.owner = null;
    if (!this.requestComplete) {
      // Answered before the request was fully read (at its head, for a request without a
      // body): the rest of a body is dropped. A client still waiting for 100 Continue may never
      // send it, so that connection cannot be reused.
      if (this.body !== null) {
        if (this.continuePending) this.keepAlive = false;
        this.discardingBody = true;
        if (this.keepAlive && !this.waitingForResponse && !this.pausedForDrain) this.socket.resume();
      }
      if (!this.keepAlive) this.closeGracefully();
      return;
    }
    this.finishExchange();
  }

  /** @internal ResponseTarget */
  responseAborted(error: unknown, headSent: boolean): void {
    if (this.closed) return;
    if (!headSent) {
      // A file that cannot be sent: answer for it, nothing is on the wire yet.
      const missing = (error as NodeJS.ErrnoException)?.code === 'ENOENT';
      this.ctx.errorLogger(missing ? 'Response file not found' : 'Response file could not be read', error);
      this.responseState = ResponseState.None;
      writeResponse(this, missing ? NOT_FOUND : INTERNAL_ERROR);
      return;
    }
    this.ctx.errorLogger(`Response to ${this.request?.uri ?? 'a request'} failed mid-body; closing the connection`, error);
    this.closeReason ??= 'error';
    this.socket.destroy();
  }

  /** @internal ResponseTarget: resolves on 'drain' or close; a stuck client is cut off after writeTimeout. */
  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      (this.drainWaiters ??= []).push(resolve);
      this.armWriteTimer();
    });
  }

  /** A client that stops reading is cut off once a write has been stuck for writeTimeout. */
  private armWriteTimer(): void {
    const timer = (this.writeTimer ??= new Timer<Connection>(onWriteTimeout, this));
    if (!timer.armed && this.ctx.writeTimeout > 0) this.ctx.wheel.schedule(timer, this.ctx.writeTimeout);
  }

  /** @internal */
  onDrain(): void {
    this.writeTimer?.cancel();
    if (this.pausedForDrain) {
      this.pausedForDrain = false;
      if (!this.waitingForResponse && !this.closed) this.drainQueue();
    }
    const waiters = this.drainWaiters;
    if (waiters !== null) {
      this.drainWaiters = null;
      for (const wake of waiters) wake();
    }
  }

  /** Both sides of the exchange are done: get ready for the next request, or close. */
  private finishExchange(): void {
    this.request = null;
    this.body = null;
    this.requestComplete = false;
    this.responseState = ResponseState.None;
    this.owner = null;
    if (!this.keepAlive || this.ctx.stopping) {
      this.closeGracefully();
      return;
    }
    if (this.inExecute) return; // parse() goes on with whatever follows in this chunk
    if (this.waitingForResponse) this.resumeReading();
    else if (!this.messageInProgress) this.becomeIdle();
  }

  // --- closing ---------------------------------------------------------------------------

  /** Answers a bad request with `status` and closes the connection. */
  private reject(status: number, reason: string): void {
    if (this.rejected || this.closed) return;
    this.rejected = true;
    this.keepAlive = false;
    if (this.body !== null && !this.body.destroyed) this.body.destroy();
    if (this.responseState === ResponseState.None) {
      const text = `${reasonPhrase(status)}: ${reason}\n`;
      this.socket.write(
        `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
      this.responseState = ResponseState.Done;
    } else if (this.responseState === ResponseState.Streaming) {
      this.socket.destroy();
      return;
    }
    this.closeGracefully();
  }

  /** Ends our side once pending writes are out; the client gets LINGER_MS to hang up. */
  closeGracefully(): void {
    if (this.closed) return;
    this.closing = true;
    this.cancelReadTimer();
    this.socket.end();
    // Keep reading (and dropping) so the client's FIN is seen and unread data cannot turn
    // our close into a reset that loses the last response.
    this.rejected = true;
    this.socket.resume();
    this.armReadTimer(ReadTimer.Linger, LINGER_MS);
  }

  /** The server is stopping: idle connections close now, busy ones after their response. */
  shutdown(): void {
    if (this.closed) return;
    this.closeReason ??= 'server-stopping';
    if (this.request === null && !this.messageInProgress) {
      this.closeGracefully();
      return;
    }
    this.keepAlive = false;
    if (this.owner !== null && this.responseState === ResponseState.None) {
      // A parked channel: there is nothing to wait for.
      this.socket.destroy();
    }
  }

  /** Destroys the socket now (stop timeout, channel close). */
  destroy(reason: CloseReason): void {
    this.closeReason ??= reason;
    this.socket.destroy();
  }

  /** @internal The client closed its sending side. */
  onEnd(): void {
    if (this.closed) return;
    this.peerEnded = true;
    if (this.owner !== null && this.responseState !== ResponseState.Done) {
      // A parked or streaming channel: the client is gone; tell the channel at once.
      this.closeReason ??= 'client-closed';
      this.socket.destroy();
      return;
    }
    if (this.messageInProgress) {
      // A request cut off in its head or body can never be completed.
      if (this.body !== null && !this.body.destroyed) this.body.destroy();
      this.closeReason ??= 'client-closed';
      if (this.responseState === ResponseState.Streaming) this.socket.destroy();
      else this.closeGracefully();
      return;
    }
    // Idle: nothing more will come. Otherwise a half-closing client (such as `nc -N`) still
    // reads: what it sent is answered first, and becomeIdle() closes.
    if (this.request === null && !this.waitingForResponse && !this.pendingInput?.length) this.closeGracefully();
  }

  /** @internal */
  onClose(): void {
    if (this.closeHandled) return;
    this.closeHandled = true;
    this.cancelReadTimer();
    this.writeTimer?.cancel();
    this.releaseParser();
    this.pendingInput?.clear();
    this.onDrain();
    if (this.body !== null && !this.requestComplete && !this.body.destroyed) this.body.destroy();
    const owner = this.owner;
    this.owner = null;
    if (owner !== null) {
      try {
        owner.connectionClosed(this.closeReason ?? (this.closing ? 'server-closed' : 'client-closed'));
      } catch (error) {
        this.ctx.errorLogger('onClose callback failed', error);
      }
    }
    this.ctx.connectionClosed(this);
  }

  // --- timers --------------------------------------------------------------------------

  private armReadTimer(kind: ReadTimer, ms: number): void {
    this.readTimerKind = kind;
    if (ms > 0) this.ctx.wheel.scheduleCoarse(this.readTimer, ms);
    else this.readTimer.cancel();
  }

  private cancelReadTimer(): void {
    this.readTimerKind = ReadTimer.None;
    this.readTimer.cancel();
  }

  /** @internal */
  onReadTimeout(): void {
    switch (this.readTimerKind) {
      case ReadTimer.KeepAlive:
        this.closeReason ??= 'timeout';
        this.socket.destroy();
        return;
      case ReadTimer.Headers:
        this.reject(408, 'Request head not received in time');
        return;
      case ReadTimer.Body:
        this.closeReason ??= 'timeout';
        if (this.responseState === ResponseState.None) this.reject(408, 'Request body not received in time');
        else this.socket.destroy();
        return;
      case ReadTimer.Linger:
        this.socket.destroy();
        return;
    }
  }
}

function endsWithChunked(transferEncoding: string): boolean {
  const last = transferEncoding.lastIndexOf(',');
  return transferEncoding.slice(last + 1).trim().toLowerCase() === 'chunked';
}

function hostName(host: string): string {
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    return close === -1 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Returned by asChannel(): the handler handed the response to a channel. */
export const HANDED_OFF: object = Object.freeze({ handedOff: true });

const NOT_FOUND: Response = { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
const INTERNAL_ERROR: Response = { status: 500, headers: { 'content-type': 'text/plain' }, body: 'Internal Server Error' };

// Socket listeners shared by every connection: no closures per connection.
function connectionOf(socket: Socket): Connection {
  return (socket as unknown as Record<symbol, Connection>)[kConnection];
}
function onSocketData(this: Socket, chunk: Buffer): void {
  connectionOf(this).onData(chunk);
}
function onSocketEnd(this: Socket): void {
  connectionOf(this).onEnd();
}
function onSocketError(this: Socket): void {
  // Resets and broken pipes are a client's business; 'close' follows and cleans up.
}
function onSocketClose(this: Socket): void {
  connectionOf(this).onClose();
}
function onSocketDrain(this: Socket): void {
  connectionOf(this).onDrain();
}
function onReadTimeout(connection: Connection): void {
  connection.onReadTimeout();
}
function onWriteTimeout(connection: Connection): void {
  connection.destroy('timeout');
}
