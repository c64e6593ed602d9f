/**
 * The HTTP token grammar (RFC 9110 5.6.2) as a table, for the handshake's header values:
 * Sec-WebSocket-Protocol, Sec-WebSocket-Extensions, Connection, Upgrade. (The HTTP codec has
 * its own; the WebSocket codec depends on nothing but core.)
 *
 * @example
 * isToken('permessage-deflate'); // true
 * isToken('a b');                // false
 */

/** 1 for tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~ (by char code, 0-127). */
export const TOKEN_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  TOKEN_CHARS[c] = /[A-Za-z0-9!#$%&'*+\-.^_`|~]/.test(ch) ? 1 : 0;
}

/** Whether `text` is a non-empty token. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}
