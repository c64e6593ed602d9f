/**
 * Serialises a request head into one Buffer: sizes every line first, then writes each piece
 * in place with writeLatin1 (no string concatenation of headers). A request with no options
 * of its own (no headers, no body, no query) gets the same bytes each time, so its head is
 * serialised once per URL and method and reused (the bytes are never mutated, so one Buffer
 * can sit in several sockets' write queues at once).
 *
 * It knows nothing of sockets: the connection writes what it returns (and frames a streamed
 * body with the codec's chunked framing, shared with the server).
 */
import { writeLatin1 } from '@http-kit/core';
import {
  HAS_ACCEPT_ENCODING,
  HAS_CONNECTION,
  HAS_CONTENT_LENGTH,
  HAS_HOST,
  HAS_TRANSFER_ENCODING,
  HAS_USER_AGENT,
  type PreparedRequest,
} from './options.js';

const ACCEPT_ENCODING = 'gzip, deflate';
/** Bytes ": " and CRLF add to a header line. */
const LINE = 4;
const VERSION = ' HTTP/1.1\r\n';

/** Body framing the head announces. */
export const Framing = {
  /** No body and no Content-Length (GET, HEAD...). */
  None: -2,
  /** Transfer-Encoding: chunked. */
  Chunked: -1,
  // >= 0: Content-Length
} as const;
/** `Framing.None`, `Framing.Chunked`, or a Content-Length (>= 0). */
export type Framing = (typeof Framing)[keyof typeof Framing];

/** Methods whose empty body is still announced with `Content-Length: 0`. */
function expectsBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/** The framing a request's body needs. */
export function framingOf(req: PreparedRequest): number {
  if (req.body !== null) return req.body.length;
  if (req.bodyStream !== null)
    return (req.headerFlags & (HAS_CONTENT_LENGTH | HAS_TRANSFER_ENCODING)) !== 0 ? Framing.None : Framing.Chunked;
  return expectsBody(req.method) ? 0 : Framing.None;
}

/**
 * The request head (and, when `withBody`, the fixed body right after it, so a small request is
 * one write). `requestTarget` is `req.path`, or the absolute URL when talking to a proxy.
 */
export function serialiseRequest(req: PreparedRequest, requestTarget: string, proxyAuth: string | null, withBody: boolean): Buffer {
  const plain =
    req.headerNames === null && req.body === null && req.bodyStream === null && requestTarget === req.target.path && proxyAuth === null;
  if (plain) {
    const heads = req.target.heads;
    const cached = heads === null ? undefined : heads.get(req.method);
    if (cached !== undefined && cached.userAgent === req.userAgent && cached.close === req.closeConnection) return cached.bytes;
  }
  const bytes = serialise(req, requestTarget, proxyAuth, withBody ? req.body : null);
  if (plain) {
    (req.target.heads ??= new Map()).set(req.method, { userAgent: req.userAgent, close: req.closeConnection, bytes });
  }
  return bytes;
}

function serialise(req: PreparedRequest, requestTarget: string, proxyAuth: string | null, body: Buffer | null): Buffer {
  const flags = req.headerFlags;
  const framing = framingOf(req);
  const lengthText = framing >= 0 && (flags & (HAS_CONTENT_LENGTH | HAS_TRANSFER_ENCODING)) === 0 ? String(framing) : null;
  const chunked = framing === Framing.Chunked;
  const names = req.headerNames;
  const values = req.headerValues;

  let size = req.method.length + 1 + requestTarget.length + VERSION.length + 2;
  if ((flags & HAS_HOST) === 0) size += 4 + LINE + req.target.hostHeader.length;
  if ((flags & HAS_USER_AGENT) === 0) size += 10 + LINE + req.userAgent.length;
  if ((flags & HAS_ACCEPT_ENCODING) === 0) size += 15 + LINE + ACCEPT_ENCODING.length;
  if (req.closeConnection && (flags & HAS_CONNECTION) === 0) size += 10 + LINE + 5;
  if (proxyAuth !== null) size += 19 + LINE + proxyAuth.length;
  if (names !== null) for (let i = 0; i < names.length; i++) size += names[i].length + LINE + values![i].length;
  if (lengthText !== null) size += 14 + LINE + lengthText.length;
  if (chunked) size += 17 + LINE + 7;
  const headSize = size;
  if (body !== null) size += body.length;

  const buf = Buffer.allocUnsafe(size);
  let at = writeLatin1(buf, req.method, 0);
  buf[at++] = 32;
  at = writeLatin1(buf, requestTarget, at);
  at = writeLatin1(buf, VERSION, at);
  if ((flags & HAS_HOST) === 0) at = line(buf, at, 'Host', req.target.hostHeader);
  if ((flags & HAS_USER_AGENT) === 0) at = line(buf, at, 'User-Agent', req.userAgent);
  if ((flags & HAS_ACCEPT_ENCODING) === 0) at = line(buf, at, 'Accept-Encoding', ACCEPT_ENCODING);
  if (req.closeConnection && (flags & HAS_CONNECTION) === 0) at = line(buf, at, 'Connection', 'close');
  if (proxyAuth !== null) at = line(buf, at, 'Proxy-Authorization', proxyAuth);
  if (names !== null) for (let i = 0; i < names.length; i++) at = line(buf, at, names[i], values![i]);
  if (lengthText !== null) at = line(buf, at, 'Content-Length', lengthText);
  if (chunked) at = line(buf, at, 'Transfer-Encoding', 'chunked');
  buf[at++] = 13;
  buf[at++] = 10;
  if (at !== headSize) throw new Error(`request head size mismatch: computed ${headSize}, wrote ${at}`);
  if (body !== null) body.copy(buf, at);
  return buf;
}

function line(buf: Buffer, at: number, name: string, value: string): number {
  at = writeLatin1(buf, name, at);
  buf[at++] = 58; // :
  buf[at++] = 32;
  at = writeLatin1(buf, value, at);
  buf[at++] = 13;
  buf[at++] = 10;
  return at;
}

/** A `CONNECT host:port` request opening a tunnel through a proxy. */
export function serialiseConnect(authority: string, proxyAuth: string | null): Buffer {
  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (proxyAuth !== null) head += `Proxy-Authorization: ${proxyAuth}\r\n`;
  return Buffer.from(head + '\r\n', 'latin1');
}
