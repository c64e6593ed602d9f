/**
 * Interned header names: a name as common as "Host" or "content-type" is matched against the
 * socket bytes and handed out as one shared string, instead of a new string per request whose
 * hash must then be computed again by every lookup (the lower-casing, the header map).
 */
const COMMON = [
  'Host',
  'User-Agent',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Charset',
  'Connection',
  'Content-Type',
  'Content-Length',
  'Content-Encoding',
  'Cookie',
  'Referer',
  'Cache-Control',
  'Pragma',
  'Upgrade',
  'Origin',
  'Authorization',
  'Transfer-Encoding',
  'Expect',
  'If-None-Match',
  'If-Modified-Since',
  'Range',
  'DNT',
  'Upgrade-Insecure-Requests',
  'Keep-Alive',
  'X-Forwarded-For',
  'X-Forwarded-Proto',
  'X-Real-IP',
  'X-Requested-With',
  'Sec-Fetch-Site',
  'Sec-Fetch-Mode',
  'Sec-Fetch-Dest',
  'Sec-Fetch-User',
  'Sec-WebSocket-Key',
  'Sec-WebSocket-Version',
  'Sec-WebSocket-Extensions',
  'Sec-WebSocket-Protocol',
  'Last-Event-ID',
  'Priority',
  'TE',
  'Date',
  'Server',
  'Location',
  'Set-Cookie',
  'ETag',
  'Last-Modified',
  'Vary',
  'Expires',
  'Age',
  'Via',
  'Content-Disposition',
  'Access-Control-Allow-Origin',
  'Proxy-Connection',
];

interface Candidate {
  bytes: Buffer;
  text: string;
}

/** Candidates by length; each name in the spelling clients send and in lower case. */
const byLength: Candidate[][] = [];
for (const name of COMMON) {
  for (const text of new Set([name, name.toLowerCase()])) {
    (byLength[text.length] ??= []).push({ bytes: Buffer.from(text, 'latin1'), text });
  }
}

/** Common names, in either spelling, map to their interned lower-case form. */
const LOWER = new Map<string, string>();
for (const name of COMMON) {
  LOWER.set(name, name.toLowerCase());
  LOWER.set(name.toLowerCase(), name.toLowerCase());
}

/** `name` in lower case: an interned string for a common name, without allocating. */
export function lowerCaseName(name: string): string {
  return LOWER.get(name) ?? name.toLowerCase();
}

/** The interned string for the name at `chunk[start, start+length)`, or null if it is not a common one. */
export function internHeaderName(chunk: Buffer, start: number, length: number): string | null {
  const candidates = byLength[length];
  if (candidates === undefined) return null;
  outer: for (let c = 0; c < candidates.length; c++) {
    const bytes = candidates[c].bytes;
    for (let i = 0; i < length; i++) if (chunk[start + i] !== bytes[i]) continue outer;
    return candidates[c].text;
  }
  return null;
}
