/**
 * One request from the caller's call to its result: the prepared request (rewritten in place
 * by redirects), the response as it is assembled (head, body chunks, decoding, or a stream
 * handed over at the head), the one retry of an idempotent request on a stale connection, and
 * the settling of the caller's promise — which always resolves, never rejects.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { EMPTY, type HttpKitError, type Timer } from '@http-kit/core';
import { isTextual, decodeText } from './body.js';
import type { Connection } from './connection.js';
import { Coding, codingOf, createDecoder, decodeBody } from './decompress.js';
import { BadResponseError, BodyTooLargeError } from './errors.js';
import type { HttpResponse, HttpResult, PreparedRequest, RequestOptions, ResponseAs, TlsOptions } from './options.js';
import type { OriginPool, Pool } from './pool.js';
import { followRedirect, shouldFollow } from './redirect.js';
import type { ResponseSink } from './response-reader.js';
import type { Target } from './target.js';

/** Methods a retry cannot make happen twice in a way that matters (RFC 9110 9.2.2). */
function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET': case 'HEAD': case 'OPTIONS': case 'TRACE': case 'PUT': case 'DELETE': return true;
  }
  return false;
}

/** Response headers: lower-cased names, repeats joined with ", ", set-cookie always an array. */
function buildHeaders(raw: string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    const previous = headers[name];
    if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (typeof previous === 'string') headers[name] = previous + ', ' + value;
    else previous.push(value);
  }
  return headers;
}

/** A streamed response body (identity coding): pushes what the connection reads, pauses it when full. */
class BodyStream extends Readable {
  constructor(public exchange: Exchange | null) {
    super();
  }

  override _read(): void {
    this.exchange?.conn?.resumeReading();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const exchange = this.exchange;
    this.exchange = null;
    exchange?.consumerGone();
    callback(error);
  }
}

/**
 * A decoded streamed body: what the decoder writes, passed on to the consumer and counted, so
 * that `maxBody` caps the decompressed size as it does for a buffered body.
 */
class DecodedBody extends Transform {
  private bytes = 0;

  constructor(private readonly maxBody: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBody) {
      // Destroys this stream with the error; its 'close' drops the connection (consumerGone).
      callback(new BodyTooLargeError(`the decompressed response body is larger than maxBody (${this.maxBody} bytes)`));
      return;
    }
    callback(null, chunk);
  }
}

export class Exchange implements PreparedRequest, ResponseSink {
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
  keepalive = 0;
  maxBody = Infinity;
  maxHeaderSize = 0;
  as: ResponseAs = 'auto';
  followRedirects = true;
  maxRedirects = 0;
  insecure = false;
  tls: TlsOptions | null = null;
  proxy: Target | null = null;

  // --- waiting for a connection (see pool.ts); the timer is created the first time it waits ---
  waitTimer: Timer<Exchange> | null = null;
  waitingOn: OriginPool | null = null;
  prevWaiting: Exchange | null = null;
  nextWaiting: Exchange | null = null;

  /** The connection carrying the request, while it does. */
  conn: Connection | null = null;
  /** Set while reading when the response must be abandoned (body too large). */
  failure: HttpKitError | null = null;
  resolve!: (value: unknown) => void;
  private settled = false;
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
  private stream: BodyStream | null = null;
  /** A decoded streamed body: the decoder writes into it. */
  private out: DecodedBody | null = null;
  private decoder: Transform | null = null;
  /** The response handed over with a streamed body: it gets the trailers at the body's end. */
  private streamed: HttpResponse | null = null;

  constructor(
    private readonly pool: Pool,
    readonly opts: RequestOptions,
    private readonly callback: ((result: HttpResult) => unknown) | null,
  ) {}

  /** Hands the request to the pool. */
  dispatch(): void {
    this.pool.dispatch(this);
  }

  /**
   * Leaves the wait for a connection (or had none): cancels the wait timer and returns how
   * much of connectTimeout is left for connecting.
   */
  leaveQueue(): number {
    const timer = this.waitTimer;
    if (timer === null || !timer.armed) return this.connectTimeout;
    const left = timer.deadline - performance.now();
    timer.cancel();
    return left > 1 ? left : 1;
  }

  /** The wait timer fired: no connection slot freed up within connectTimeout. */
  waitTimedOut(): void {
    this.pool.abandonWait(this);
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
    const headers = buildHeaders(rawHeaders);
    this.status = status;
    this.headers = headers;
    this.trailers = null;
    this.first = null;
    this.chunks = null;
    this.bytes = 0;
    this.location = null;
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
      this.failure = new BodyTooLargeError(`the response body (Content-Length ${length}) is larger than maxBody (${this.maxBody} bytes)`);
      return false;
    }
    if (this.as === 'stream') this.startStream();
    return false;
  }

  onResponseBody(chunk: Buffer): void {
    if (this.location !== null || this.failure !== null) return;
    const bytes = (this.bytes += chunk.length);
    if (bytes > this.maxBody) {
      this.failure = new BodyTooLargeError(`the response body is larger than maxBody (${this.maxBody} bytes)`);
      return;
    }
    if (this.stream !== null) {
      if (!this.stream.push(chunk)) this.conn?.pauseReading();
    } else if (this.out !== null) {
      this.decode(chunk);
    } else if (this.first === null) {
      this.first = chunk;
    } else {
      (this.chunks ??= [this.first]).push(chunk);
    }
  }

  onResponseTrailers(rawTrailers: string[]): void {
    if (this.location !== null || this.failure !== null) return;
    this.trailers = buildHeaders(rawTrailers);
  }

  /** Called by the connection once the response has been read entirely (and the connection released). */
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
    if (this.stream !== null) {
      const stream = this.stream;
      this.stream = null;
      stream.exchange = null;
      stream.push(null);
    } else if (this.out !== null) {
      const out = this.out;
      this.out = null;
      if (this.decoder !== null) this.decoder.end();
      else out.end();
      this.decoder = null;
    } else {
      this.finishBuffered();
    }
  }

  // --- outcomes ---

  /** The request failed; `retryable` when it died on a reused connection before any response byte. */
  fail(error: HttpKitError, retryable: boolean): void {
    if (this.settled) {
      // A streamed body was handed over already: its consumer gets the error.
      const body = this.stream ?? this.out;
      this.stream = null;
      this.out = null;
      this.streamed = null;
      this.decoder?.destroy();
      this.decoder = null;
      body?.destroy(error);
      return;
    }
    if (retryable && !this.retried && this.replayable && isIdempotent(this.method)) {
      this.retried = true;
      this.pool.dispatch(this, true);
      return;
    }
    this.settle({ opts: this.opts, error });
  }

  /** The consumer destroyed a streamed body before its end: stop reading, drop the connection. */
  consumerGone(): void {
    this.stream = null;
    this.out = null;
    this.streamed = null;
    this.decoder?.destroy();
    this.decoder = null;
    const conn = this.conn;
    this.conn = null;
    conn?.abort();
  }

  private redirect(location: string): void {
    this.location = null;
    this.retried = false;
    const error = followRedirect(this, this.status, location, ++this.redirects);
    if (error !== null) this.settle({ opts: this.opts, error });
    else this.pool.dispatch(this);
  }

  private startStream(): void {
    let body: Readable;
    if (this.coding !== Coding.Identity) {
      const out = new DecodedBody(this.maxBody);
      out.on('close', () => this.consumerGone());
      this.out = out;
      body = out;
    } else {
      body = this.stream = new BodyStream(this);
    }
    const response: HttpResponse = { opts: this.opts, status: this.status, headers: this.headers!, body, url: this.target.href };
    this.streamed = response;
    this.settle(response);
  }

  private decode(chunk: Buffer): void {
    let decoder = this.decoder;
    if (decoder === null) {
      const out = this.out!;
      decoder = this.decoder = createDecoder(this.coding, chunk);
      decoder.on('error', (error) => out.destroy(new BadResponseError(`cannot decode the response body: ${error.message}`, 'HTTPKIT_BAD_RESPONSE', { cause: error })));
      decoder.on('drain', () => this.conn?.resumeReading());
      decoder.pipe(out);
    }
    if (!decoder.write(chunk)) this.conn?.pauseReading();
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
        error: error instanceof RangeError
          ? new BodyTooLargeError(`the decompressed response body is larger than maxBody (${this.maxBody} bytes)`)
          : new BadResponseError(`cannot decode the response body (Content-Encoding ${this.headers!['content-encoding']}): ${error.message}`, 'HTTPKIT_BAD_RESPONSE', { cause: error }),
      });
      return;
    }
    if (body.length > this.maxBody) {
      this.settle({ opts: this.opts, error: new BodyTooLargeError(`the decompressed response body is larger than maxBody (${this.maxBody} bytes)`) });
      return;
    }
    this.deliver(body);
  }

  private deliver(bytes: Buffer): void {
    const headers = this.headers!;
    const as = this.as;
    const body = as === 'buffer' || (as === 'auto' && !isTextual(headers['content-type'])) ? bytes : decodeText(bytes, headers['content-type']);
    const response: HttpResponse = { opts: this.opts, status: this.status, headers, body, url: this.target.href };
    if (this.trailers !== null) response.trailers = this.trailers;
    this.settle(response);
  }

  /** Resolves the caller's promise: with the result, or with what its callback made of it. */
  settle(result: HttpResult): void {
    if (this.settled) return;
    this.settled = true;
    const callback = this.callback;
    if (callback === null) {
      this.resolve(result);
      return;
    }
    let value: unknown;
    try {
      value = callback(result);
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
