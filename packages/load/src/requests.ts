/**
 * Requests as bytes, built once before the run: each RequestSpec becomes one Buffer holding the
 * request line, Host, the headers, Content-Length and the body, written as is on every send.
 */
import type { RequestSpec, ResolvedOptions } from './options.js';

/** A prebuilt request. */
export interface RequestBytes {
  bytes: Buffer;
  /** A HEAD request: its response has no body whatever its headers say. */
  head: boolean;
}

/** The value of the Host header for the target. */
export function hostHeader(options: ResolvedOptions): string {
  return options.url.host;
}

/**
 * The bytes of `spec` for the target, with `extra` header lines (each ending in CRLF) added.
 *
 * @example
 * encodeRequest({ method: 'GET', path: '/hello' }, options).bytes;
 */
export function encodeRequest(spec: RequestSpec, options: ResolvedOptions, extra = ''): RequestBytes {
  const method = (spec.method ?? 'GET').toUpperCase();
  const path = spec.path ?? `${options.url.pathname}${options.url.search}`;
  const body = spec.body === undefined ? null : Buffer.from(spec.body, 'utf8');
  // A Host given in the headers (a virtual host behind the address dialled) replaces the URL's.
  const headers = Object.entries(spec.headers ?? {});
  const host = headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? hostHeader(options);
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  let hasLength = false;
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'host') continue;
    if (name.toLowerCase() === 'content-length') hasLength = true;
    head += `${name}: ${value}\r\n`;
  }
  if (body !== null && !hasLength) head += `Content-Length: ${body.length}\r\n`;
  head += `${extra}\r\n`;
  const headBytes = Buffer.from(head, 'latin1');
  return { bytes: body === null ? headBytes : Buffer.concat([headBytes, body]), head: method === 'HEAD' };
}
