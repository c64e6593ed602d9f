/**
 * What a header name and value may hold (RFC 9110 5.1, 5.5), checked once for server and client.
 * A name is a token; a value is visible ASCII, obs-text and HTAB: CR, LF and NUL would split
 * the message and are never written.
 */

/** RFC 9110 token characters (also what a method may hold). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything but HTAB, visible ASCII and obs-text. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Whether `name` is a valid header name (or method): a non-empty RFC 9110 token. */
export function isToken(name: string): boolean {
  return TOKEN.test(name);
}

/** Values up to this long are checked a character at a time: a regex call costs more than the loop. */
const SHORT_VALUE = 64;

/** Whether `value` may be written as a header value: one line of latin1 text. */
export function isFieldValue(value: string): boolean {
  const length = value.length;
  if (length > SHORT_VALUE) return !INVALID_VALUE.test(value);
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 ? c !== 0x09 : c === 0x7f || c > 0xff) return false;
  }
  return true;
}
