/**
 * What a request must satisfy beyond what llhttp checks, and the one table from each way a
 * request can fail to the status it is answered with (then the connection closes).
 *
 * - The request target (RFC 9112 3.2): origin-form `/path?query`; absolute-form
 *   `http(s)://authority/path` with no userinfo; asterisk-form `*` for OPTIONS only;
 *   authority-form `host:port` for CONNECT only. No fragment (`#`) in any of them.
 * - Host (RFC 9112 3.2, RFC 3986 3.2.2): exactly one in HTTP/1.1, whose value is empty or
 *   uri-host [":" port] (a reg-name, an IPv4 address or a bracketed IP literal; a port of 1 to 5
 *   digits, at most 65535, never empty). With an absolute-form target, Host must name the same
 *   host and port as the target's authority: RFC 9112 3.2.2 lets a server ignore Host then, but a
 *   front end that routes by Host and this server, which answers for the target, would disagree
 *   on which site the request is for (cache poisoning, access rules); no honest client sends two
 *   different ones.
 * - Transfer-Encoding: the last coding must be chunked (else 400, RFC 9112 6.3); any other coding
 *   before it (`gzip, chunked`) is 501 Not Implemented: the server does not decode request
 *   codings, and a handler must not get a body still encoded under a header it cannot trust.
 * - Limits (maxLine 414, maxHeaderSize 431 for the head and for trailers, maxBody 413, chunk
 *   extensions and framing 413), Expect (417), timeouts (408).
 */
import { isIPv6 } from 'node:net';
import { LimitExceeded, type HttpParser } from '../codec/parser.js';

/** The ways a request is refused. */
export const Failure = {
  /** llhttp refused the bytes (framing, syntax, smuggling shapes). */
  Malformed: 0,
  NoVersion: 1,
  UnsupportedVersion: 2,
  MissingHost: 3,
  RepeatedHost: 4,
  /** Host is not uri-host [":" port]. */
  InvalidHost: 5,
  /** An absolute-form target whose authority is not the Host. */
  HostMismatch: 6,
  /** A target of the wrong form for its method, with a fragment, userinfo or a bad authority. */
  InvalidTarget: 7,
  /** Transfer-Encoding that does not end in chunked: the body's length is unknown. */
  UnframedBody: 8,
  /** A transfer coding other than chunked (gzip, deflate...). */
  UnsupportedCoding: 9,
  TargetTooLong: 10,
  HeadersTooLarge: 11,
  TrailersTooLarge: 12,
  BodyTooLarge: 13,
  /** A chunk-size line (with its extensions) longer than MAX_CHUNK_LINE. */
  ChunkLineTooLong: 14,
  /** A body whose framing (chunk lines, extensions, trailers) costs more than maxFramingOf(maxBody). */
  FramingTooLarge: 15,
  UnsupportedExpect: 16,
  HeadTimeout: 17,
  BodyTimeout: 18,
  /** The whole request (head and body) not received within requestTimeout. */
  RequestTimeout: 19,
} as const;
/** One of the failures in `Failure`. */
export type Failure = (typeof Failure)[keyof typeof Failure];

/** Status per Failure, in the enum's order. */
const STATUS: readonly number[] = [
  400, // Malformed
  400, // NoVersion
  505, // UnsupportedVersion
  400, // MissingHost
  400, // RepeatedHost
  400, // InvalidHost
  400, // HostMismatch
  400, // InvalidTarget
  400, // UnframedBody
  501, // UnsupportedCoding
  414, // TargetTooLong
  431, // HeadersTooLarge
  431, // TrailersTooLarge
  413, // BodyTooLarge
  413, // ChunkLineTooLong (node:http: 413 for its chunk-extension limit)
  413, // FramingTooLarge
  417, // UnsupportedExpect
  408, // HeadTimeout
  408, // BodyTimeout
  408, // RequestTimeout
];

export function statusOf(failure: Failure): number {
  return STATUS[failure];
}

/**
 * Most bytes between two pieces of a chunked body: the CRLF ending a chunk and the next
 * chunk-size line with its extensions (or the last chunk's line). Honest lines are a few bytes;
 * node:http allows 16 KiB of extensions per message.
 */
export const MAX_CHUNK_LINE = 4 * 1024;

/**
 * Most bytes of framing a request body may cost in all (every byte read after the head that is
 * not body: chunk-size lines, extensions, trailers), so a chunked body never costs more than
 * about twice maxBody in traffic. Chunks of 5 bytes or more stay under it up to maxBody.
 */
export function maxFramingOf(maxBody: number): number {
  return Math.max(64 * 1024, maxBody);
}

/**
 * Bytes a request head may take beyond what the parser's limits count (the target up to
 * maxLine, field names and values up to maxHeaderSize): padding llhttp skips silently, such as
 * whitespace before a value.
 */
export const HEAD_PADDING = 4 * 1024;

/** A refusal: why, and a short text for the client. */
export interface Rejection {
  failure: Failure;
  detail: string;
}

/** The refusal for a parse that failed; `pastHead` when it failed after the head (in the body or trailers). */
export function parseFailure(parser: HttpParser, pastHead: boolean): Rejection {
  switch (parser.limitExceeded) {
    case LimitExceeded.Url:
      return { failure: Failure.TargetTooLong, detail: 'Request target too long' };
    case LimitExceeded.Headers:
      return pastHead
        ? { failure: Failure.TrailersTooLarge, detail: 'Request trailer fields too large' }
        : { failure: Failure.HeadersTooLarge, detail: 'Request header fields too large' };
    case LimitExceeded.ChunkLine:
      return { failure: Failure.ChunkLineTooLong, detail: `Chunk-size line with extensions longer than ${MAX_CHUNK_LINE} bytes` };
    case LimitExceeded.Framing:
      return {
        failure: Failure.FramingTooLarge,
        detail: `Chunked framing of ${parser.framingBytes} bytes (chunk lines, extensions, trailers) is over the limit`,
      };
  }
  return { failure: Failure.Malformed, detail: `${parser.errorReason} (${parser.errorName})` };
}

/** The parts of a request target the session keeps (see splitTarget in request.ts). */
export interface TargetParts {
  /** The authority of an absolute-form target, as sent (userinfo included), else null. */
  authority: string | null;
  /** The scheme of an absolute-form target, as sent, else null. */
  scheme: string | null;
}

const METHOD_CONNECT = 5; // llhttp's method numbers
const METHOD_OPTIONS = 6;

/**
 * Checks a request head; null when it may be dispatched. `hosts` is how many Host fields it had,
 * `contentLength` its Content-Length (null if none), `target` what splitTarget found.
 */
export function checkHead(
  parser: HttpParser,
  headers: Record<string, string>,
  hosts: number,
  contentLength: number | null,
  maxBody: number,
  target: TargetParts,
): Rejection | null {
  const major = parser.versionMajor;
  const minor = parser.versionMinor;
  if (major !== 1 || minor > 1) {
    if (major === 0) return { failure: Failure.NoVersion, detail: 'Request line has no HTTP version' };
    return { failure: Failure.UnsupportedVersion, detail: `HTTP/${major}.${minor} is not supported` };
  }
  const targetRefusal = checkTarget(parser.url, parser.method, target);
  if (targetRefusal !== null) return targetRefusal;
  if (hosts > 1) return { failure: Failure.RepeatedHost, detail: 'More than one Host header' };
  if (hosts === 0 && minor === 1) return { failure: Failure.MissingHost, detail: 'Missing Host header' };
  const host = headers['host'];
  if (host !== undefined && host !== '') {
    const problem = hostProblem(host, false);
    if (problem !== null) return { failure: Failure.InvalidHost, detail: `Invalid Host ${quote(host)}: ${problem}` };
  }
  if (target.authority !== null && hosts === 1 && !sameAuthority(target.authority, host ?? '', target.scheme!)) {
    return { failure: Failure.HostMismatch, detail: `Host ${quote(host ?? '')} is not the target's authority ${quote(target.authority)}` };
  }
  const transferEncoding = headers['transfer-encoding'];
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.toLowerCase().split(',');
    let last = codings.length - 1;
    while (last > 0 && codings[last].trim() === '') last--;
    // RFC 9112 6.3: a request body whose length cannot be determined is an error.
    if (codings[last].trim() !== 'chunked') {
      return { failure: Failure.UnframedBody, detail: `Transfer-Encoding must end with chunked: ${quote(transferEncoding)}` };
    }
    for (let i = 0; i < last; i++) {
      const coding = codings[i].trim();
      if (coding !== '')
        return { failure: Failure.UnsupportedCoding, detail: `Transfer-Encoding ${quote(coding)} is not supported (only chunked)` };
    }
  }
  if (contentLength !== null && contentLength > maxBody) {
    return { failure: Failure.BodyTooLarge, detail: `Request body of ${contentLength} bytes exceeds the limit of ${maxBody}` };
  }
  const expect = headers['expect'];
  if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
    return { failure: Failure.UnsupportedExpect, detail: `Unsupported Expect: ${quote(expect)}` };
  }
  return null;
}

/** The request target's form against its method, and what no form may hold. */
function checkTarget(url: string, method: number, target: TargetParts): Rejection | null {
  if (url.indexOf('#') !== -1) return invalidTarget(url, 'a fragment (#) is never sent in a request target');
  const first = url.charCodeAt(0);
  if (first === 47 /* / */) {
    if (method === METHOD_CONNECT) return invalidTarget(url, 'CONNECT takes host:port');
    return null;
  }
  if (url === '*') return method === METHOD_OPTIONS ? null : invalidTarget(url, 'the asterisk form is for OPTIONS only');
  if (method === METHOD_CONNECT) {
    const problem = hostProblem(url, true);
    return problem === null ? null : invalidTarget(url, problem);
  }
  const authority = target.authority;
  if (authority === null || target.scheme === null) return invalidTarget(url, 'not a path, an absolute http(s) URI, or * for OPTIONS');
  const scheme = target.scheme.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return invalidTarget(url, `the scheme ${quote(target.scheme)} is not http or https`);
  if (authority.indexOf('@') !== -1) return invalidTarget(url, 'userinfo (user@) is not allowed in a request target');
  const problem = authority === '' ? 'the authority is empty' : hostProblem(authority, false);
  return problem === null ? null : invalidTarget(url, problem);
}

function invalidTarget(url: string, why: string): Rejection {
  return { failure: Failure.InvalidTarget, detail: `Invalid request target ${quote(url)}: ${why}` };
}

// RFC 3986 reg-name: unreserved / pct-encoded / sub-delims.
const REG_NAME = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%") REG_NAME[c.charCodeAt(0)] = 1;
const HEX = /^[0-9a-fA-F]{2}$/;
// IPvFuture (RFC 3986 3.2.2): "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
const IP_FUTURE = /^v[0-9a-fA-F]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;

/**
 * What is wrong with `text` as uri-host [":" port] (RFC 3986 3.2.2-3.2.3), or null when it is
 * right; `portRequired` for CONNECT's authority-form.
 */
export function hostProblem(text: string, portRequired: boolean): string | null {
  let end: number;
  if (text.charCodeAt(0) === 91 /* [ */) {
    end = text.indexOf(']') + 1;
    if (end === 0) return 'an IP literal without its closing ]';
    const literal = text.slice(1, end - 1);
    if (!isIPv6(literal) && !IP_FUTURE.test(literal)) return `${quote(literal)} is not an IPv6 address`;
  } else {
    end = 0;
    while (end < text.length) {
      const code = text.charCodeAt(end);
      if (code === 58 /* : */) break;
      if (code >= 128 || REG_NAME[code] === 0) return `the character ${quote(text[end])} is not allowed in a host name`;
      if (code === 37 /* % */ && !HEX.test(text.slice(end + 1, end + 3))) return 'a % not followed by two hex digits';
      end++;
    }
    if (end === 0) return 'the host name is empty';
  }
  if (end === text.length) return portRequired ? 'a port is required' : null;
  if (text.charCodeAt(end) !== 58 /* : */) return `${quote(text.slice(end))} after the host`;
  // port = 1*5DIGIT, at most 65535 (read without a regex or a slice: this runs per request)
  if (end + 1 === text.length) return 'the port is empty';
  let port = 0;
  for (let i = end + 1; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9 || i - end > 5) return `the port ${quote(text.slice(end + 1))} is not a number from 0 to 65535`;
    port = port * 10 + digit;
  }
  if (port > 65535) return `the port ${port} is over 65535`;
  return null;
}

/** Whether two authorities name the same host (case-insensitively) and port (the scheme's default when absent). */
function sameAuthority(authority: string, host: string, scheme: string): boolean {
  const defaultPort = scheme.toLowerCase() === 'https' ? 443 : 80;
  return hostOf(authority).toLowerCase() === hostOf(host).toLowerCase() && portOf(authority, defaultPort) === portOf(host, defaultPort);
}

/** The host part of a checked uri-host [":" port]. */
export function hostOf(authority: string): string {
  if (authority.charCodeAt(0) === 91 /* [ */) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.indexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}

function portOf(authority: string, defaultPort: number): number {
  const host = hostOf(authority);
  return host.length === authority.length ? defaultPort : Number(authority.slice(host.length + 1));
}

/** A client's value in a refusal: quoted, and cut short. */
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}
