/**
 * Turning a buffered response body into what the caller asked for: a Buffer, or text decoded
 * with the charset its Content-Type names.
 */

/** Whether `as: 'auto'` hands this content type over as text. */
export function isTextual(contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  return TEXTUAL.test(contentType);
}

const TEXTUAL = /^\s*(?:text\/|application\/(?:[\w.+-]*[+.])?(?:json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql)\b|image\/svg\+xml)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/** Decodes `body` with the charset of `contentType` (utf-8 when none or unknown). */
export function decodeText(body: Buffer, contentType: string | string[] | undefined): string {
  if (typeof contentType !== 'string' || !contentType.includes('charset')) return body.toString('utf8');
  const match = CHARSET.exec(contentType);
  if (match === null) return body.toString('utf8');
  const charset = match[1].toLowerCase();
  switch (charset) {
    case 'utf-8':
    case 'utf8': return body.toString('utf8');
    case 'iso-8859-1':
    case 'latin1':
    case 'us-ascii':
    case 'ascii': return body.toString('latin1');
    case 'utf-16le': return body.toString('utf16le');
  }
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return body.toString('utf8');
  }
}
