/**
 * The `Date` header line, formatted at most once a second (RFC 9110 6.6.1 wants it on every
 * response; formatting a date per request would cost more than the rest of the head).
 */
let line = '';
let validUntil = 0;

export function dateHeaderLine(): string {
  const now = Date.now();
  if (now >= validUntil) {
    line = `Date: ${new Date(now).toUTCString()}\r\n`;
    validUntil = now - (now % 1000) + 1000;
  }
  return line;
}
