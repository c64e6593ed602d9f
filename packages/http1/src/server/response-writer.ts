/**
 * Writes a Ring response to a connection: picks the framing (Content-Length, chunked or
 * close-delimited), writes head and small bodies in one buffer, and pumps streams and files
 * with backpressure.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pumpBody, type PumpTarget } from '@http-kit/core';
import { BodyKind, bodyKind, FileBody, type Response, type ResponseBody } from './body-types.js';
import { dateHeaderLine } from './date-cache.js';
import { LAST_CHUNK, writeChunk } from '../codec/chunked.js';
import {
  addDefaultHeader,
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  CONNECTION_NONE,
  copyScan,
  encodeHead,
  scanHeaders,
  type HeaderScan,
} from '../codec/head-encoder.js';
import { statusHasNoBody, statusLine } from '../codec/status-codes.js';
import { InvalidStatusError, ResponseBodyError } from '../errors.js';
import type { ProtocolHost } from '@http-kit/core';

/** Bodies up to this size are copied into the head buffer: one write instead of two. */
const INLINE_BODY_LIMIT = 64 * 1024;

/**
 * The Content-Type a body gets when the program sets none (as fastify does): a string is text in
 * UTF-8 (what the writer encodes it as), bytes are opaque. Without it a client, ours included,
 * can only guess (and a browser sniffs). Streams and files get none: they are the program's to type.
 */
export const TEXT_TYPE = 'text/plain; charset=utf-8';
export const BYTES_TYPE = 'application/octet-stream';

/** The default Content-Type of a whole body, or null for a body of another kind. */
export function defaultContentType(body: unknown): string | null {
  return typeof body === 'string' ? TEXT_TYPE : body instanceof Uint8Array ? BYTES_TYPE : null;
}

/**
 * `headers` with the default Content-Type of `body` added when they set none (a channel's stream
 * head, whose first chunk is its body); the same object when nothing is added.
 */
export function withDefaultContentType(headers: Response['headers'], body: unknown): Response['headers'] {
  const type = defaultContentType(body);
  if (type === null) return headers;
  if (headers !== undefined && headers !== null) {
    for (const name in headers) {
      if (name.length === 12 && name.toLowerCase() === 'content-type' && headers[name] !== undefined && headers[name] !== null)
        return headers;
    }
  }
  return { ...headers, 'content-type': type };
}

/** What the writer needs from the exchange it answers. */
export interface ResponseTarget {
  /** The connection: writes go through it (and are batched there). */
  readonly host: ProtocolHost;
  /** The connection is closed: nothing more can be written. */
  readonly isClosed: boolean;
  readonly isHead: boolean;
  readonly http10: boolean;
  /** In: whether the connection may stay open; the writer turns it off when it must close. */
  keepAlive: boolean;
  /** "Server: x\r\n" as bytes, or empty. */
  readonly serverLine: Uint8Array;
  /** The head is out and the body is on its way (streams and files). */
  responseStarted(): void;
  /** The whole response is written (or handed to the socket); `bodyBytes` when the writer counted the body (a file, a stream). */
  responseFinished(bodyBytes?: number): void;
  /** The response could not be completed; before its head went out it can still be answered for. */
  responseAborted(error: unknown, headSent: boolean): void;
}

/** Writes `response`; throws (before writing anything) on an invalid status or header. */
export function writeResponse(target: ResponseTarget, response: Response): void {
  const status = response.status ?? 200;
  const line = finalStatusLine(status, target.http10);
  const headers = scanHeaders(response.headers);
  if (headers.connection !== null && headers.connection.includes('close')) target.keepAlive = false;
  const body = response.body;
  const kind = bodyKind(body);

  if (statusHasNoBody(status)) {
    writeHeadOnly(target, line, headers, -1);
    discard(body, kind);
    return;
  }
  switch (kind) {
    case BodyKind.Empty:
      // A HEAD answer may state the length a GET would have (RFC 9110 9.3.2).
      writeWhole(target, line, headers, null, target.isHead && headers.contentLength >= 0 ? headers.contentLength : 0);
      return;
    case BodyKind.Text:
      if (!headers.hasContentType) addDefaultHeader(headers, 'content-type', TEXT_TYPE);
      writeWhole(target, line, headers, body as string, Buffer.byteLength(body as string));
      return;
    case BodyKind.Bytes:
      if (!headers.hasContentType) addDefaultHeader(headers, 'content-type', BYTES_TYPE);
      writeWhole(target, line, headers, body as Uint8Array, (body as Uint8Array).byteLength);
      return;
    case BodyKind.File:
      target.responseStarted();
      // The scan is shared scratch space; the file's head is written after an await.
      void sendFile(target, line, copyScan(headers), body as FileBody);
      return;
    case BodyKind.Stream:
      startStream(target, line, headers, body as AsyncIterable<Uint8Array | string>);
      return;
  }
}

/**
 * The status line of a final response. A 1xx is interim and never the answer: 100 Continue is
 * the server's own, and 101 goes through switchProtocol, which hands the connection over.
 */
function finalStatusLine(status: number, http10: boolean): Uint8Array {
  if (typeof status === 'number' && status >= 100 && status < 200) {
    throw new InvalidStatusError(
      `A response cannot have status ${status}: 1xx responses are interim, not answers (the server sends 100 Continue itself; for 101 call switchProtocol(req, headers, createProtocol))`,
    );
  }
  return statusLine(status, http10);
}

function connectionMode(target: ResponseTarget): number {
  if (!target.keepAlive) return CONNECTION_CLOSE;
  return target.http10 ? CONNECTION_KEEP_ALIVE : CONNECTION_NONE;
}

const NO_LINE = new Uint8Array(0);

function dateLine(headers: HeaderScan): Uint8Array {
  return headers.hasDate ? NO_LINE : dateHeaderLine();
}

function writeHeadOnly(target: ResponseTarget, line: Uint8Array, headers: HeaderScan, contentLength: number): void {
  const head = encodeHead(line, headers, contentLength, false, connectionMode(target), dateLine(headers), target.serverLine, null, 0);
  target.host.write(head);
  target.responseFinished();
}

function writeWhole(target: ResponseTarget, line: Uint8Array, headers: HeaderScan, body: string | Uint8Array | null, length: number): void {
  const host = target.host;
  const mode = connectionMode(target);
  const date = dateLine(headers);
  if (target.isHead || body === null || length === 0) {
    host.write(encodeHead(line, headers, length, false, mode, date, target.serverLine, null, 0));
  } else if (length <= INLINE_BODY_LIMIT) {
    host.write(encodeHead(line, headers, length, false, mode, date, target.serverLine, body, length));
  } else {
    host.cork();
    host.write(encodeHead(line, headers, length, false, mode, date, target.serverLine, null, 0));
    host.write(body);
    host.uncork();
  }
  target.responseFinished();
}

/** Streams of unknown length go chunked (close-delimited for HTTP/1.0 peers). */
function startStream(target: ResponseTarget, line: Uint8Array, headers: HeaderScan, source: AsyncIterable<Uint8Array | string>): void {
  const length = headers.contentLength;
  const chunked = length < 0 && !target.http10;
  if (length < 0 && target.http10) target.keepAlive = false;
  const head = encodeHead(line, headers, length, chunked, connectionMode(target), dateLine(headers), target.serverLine, null, 0);
  target.host.write(head);
  if (target.isHead) {
    discard(source, BodyKind.Stream);
    target.responseFinished();
    return;
  }
  target.responseStarted();
  void pump(target, source, chunked, length);
}

async function sendFile(target: ResponseTarget, line: Uint8Array, headers: HeaderScan, file: FileBody): Promise<void> {
  let size: number;
  try {
    const info = await stat(file.path);
    if (!info.isFile()) throw Object.assign(new Error(`Not a file: ${file.path}`), { code: 'EISDIR' });
    const start = file.start ?? 0;
    const end = Math.min(file.end ?? info.size, info.size);
    size = Math.max(0, end - start);
  } catch (error) {
    target.responseAborted(error, false);
    return;
  }
  if (target.isClosed) return;
  const start = file.start ?? 0;
  const head = encodeHead(line, headers, size, false, connectionMode(target), dateLine(headers), target.serverLine, null, 0);
  target.host.write(head);
  if (target.isHead || size === 0) {
    target.responseFinished();
    return;
  }
  await pump(target, createReadStream(file.path, { start, end: start + size - 1, highWaterMark: 64 * 1024 }), false, size);
}

/** Copies `source` to the connection with backpressure; stops (and releases the source) if the client goes. */
async function pump(target: ResponseTarget, source: AsyncIterable<Uint8Array | string>, chunked: boolean, length: number): Promise<void> {
  let sent: number;
  try {
    sent = await pumpBody(source, new BodyPump(target, chunked), length, tooLong);
  } catch (error) {
    target.responseAborted(error, true);
    return;
  }
  if (sent < 0 || target.isClosed) return;
  if (length >= 0 && sent !== length) {
    target.responseAborted(new ResponseBodyError(`Response body ended after ${sent} of its ${length} bytes (Content-Length)`), true);
    return;
  }
  if (chunked) target.host.write(LAST_CHUNK);
  target.responseFinished(sent);
}

function tooLong(length: number): Error {
  return new ResponseBodyError(`Response body is longer than its Content-Length ${length}`);
}

/** A streamed body's way to the connection: framed as chunks or written as it is. */
class BodyPump implements PumpTarget {
  constructor(
    private readonly target: ResponseTarget,
    private readonly chunked: boolean,
  ) {}

  write(chunk: Uint8Array | string, size: number): boolean {
    return this.chunked ? writeChunk(this.target.host, chunk, size) : this.target.host.write(chunk);
  }

  drained(): Promise<void> {
    return this.target.host.drained();
  }

  stopped(): boolean {
    return this.target.isClosed;
  }
}

/**
 * Starts a response whose body the caller writes piece by piece (an async channel): writes the
 * head with chunked framing (close-delimited for HTTP/1.0 peers, none for HEAD and bodiless
 * statuses). Returns whether chunks must be framed; throws before writing on a bad header.
 */
export function writeStreamHead(target: ResponseTarget, status: number, responseHeaders: Response['headers']): StreamFraming {
  const line = finalStatusLine(status, target.http10);
  const headers = scanHeaders(responseHeaders);
  if (headers.connection !== null && headers.connection.includes('close')) target.keepAlive = false;
  const bodiless = statusHasNoBody(status) || target.isHead;
  const length = bodiless ? -1 : headers.contentLength;
  const chunked = !bodiless && length < 0 && !target.http10;
  if (!bodiless && length < 0 && target.http10) target.keepAlive = false;
  target.host.write(encodeHead(line, headers, length, chunked, connectionMode(target), dateLine(headers), target.serverLine, null, 0));
  return bodiless ? StreamFraming.NoBody : chunked ? StreamFraming.Chunked : StreamFraming.Raw;
}

export const StreamFraming = {
  NoBody: 0,
  Chunked: 1,
  Raw: 2,
} as const;
/** One of the framings in `StreamFraming`. */
export type StreamFraming = (typeof StreamFraming)[keyof typeof StreamFraming];

/** Releases a body that will not be sent (HEAD, 204, 304). */
function discard(body: ResponseBody, kind: BodyKind): void {
  if (kind !== BodyKind.Stream) return;
  const stream = body as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof stream.destroy === 'function') stream.destroy();
  else if (typeof stream.cancel === 'function') stream.cancel().catch(() => {});
}
