/**
 * Serialises a response head (status line and headers), and a small body with it, into one
 * Buffer: one allocation, one socket write, no string concatenation per header.
 *
 * Two passes: `scanHeaders` validates the handler's headers and notes the ones that decide the
 * framing; the writer then picks the framing and `encodeHead` writes the bytes.
 */
import { writeLatin1 } from '@http-kit/core';
import { InvalidHeaderError } from '../errors.js';
import { isFieldValue, isToken } from './header-validation.js';
import type { HeaderFields } from './header-types.js';

/** What scanning the handler's headers found; reused, valid until the next scan. */
export interface HeaderScan {
  /** Header names and values to write, flattened (arrays become repeated lines). */
  names: string[];
  values: string[];
  /** Each line's bytes ("name: value\r\n") when a line sent before is sent again, else null. */
  lines: Array<Uint8Array | null>;
  count: number;
  /** Bytes of the header lines, CRLFs included. */
  bytes: number;
  /** Content-Length the handler set, or -1. */
  contentLength: number;
  transferEncoding: string | null;
  hasDate: boolean;
  /** The handler set a Content-Type (any case). */
  hasContentType: boolean;
  /** The handler's Connection header, lower-cased, or null. */
  connection: string | null;
}

function newScan(): HeaderScan {
  return {
    names: [],
    values: [],
    lines: [],
    count: 0,
    bytes: 0,
    contentLength: -1,
    transferEncoding: null,
    hasDate: false,
    hasContentType: false,
    connection: null,
  };
}

/**
 * The scan every response head is made from, shared by all connections: no per-response
 * object or arrays. Safe because a head is scanned and encoded in one synchronous stretch, with
 * no await between (the writer copies it, `copyScan`, before the await of a file's stat). The
 * one code that can run inside a scan is the handler's own, a header value's toString or getter:
 * a scan started from there (`scanning`) gets an object of its own.
 */
const shared = newScan();
let scanning = false;

/**
 * Validates and flattens `headers`. Framing headers (Content-Length, Transfer-Encoding,
 * Connection) are noted, not copied: the writer decides them. The result is valid until the
 * next scan.
 *
 * @example
 * const none = new Uint8Array(0);
 * const scan = scanHeaders({ 'content-type': 'text/plain', 'x-id': 7 });
 * const bytes = encodeHead(statusLine(200, false), scan, 2, false, CONNECTION_NONE, none, none, 'ok', 2);
 */
export function scanHeaders(headers: HeaderFields | undefined): HeaderScan {
  if (scanning) return scanInto(newScan(), headers);
  scanning = true;
  try {
    return scanInto(shared, headers);
  } finally {
    scanning = false;
  }
}

function scanInto(scan: HeaderScan, headers: HeaderFields | undefined): HeaderScan {
  scan.count = 0;
  scan.bytes = 0;
  scan.contentLength = -1;
  scan.transferEncoding = null;
  scan.hasDate = false;
  scan.hasContentType = false;
  scan.connection = null;
  if (headers === undefined || headers === null) return scan;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || value === null) continue;
    const known = names.get(name) ?? learnName(name);
    if (known.kind !== NameKind.Other && isFramingHeader(scan, known.kind, value)) continue;
    if (typeof value === 'object') {
      // An array is one line per element; any other object has no wire form ("[object Object]").
      if (!Array.isArray(value)) {
        throw new InvalidHeaderError(
          `Invalid value for response header ${name}: an object (${describeObject(value)}); give a string, a number or an array of them`,
        );
      }
      for (let i = 0; i < value.length; i++) add(scan, known, name, String(value[i]));
    } else {
      add(scan, known, name, typeof value === 'string' ? value : String(value));
    }
  }
  return scan;
}

/**
 * Adds a header line the handler did not set (a default Content-Type) to a scan. `value` is the
 * server's own, known valid: it is not checked.
 */
export function addDefaultHeader(headers: HeaderScan, name: string, value: string): void {
  const line = defaultLine(name, value);
  const i = headers.count++;
  headers.names[i] = name;
  headers.values[i] = value;
  headers.lines[i] = line;
  headers.bytes += line.length;
}

/** The lines of the server's defaults: a handful of constants, found by identity (no key string made per answer). */
const defaultLines: Array<{ readonly name: string; readonly value: string; readonly line: Uint8Array }> = [];

function defaultLine(name: string, value: string): Uint8Array {
  for (let i = 0; i < defaultLines.length; i++) {
    const kept = defaultLines[i];
    if (kept.name === name && kept.value === value) return kept.line;
  }
  const line = lineBytes(name, value);
  // The bound is only a guard: every caller passes constants.
  if (defaultLines.length < 16) defaultLines.push({ name, value, line });
  return line;
}

/** A copy of a scan that outlives the next one (for heads written after an await). */
export function copyScan(headers: HeaderScan): HeaderScan {
  return {
    ...headers,
    names: headers.names.slice(0, headers.count),
    values: headers.values.slice(0, headers.count),
    lines: headers.lines.slice(0, headers.count),
  };
}

/** What a header name means to the writer: most are written as given; a few decide the framing or stand for a default. */
const enum NameKind {
  Other,
  Date,
  Connection,
  ContentType,
  ContentLength,
  TransferEncoding,
}

/**
 * A header name the program has sent: checked once, classified once, with the last value sent
 * under it (checked) and, once that value is sent again, its whole line as bytes. Handlers send
 * the same few names with the same values again and again: then a line costs a map lookup and a
 * copy, with no check, no lower-casing and no character loop. A value unique to one answer (a
 * request id) replaces its name's last value and is never made a line.
 */
interface KnownName {
  readonly kind: NameKind;
  /** The last value checked under this name, or null. */
  value: string | null;
  /** "name: value\r\n" for `value`, made when it came a second time in a row; or null. */
  line: Uint8Array | null;
}

const names = new Map<string, KnownName>();
/** Names made per request would grow the map without end: a full map empties and fills again with what is sent now. */
const NAMES_LIMIT = 1024;
/** Lines longer than this are written from their strings each time (the cache stays small: at most NAMES_LIMIT of these). */
const LINE_LIMIT = 512;

function describeObject(value: object): string {
  const name = value.constructor?.name;
  return name === undefined || name === 'Object' ? 'a plain object' : `a ${name}`;
}

function learnName(name: string): KnownName {
  if (!isToken(name)) throw new InvalidHeaderError(`Invalid response header name: ${JSON.stringify(name)}`);
  if (names.size >= NAMES_LIMIT) names.clear();
  const known: KnownName = { kind: nameKind(name), value: null, line: null };
  names.set(name, known);
  return known;
}

function nameKind(name: string): NameKind {
  switch (name.toLowerCase()) {
    case 'date':
      return NameKind.Date;
    case 'connection':
      return NameKind.Connection;
    case 'content-type':
      return NameKind.ContentType;
    case 'content-length':
      return NameKind.ContentLength;
    case 'transfer-encoding':
      return NameKind.TransferEncoding;
    default:
      return NameKind.Other;
  }
}

/** "name: value\r\n" in latin1 bytes, in memory of its own (not a slice that keeps a shared pool alive). */
function lineBytes(name: string, value: string): Uint8Array {
  const line = Buffer.allocUnsafeSlow(name.length + value.length + 4);
  let at = writeLatin1(line, name, 0);
  line[at++] = 0x3a;
  line[at++] = 0x20;
  at = writeLatin1(line, value, at);
  line[at++] = 0x0d;
  line[at] = 0x0a;
  return line;
}

function add(scan: HeaderScan, known: KnownName, name: string, value: string): void {
  let line: Uint8Array | null = null;
  if (known.value === value) {
    line = known.line;
    if (line === null && value.length <= LINE_LIMIT) line = known.line = lineBytes(name, value);
  } else {
    if (!isFieldValue(value)) throw new InvalidHeaderError(`Invalid character in response header ${name}: ${JSON.stringify(value)}`);
    known.value = value;
    known.line = null;
  }
  const i = scan.count++;
  scan.names[i] = name;
  scan.values[i] = value;
  scan.lines[i] = line;
  scan.bytes += name.length + value.length + 4;
}

/** Notes the headers that decide the framing; true when the writer owns the header. */
function isFramingHeader(scan: HeaderScan, kind: NameKind, value: unknown): boolean {
  switch (kind) {
    case NameKind.Date:
      scan.hasDate = true;
      return false;
    case NameKind.Connection:
      scan.connection = String(value).toLowerCase();
      return true;
    case NameKind.ContentType:
      scan.hasContentType = true;
      return false;
    case NameKind.ContentLength: {
      const length = Number(value);
      if (!Number.isSafeInteger(length) || length < 0) throw new InvalidHeaderError(`Invalid Content-Length: ${JSON.stringify(value)}`);
      scan.contentLength = length;
      return true;
    }
    case NameKind.TransferEncoding:
      scan.transferEncoding = String(value);
      return true;
    default:
      return false;
  }
}

export const CONNECTION_NONE = 0;
export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;
/** "Connection: Upgrade", for a 101 that switches protocols. */
export const CONNECTION_UPGRADE = 3;

/**
 * Writes status line, scanned headers, framing lines and (when given) the whole body into one
 * Buffer. `contentLength` -1 writes no Content-Length; `chunked` writes Transfer-Encoding.
 */
export function encodeHead(
  statusLine: Uint8Array,
  headers: HeaderScan,
  contentLength: number,
  chunked: boolean,
  connection: number,
  dateLine: Uint8Array,
  serverLine: Uint8Array,
  body: string | Uint8Array | null,
  bodyBytes: number,
): Buffer {
  const lengthText = contentLength >= 0 ? String(contentLength) : '';
  let size = statusLine.length + headers.bytes + dateLine.length + serverLine.length + 2;
  if (contentLength >= 0) size += 18 + lengthText.length; // "Content-Length: " + CRLF
  if (chunked) size += 28; // "Transfer-Encoding: chunked\r\n"
  if (connection === CONNECTION_CLOSE)
    size += 19; // "Connection: close\r\n"
  else if (connection === CONNECTION_KEEP_ALIVE)
    size += 24; // "Connection: keep-alive\r\n"
  else if (connection === CONNECTION_UPGRADE) size += 21; // "Connection: Upgrade\r\n"
  const headSize = size;
  if (body !== null) size += bodyBytes;

  const buf = Buffer.allocUnsafe(size);
  buf.set(statusLine, 0);
  let at = statusLine.length;
  const { names, values, lines, count } = headers;
  for (let i = 0; i < count; i++) {
    const line = lines[i];
    if (line !== null) {
      buf.set(line, at);
      at += line.length;
      continue;
    }
    at = writeLatin1(buf, names[i], at);
    buf[at++] = 0x3a; // ':'
    buf[at++] = 0x20;
    at = writeLatin1(buf, values[i], at);
    buf[at++] = 0x0d;
    buf[at++] = 0x0a;
  }
  if (contentLength >= 0) {
    buf.set(CONTENT_LENGTH, at);
    at = writeLatin1(buf, lengthText, at + CONTENT_LENGTH.length);
    buf[at++] = 0x0d;
    buf[at++] = 0x0a;
  }
  if (chunked) {
    buf.set(CHUNKED, at);
    at += CHUNKED.length;
  }
  if (connection === CONNECTION_CLOSE) {
    buf.set(CLOSE, at);
    at += CLOSE.length;
  } else if (connection === CONNECTION_KEEP_ALIVE) {
    buf.set(KEEP_ALIVE, at);
    at += KEEP_ALIVE.length;
  } else if (connection === CONNECTION_UPGRADE) {
    buf.set(UPGRADE, at);
    at += UPGRADE.length;
  }
  if (dateLine.length > 0) {
    buf.set(dateLine, at);
    at += dateLine.length;
  }
  if (serverLine.length > 0) {
    buf.set(serverLine, at);
    at += serverLine.length;
  }
  buf[at++] = 0x0d;
  buf[at++] = 0x0a;
  if (at !== headSize) throw new InvalidHeaderError('Response header holds characters outside latin1');
  if (body !== null) {
    if (typeof body !== 'string') buf.set(body, at);
    else if (bodyBytes === body.length)
      writeLatin1(buf, body, at); // ASCII: latin1 is the same bytes
    else buf.utf8Write(body, at);
  }
  return buf;
}

const CONTENT_LENGTH = Buffer.from('Content-Length: ', 'latin1');
const CHUNKED = Buffer.from('Transfer-Encoding: chunked\r\n', 'latin1');
const CLOSE = Buffer.from('Connection: close\r\n', 'latin1');
const KEEP_ALIVE = Buffer.from('Connection: keep-alive\r\n', 'latin1');
const UPGRADE = Buffer.from('Connection: Upgrade\r\n', 'latin1');
