/**
 * Cookies: cookies(req) reads the Cookie header (parsed once per request), setCookie(...) writes
 * one Set-Cookie value (RFC 6265), refusing what a browser would misread or drop.
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import { isToken } from '../codec/header-validation.js';
import type { Request } from './request.js';

/** Parsed Cookie headers by request: nothing is parsed unless a handler asks. */
const parsed = new WeakMap<Request, Record<string, string>>();

/**
 * The request's cookies by name, from its Cookie header: values unquoted and percent-decoded (a
 * malformed escape is kept as written); when a name comes twice the first wins (browsers send the
 * most specific path first); a pair without `=` is skipped. Parsed on the first call for a
 * request; later calls return the same object, which has no prototype.
 *
 * @example
 * // Cookie: session=abc123; theme=dark
 * cookies(req).session; // 'abc123'
 */
export function cookies(req: Request): Record<string, string> {
  let result = parsed.get(req);
  if (result === undefined) {
    result = parseCookieHeader(req.headers.cookie);
    parsed.set(req, result);
  }
  return result;
}

function parseCookieHeader(header: string | undefined): Record<string, string> {
  const result: Record<string, string> = Object.create(null) as Record<string, string>;
  if (header === undefined) return result;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (name === '' || name in result) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1);
    result[name] = value.includes('%') ? decode(value) : value;
  }
  return result;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface SetCookieOptions {
  /** Seconds until the cookie expires; 0 or less deletes it. An integer. */
  maxAge?: number;
  /** When the cookie expires (older browsers read only this). */
  expires?: Date;
  path?: string;
  domain?: string;
  secure?: boolean;
  httpOnly?: boolean;
  /** `'Strict'`, `'Lax'` or `'None'` (any case); `'None'` needs `secure`. */
  sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none';
  /** CHIPS: a cookie kept per top-level site; needs `secure`. */
  partitioned?: boolean;
}

const OPTION_NAMES = ['maxAge', 'expires', 'path', 'domain', 'secure', 'httpOnly', 'sameSite', 'partitioned'];
const SAME_SITE: Record<string, string> = { strict: 'Strict', lax: 'Lax', none: 'None' };
/** Bytes RFC 6265 allows in a cookie value unencoded (cookie-octet), less `%`, which cookies() decodes. */
const SAFE_VALUE = /^[\x21\x23-\x24\x26-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** An attribute value (av-octet): any printable ASCII but `;`. */
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/;
const DOMAIN = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * One Set-Cookie header value. The name must be a token; the value is percent-encoded where RFC
 * 6265 does not allow its bytes (space, `"`, `,`, `;`, `\`, `%`, control and non-ASCII
 * characters), which `cookies(req)` decodes. A bad name, an unknown option or a bad attribute
 * throws `InvalidArgumentError` naming it; so do `sameSite: 'None'` or `partitioned` without
 * `secure`, and the `__Secure-` / `__Host-` prefixes without what they require. Several cookies
 * go out as an array: `headers: { 'set-cookie': [setCookie('a', '1'), setCookie('b', '2')] }`.
 *
 * @example
 * setCookie('session', 'abc 123', { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: 3600 });
 * // 'session=abc%20123; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax'
 */
export function setCookie(name: string, value: string, options: SetCookieOptions = {}): string {
  if (typeof name !== 'string' || !isToken(name))
    throw new InvalidArgumentError(`setCookie: the cookie name ${describe(name)} is not a token (letters, digits and !#$%&'*+-.^_\`|~)`);
  if (typeof value !== 'string')
    throw new InvalidArgumentError(`setCookie: the value of cookie ${name} must be a string, not ${describe(value)}`);
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`setCookie: options must be an object, not ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key))
      throw new InvalidArgumentError(`setCookie: unknown option ${describe(key)} (known: ${OPTION_NAMES.join(', ')})`);
  }
  let cookie = `${name}=${SAFE_VALUE.test(value) ? value : encodeValue(value)}`;
  const { maxAge, expires, path, domain, secure, httpOnly, sameSite, partitioned } = options;
  if (maxAge !== undefined) {
    if (!Number.isSafeInteger(maxAge))
      throw new InvalidArgumentError(`setCookie: maxAge of cookie ${name} must be an integer number of seconds, not ${describe(maxAge)}`);
    cookie += `; Max-Age=${maxAge}`;
  }
  if (expires !== undefined) {
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime()))
      throw new InvalidArgumentError(`setCookie: expires of cookie ${name} must be a valid Date, not ${describe(expires)}`);
    cookie += `; Expires=${expires.toUTCString()}`;
  }
  if (path !== undefined) {
    if (typeof path !== 'string' || !ATTRIBUTE_VALUE.test(path))
      throw new InvalidArgumentError(`setCookie: path of cookie ${name} must be printable ASCII without ';', not ${describe(path)}`);
    cookie += `; Path=${path}`;
  }
  if (domain !== undefined) {
    if (typeof domain !== 'string' || !DOMAIN.test(domain))
      throw new InvalidArgumentError(`setCookie: domain of cookie ${name} is not a domain name: ${describe(domain)}`);
    cookie += `; Domain=${domain}`;
  }
  checkFlag(name, 'secure', secure);
  checkFlag(name, 'httpOnly', httpOnly);
  checkFlag(name, 'partitioned', partitioned);
  if (secure === true) cookie += '; Secure';
  if (httpOnly === true) cookie += '; HttpOnly';
  if (sameSite !== undefined) {
    const canonical = typeof sameSite === 'string' ? SAME_SITE[sameSite.toLowerCase()] : undefined;
    if (canonical === undefined)
      throw new InvalidArgumentError(`setCookie: sameSite of cookie ${name} must be 'Strict', 'Lax' or 'None', not ${describe(sameSite)}`);
    if (canonical === 'None' && secure !== true)
      throw new InvalidArgumentError(`setCookie: cookie ${name} has sameSite 'None' without secure: true (browsers drop it)`);
    cookie += `; SameSite=${canonical}`;
  }
  if (partitioned === true) {
    if (secure !== true) throw new InvalidArgumentError(`setCookie: cookie ${name} is partitioned without secure: true (browsers drop it)`);
    cookie += '; Partitioned';
  }
  if (name.startsWith('__Secure-') && secure !== true)
    throw new InvalidArgumentError(`setCookie: cookie ${name} has the __Secure- prefix without secure: true (browsers drop it)`);
  if (name.startsWith('__Host-') && (secure !== true || path !== '/' || domain !== undefined)) {
    throw new InvalidArgumentError(
      `setCookie: cookie ${name} has the __Host- prefix: it needs secure: true, path: '/' and no domain (browsers drop it otherwise)`,
    );
  }
  return cookie;
}

function checkFlag(name: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    throw new InvalidArgumentError(`setCookie: ${option} of cookie ${name} must be a boolean, not ${describe(value)}`);
}

const HEX = '0123456789ABCDEF';

/** Percent-encodes the utf-8 bytes of `value` that are not cookie-octets (and `%`). */
function encodeValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const safe = byte >= 0x21 && byte <= 0x7e && byte !== 0x22 && byte !== 0x25 && byte !== 0x2c && byte !== 0x3b && byte !== 0x5c;
    out += safe ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}
