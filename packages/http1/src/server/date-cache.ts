/**
 * The `Date` header line, formatted at most once a second (RFC 9110 6.6.1 wants it on every
 * response; formatting a date per request would cost more than the rest of the head). An
 * unref'd timer marks it stale at the next second, so a response reads no clock.
 */
let line: Buffer | null = null;

function expire(): void {
  line = null;
}

/** "Date: ...\r\n" as bytes. */
export function dateHeaderLine(): Buffer {
  if (line === null) {
    const now = Date.now();
    line = Buffer.from(`Date: ${new Date(now).toUTCString()}\r\n`, 'latin1');
    setTimeout(expire, 1000 - (now % 1000)).unref();
  }
  return line;
}
