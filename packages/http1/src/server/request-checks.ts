/**
 * What a request head must satisfy beyond what llhttp checks, and the one table from each way a
 * request can fail to the status it is answered with (then the connection closes).
 */
import { LimitExceeded, type HttpParser } from '../codec/parser.js';

/** The ways a request is refused. */
export const enum Failure {
  /** llhttp refused the bytes (framing, syntax, smuggling shapes). */
  Malformed,
  NoVersion,
  UnsupportedVersion,
  MissingHost,
  RepeatedHost,
  /** Transfer-Encoding that does not end in chunked: the body's length is unknown. */
  UnframedBody,
  TargetTooLong,
  HeadersTooLarge,
  BodyTooLarge,
  UnsupportedExpect,
  HeadTimeout,
  BodyTimeout,
}

/** Status per Failure, in the enum's order. */
const STATUS: readonly number[] = [400, 400, 505, 400, 400, 400, 414, 431, 413, 417, 408, 408];

export function statusOf(failure: Failure): number {
  return STATUS[failure];
}

/** A refusal: why, and a short text for the client. */
export interface Rejection {
  failure: Failure;
  detail: string;
}

/** The refusal for a parse that failed. */
export function parseFailure(parser: HttpParser): Rejection {
  if (parser.limitExceeded === LimitExceeded.Url) return { failure: Failure.TargetTooLong, detail: 'Request target too long' };
  if (parser.limitExceeded === LimitExceeded.Headers) return { failure: Failure.HeadersTooLarge, detail: 'Request header fields too large' };
  return { failure: Failure.Malformed, detail: `${parser.errorReason} (${parser.errorName})` };
}

/**
 * Checks a request head; null when it may be dispatched. `hosts` is how many Host fields it had,
 * `contentLength` its Content-Length (null if none).
 */
export function checkHead(parser: HttpParser, headers: Record<string, string>, hosts: number, contentLength: number | null, maxBody: number): Rejection | null {
  const major = parser.versionMajor;
  const minor = parser.versionMinor;
  if (major !== 1 || minor > 1) {
    if (major === 0) return { failure: Failure.NoVersion, detail: 'Request line has no HTTP version' };
    return { failure: Failure.UnsupportedVersion, detail: `HTTP/${major}.${minor} is not supported` };
  }
  if (hosts > 1) return { failure: Failure.RepeatedHost, detail: 'More than one Host header' };
  if (hosts === 0 && minor === 1) return { failure: Failure.MissingHost, detail: 'Missing Host header' };
  const transferEncoding = headers['transfer-encoding'];
  // RFC 9112 6.3: a request body whose length cannot be determined is an error.
  if (transferEncoding !== undefined && !endsWithChunked(transferEncoding)) {
    return { failure: Failure.UnframedBody, detail: `Transfer-Encoding must end with chunked: ${transferEncoding}` };
  }
  if (contentLength !== null && contentLength > maxBody) {
    return { failure: Failure.BodyTooLarge, detail: `Request body of ${contentLength} bytes exceeds the limit of ${maxBody}` };
  }
  const expect = headers['expect'];
  if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
    return { failure: Failure.UnsupportedExpect, detail: `Unsupported Expect: ${expect}` };
  }
  return null;
}

function endsWithChunked(transferEncoding: string): boolean {
  const last = transferEncoding.lastIndexOf(',');
  return transferEncoding.slice(last + 1).trim().toLowerCase() === 'chunked';
}
