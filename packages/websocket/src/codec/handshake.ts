/**
 * The pieces of the opening handshake (RFC 6455 4) that are pure functions: the accept key, the
 * check of a client's key, and comma-separated token lists (Connection, Upgrade,
 * Sec-WebSocket-Protocol). The HTTP side of the handshake belongs to the server and the client.
 *
 * @example
 * acceptKey('dGhlIHNhbXBsZSBub25jZQ=='); // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 * parseTokenList('keep-alive, Upgrade');  // ['keep-alive', 'Upgrade']
 */
import { createHash } from 'node:crypto';

/** The GUID RFC 6455 appends to the client's key before hashing it. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(sha1(key + GUID)). */
export function acceptKey(secWebSocketKey: string): string {
  return createHash('sha1')
    .update(secWebSocketKey + WS_GUID, 'latin1')
    .digest('base64');
}

// 16 bytes in base64: 22 characters of the alphabet, then the '==' padding.
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Whether `key` is a Sec-WebSocket-Key: base64 that decodes to exactly 16 bytes.
 *
 * @example
 * isValidKey('dGhlIHNhbXBsZSBub25jZQ=='); // true
 * isValidKey('dGhlIHNhbXBsZQ==');         // false: 10 bytes
 */
export function isValidKey(key: string | undefined): boolean {
  return typeof key === 'string' && KEY.test(key);
}

/**
 * The elements of a comma-separated list header, trimmed of spaces and tabs, empty elements
 * dropped (RFC 9110 5.6.1). Elements are returned as written: compare Connection and Upgrade
 * tokens case-insensitively, Sec-WebSocket-Protocol ones exactly, and check them with `isToken`
 * where the grammar matters.
 *
 * @example
 * parseTokenList('a, b,c');  // ['a', 'b', 'c']
 * parseTokenList(' , x ,');  // ['x']
 * parseTokenList(undefined); // []
 */
export function parseTokenList(header: string | undefined): string[] {
  const tokens: string[] = [];
  if (header === undefined) return tokens;
  let start = 0;
  const length = header.length;
  while (start <= length) {
    let end = header.indexOf(',', start);
    if (end === -1) end = length;
    let a = start;
    let b = end;
    while (a < b && isSpace(header.charCodeAt(a))) a++;
    while (b > a && isSpace(header.charCodeAt(b - 1))) b--;
    if (b > a) tokens.push(header.slice(a, b));
    start = end + 1;
  }
  return tokens;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
