/**
 * One request from the caller's call to its result: the prepared request (rewritten in place
 * by redirects), the response as it is assembled (head, body chunks, decoding, or a stream
 * handed over at the head), the one retry of an idempotent request on a stale connection, and
 * the settling of the caller's promise — which always resolves, never rejects.
 *
 * The exchange also holds what bounds it as a whole. Its `timeout` deadline (`deadlineAt`,
 * from the call until the result settles or a streamed body's last byte is read) costs no timer
 * of its own: whatever timer bounds the part the exchange is in — its wait in the pool queue,
 * its connection's connect or idle timer — is armed for the earlier of its own limit and the
 * deadline, and says which one passed. Its `signal` cancels it wherever it is: waiting in its
 * pool queue, on a connection (opening or reading), between two hops, decoding, or streaming a
 * body handed over already.
 */
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { EMPTY, type HttpKitError } from '@http-kit/core';
import { responseHeaderMap } from '@http-kit/http1/codec';
import { isTextual, decodeText, parseJson } from './body.js';
import type { Carrier, ExchangeSink } from './exchange-sink.js';
import { Coding, codingOf, decodeBody } from './decompress.js';
import { AbortedError, BadResponseError, BodyTooLargeError } from './errors.js';
import {
  DEFAULT_MAX_BODY,
  HAS_UPGRADE,
  type HttpResponse,
  type HttpResult,
  type RequestOptions,
  type Settled,
  type ResponseAs,
  type TlsOptions,
} from './options.js';
import type { Pool } from './pool.js';
import { followRedirect, shouldFollow } from './redirect.js';
import { StreamedBody, type BodySource } from './streamed-body.js';
import type { Target } from './target.js';
import type { Waiter } from './wait-queue.js';

/** Methods a retry cannot make happen twice in a way that matters (RFC 9110 9.2.2). */
function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
  }
  return false;
}

export class Exchange implements ExchangeSink, BodySource {
  // --- the prepared request (see options.ts) ---
  method = 'GET';
  target!: Target;
  path = '/';
  headerNames: string[] | null = null;
  headerValues: string[] | null = null;
  headerFlags = 0;
  userAgent = '';
  closeConnection = false;
  body: Buffer | null = null;
  bodyStream: Readable | AsyncIterable<Uint8Array | string> | null = null;
  replayable = true;
  connectTimeout = 0;
  idleTimeout = 0;
  connectTimeoutName = 'connectTimeout';
  idleTimeoutName = 'idleTimeout';
  timeout = 0;
  keepalive = 0;
  maxBody = Infinity;
  maxHeaderSize = 0;
  as: ResponseAs = 'auto';
  followRedirects = true;
  maxRedirects = 0;
  insecure = false;
  tls: TlsOptions | null = null;
  proxy: Target | null = null;
  signal: AbortSignal | null = null;

  /** The connection carrying the request (or being opened for it), while it does. */
  conn: Carrier | null = null;
  /** Its place in its route's queue while it waits for a connection. */
  waiter: Waiter<ExchangeSink> | null = null;
  /** When the `timeout` deadline passes (performance.now() ms), Infinity for never. */
  deadlineAt = Infinity;
  /** Set while reading when the response must be abandoned (body too large). */
  failure: HttpKitError | null = null;
  resolve!: (value: unknown) => void;
  private settled = false;
  /** Settled, and a streamed body (if any) is over: the signal no longer applies. */
  private over = false;
  private retried = false;
  private redirects = 0;

  // --- the response being assembled ---
  private status = 0;
  private headers: Record<string, string | string[]> | null = null;
  private trailers: Record<string, string | string[]> | null = null;
  private first: Buffer | null = null;
  private chunks: Buffer[] | null = null;
  private bytes = 0;
  private coding: number = Coding.Identity;
  /** Where a redirect being followed points; its body is dropped. */
  private location: string | null = null;
  /** The body, with `as: 'stream'`, once the head is in. */
  private streamBody: StreamedBody | null = null;
  /** The response handed over with a streamed body: it gets the trailers at the body's end. */
  private streamed: HttpResponse | null = null;

  constructor(
    private readonly pool: Pool,
    readonly opts: RequestOptions,
    private readonly callback: ((result: HttpResult) => unknown) | null,
  ) {}

  /** Sets the deadline, listens to the signal, and hands the request to the pool. */
  dispatch(): void {
    const signal = this.signal;
    if (signal !== null) {
      if (signal.aborted) {
        this.settle({ opts: this.opts, error: this.abortedError(signal) });
        return;
      }
      // The exchange is the listener (handleEvent): no closure per request.
      signal.addEventListener('abort', this);
    }
    if (this.timeout < Infinity) this.deadlineAt = performance.now() + this.timeout;
    this.pool.dispatch(this);
  }

  /** How long the connection may idle after this response: ours, capped by the server's `Keep-Alive: timeout=N`. */
  keepaliveFor(): number {
    let ms = this.keepalive;
    const hint = this.headers?.['keep-alive'];
    if (typeof hint === 'string') {
      const match = /timeout\s*=\s*(\d+)/i.exec(hint);
      // A second of margin: the server's clock started when it sent the response.
      if (match !== null) ms = Math.min(ms, Number(match[1]) * 1000 - 1000);
    }
    return ms;
  }

  // --- ResponseSink ---

  onResponseHead(status: number, rawHeaders: string[]): boolean {
    const headers = responseHeaderMap(rawHeaders);
    this.status = status;
    this.headers = headers;
    this.trailers = null;
    this.first = null;
    this.chunks = null;
    this.bytes = 0;
    this.location = null;
    // The upgrade asked for: no body, the connection hands its socket over (onUpgrade).
    if (status === 101 && (this.headerFlags & HAS_UPGRADE) !== 0) return true;
    if (shouldFollow(this, status)) {
      const location = headers.location;
      if (typeof location === 'string') {
        this.location = location;
        return false;
      }
    }
    const coding = codingOf(headers['content-encoding']);
    this.coding = coding < 0 ? Coding.Identity : coding;
    const length = headers['content-length'];
    if (length !== undefined && this.coding === Coding.Identity && Number(length) > this.maxBody) {
      this.failure = this.tooLarge(`the response body (Content-Length ${length})`);
      return false;
    }
    if (this.as === 'stream') this.startStream();
    return false;
  }

  onResponseBody(chunk: Buffer): void {
    if (this.location !== null || this.failure !== null) return;
    const bytes = (this.bytes += chunk.length);
    if (bytes > this.maxBody) {
      this.failure = this.tooLarge('the response body');
      return;
    }
    if (this.streamBody !== null) {
      if (!this.streamBody.write(chunk)) this.conn?.pauseReading();
    } else if (this.first === null) {
      this.first = chunk;
    } else {
      (this.chunks ??= [this.first]).push(chunk);
    }
  }

  onResponseTrailers(rawTrailers: string[]): void {
    if (this.location !== null || this.failure !== null) return;
    this.trailers = responseHeaderMap(rawTrailers);
  }

  /**
   * Called by the connection once the response has been read entirely, before it offers itself
   * to waiting requests: the result settles (the callback runs) or the body stream ends first.
   */
  onResponseEnd(): void {
    if (this.location !== null) {
      this.redirect(this.location);
      return;
    }
    if (this.streamed !== null) {
      // Before the body's end, so that a consumer reads them on 'end'.
      if (this.trailers !== null) this.streamed.trailers = this.trailers;
      this.streamed = null;
    }
    const streamBody = this.streamBody;
    if (streamBody !== null) {
      this.streamBody = null;
      streamBody.end();
      this.finish();
    } else {
      this.finishBuffered();
    }
  }

  /** A 101 answered the upgrade this request asked for: the socket is the caller's. */
  onUpgrade(socket: Socket, head: Buffer): void {
    this.settle({ opts: this.opts, status: 101, headers: this.headers!, body: EMPTY, url: this.target.href, upgrade: { socket, head } });
  }

  // --- outcomes ---

  /** The request failed; `retryable` when it died on a reused connection before any response byte. */
  fail(error: HttpKitError, retryable: boolean): void {
    if (this.settled) {
      this.failStream(error);
      return;
    }
    if (retryable && !this.retried && this.replayable && isIdempotent(this.method)) {
      this.retried = true;
      this.pool.dispatch(this, true);
      return;
    }
    this.settle({ opts: this.opts, error });
  }

  // --- BodySource: the streamed body's consumer ---

  resumeReading(): void {
    this.conn?.resumeReading();
  }

  /** The consumer destroyed a streamed body before its end: stop reading, drop the connection. */
  consumerGone(): void {
    this.streamBody = null;
    this.streamed = null;
    const conn = this.conn;
    this.conn = null;
    conn?.abort();
    this.finish();
  }

  // --- cancelling: the signal ---

  /** @internal The signal was aborted (the exchange listens to it as an EventListenerObject). */
  handleEvent(): void {
    if (!this.over) this.cancel(this.abortedError(this.signal!));
  }

  /** Ends the exchange with `error` wherever it is; a streamed body handed over already is destroyed with it. */
  private cancel(error: HttpKitError): void {
    if (this.waiter !== null) {
      this.pool.cancelWait(this, error);
      return;
    }
    const conn = this.conn;
    if (conn !== null) {
      this.conn = null;
      conn.abort();
    }
    if (this.settled) this.failStream(error);
    // Otherwise on a connection, between two hops, or decoding: what comes later finds it settled.
    else this.settle({ opts: this.opts, error });
  }

  private abortedError(signal: AbortSignal): AbortedError {
    return new AbortedError(`the request ${this.method} ${this.target.href} was aborted`, { cause: signal.reason });
  }

  /** A streamed body handed over already fails: its consumer gets the error. */
  private failStream(error: HttpKitError): void {
    const body = this.streamBody;
    this.streamBody = null;
    this.streamed = null;
    body?.fail(error);
    this.finish();
  }

  /** The exchange is over: stops listening to the signal. */
  private finish(): void {
    if (this.over) return;
    this.over = true;
    const signal = this.signal;
    if (signal !== null) signal.removeEventListener('abort', this);
  }

  private redirect(location: string): void {
    this.location = null;
    this.retried = false;
    const error = followRedirect(this, this.status, location, ++this.redirects);
    if (error !== null) this.settle({ opts: this.opts, error });
    else this.pool.dispatch(this);
  }

  private startStream(): void {
    const body: Readable = (this.streamBody = new StreamedBody(this, this.coding, this.maxBody)).readable;
    const response: HttpResponse = { opts: this.opts, status: this.status, headers: this.headers!, body, url: this.target.href };
    this.streamed = response;
    this.settle(response);
  }

  private finishBuffered(): void {
    const body = this.first === null ? EMPTY : this.chunks === null ? this.first : Buffer.concat(this.chunks, this.bytes);
    this.first = null;
    this.chunks = null;
    if (this.coding !== Coding.Identity && body.length > 0) {
      decodeBody(this.coding, body, this.maxBody, (error, decoded) => this.decoded(error, decoded));
      return;
    }
    this.deliver(body);
  }

  private decoded(error: Error | null, body: Buffer): void {
    if (error !== null) {
      this.settle({
        opts: this.opts,
        error:
          error instanceof RangeError
            ? this.tooLarge('the decompressed response body')
            : new BadResponseError(
                `cannot decode the response body (Content-Encoding ${this.headers!['content-encoding']}): ${error.message}`,
                { cause: error },
              ),
      });
      return;
    }
    if (body.length > this.maxBody) {
      this.settle({ opts: this.opts, error: this.tooLarge('the decompressed response body') });
      return;
    }
    this.deliver(body);
  }

  /** The error for a body over maxBody, saying when the limit is the default one (and how to lift it). */
  private tooLarge(what: string): BodyTooLargeError {
    const limit =
      this.maxBody === DEFAULT_MAX_BODY && this.as !== 'stream'
        ? `${DEFAULT_MAX_BODY} bytes, the default for a buffered body; set maxBody, or read it with as: 'stream'`
        : `${this.maxBody} bytes`;
    return new BodyTooLargeError(`${what} is larger than maxBody (${limit})`);
  }

  private deliver(bytes: Buffer): void {
    const headers = this.headers!;
    const as = this.as;
    let body: unknown;
    if (as === 'json') {
      try {
        body = parseJson(bytes, this.status, headers);
      } catch (error) {
        this.settle({ opts: this.opts, error: error as HttpKitError });
        return;
      }
    } else {
      body = as === 'buffer' || (as === 'auto' && !isTextual(headers['content-type'])) ? bytes : decodeText(bytes, headers['content-type']);
    }
    // A JSON value is no string | Buffer | Readable: HttpResponse's type leaves it out (see its `body`).
    const response: HttpResponse = {
      opts: this.opts,
      status: this.status,
      headers,
      body: body as HttpResponse['body'],
      url: this.target.href,
    };
    if (this.trailers !== null) response.trailers = this.trailers;
    this.settle(response);
  }

  /** Resolves the caller's promise: with the result, or with what its callback made of it. */
  settle(result: Settled): void {
    if (this.settled) return;
    this.settled = true;
    // A streamed body is still to be read: the signal goes on until its end (and the deadline, on its connection's timer).
    if (this.streamBody === null) this.finish();
    const callback = this.callback;
    if (callback === null) {
      this.resolve(result);
      return;
    }
    let value: unknown;
    try {
      value = callback(result as HttpResult);
    } catch (error) {
      this.resolve({ opts: this.opts, error });
      return;
    }
    if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
      this.resolve(Promise.resolve(value as PromiseLike<unknown>).then(undefined, (error: unknown) => ({ opts: this.opts, error })));
    } else {
      this.resolve(value);
    }
  }
}
