/**
 * Turning a buffered response body into what the caller asked for: a Buffer, text decoded
 * with the charset its Content-Type names, or the value of its JSON.
 */
import { BadJsonError } from './errors.js';

/** Whether `as: 'auto'` hands this content type over as text. */
export function isTextual(contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  return TEXTUAL.test(contentType);
}

const TEXTUAL =
  /^\s*(?:text\/|application\/(?:[\w.+-]*[+.])?(?:json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql)\b|image\/svg\+xml)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/** Decodes `body` with the charset of `contentType` (utf-8 when none or unknown). */
export function decodeText(body: Buffer, contentType: string | string[] | undefined): string {
  if (typeof contentType !== 'string' || !contentType.includes('charset')) return body.toString('utf8');
  const match = CHARSET.exec(contentType);
  if (match === null) return body.toString('utf8');
  const charset = match[1].toLowerCase();
  switch (charset) {
    case 'utf-8':
    case 'utf8':
      return body.toString('utf8');
    case 'iso-8859-1':
    case 'latin1':
    case 'us-ascii':
    case 'ascii':
      return body.toString('latin1');
    case 'utf-16le':
      return body.toString('utf16le');
  }
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return body.toString('utf8');
  }
}

/** How many characters of a body that is not JSON its error message quotes. */
const QUOTED = 40;

/**
 * The value of a JSON body (`as: 'json'`), decoded as text with its charset first (a leading
 * byte-order mark is skipped, as RFC 8259 allows). An empty body (0 bytes: a 204, a HEAD, an
 * empty 200) is null, the nearest thing to "no value" a JSON value has; anything else must
 * parse, whitespace alone included. Throws BadJsonError, naming the content type and the
 * body's first characters, when it does not.
 */
export function parseJson(body: Buffer, status: number, headers: Record<string, string | string[]>): unknown {
  if (body.length === 0) return null;
  const contentType = headers['content-type'];
  const text = decodeText(body, contentType);
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const type = typeof contentType === 'string' ? `Content-Type ${contentType}` : 'no Content-Type';
    const start = text.length > QUOTED ? JSON.stringify(text.slice(0, QUOTED)) + '...' : JSON.stringify(text);
    throw new BadJsonError(
      `the response body (status ${status}, ${type}, ${body.length} bytes) is not JSON: ${(error as Error).message}; it begins ${start}`,
      status,
      headers,
      text,
      { cause: error },
    );
  }
}
