/**
 * Status lines, prebuilt once per (version, status) so a response head starts with a cached string.
 */
import { STATUS_CODES } from 'node:http';
import { describe } from '@http-kit/core';
import { InvalidStatusError } from '../errors.js';

const lines11 = new Map<number, Buffer>();
const lines10 = new Map<number, Buffer>();

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/** "HTTP/1.1 200 OK\r\n" as bytes for `status`; HTTP/1.0 peers get an HTTP/1.0 status line. */
export function statusLine(status: number, http10: boolean): Buffer {
  const cache = http10 ? lines10 : lines11;
  let line = cache.get(status);
  if (line === undefined) {
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      const what =
        typeof status === 'string'
          ? `the string ${describe(status)}`
          : typeof status === 'number'
            ? String(status)
            : `${describe(status)} (${typeof status})`;
      throw new InvalidStatusError(
        `Invalid HTTP status code: ${what}; a status is a number, an integer from 100 to 999${typeof status === 'string' ? ` (${status}, not ${describe(status)})` : ''}`,
      );
    }
    line = Buffer.from(`${http10 ? 'HTTP/1.0' : 'HTTP/1.1'} ${status} ${reasonPhrase(status)}\r\n`, 'latin1');
    cache.set(status, line);
  }
  return line;
}

/** 1xx, 204 and 304 responses carry no body and no framing headers (RFC 9112 6.3). */
export function statusHasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
