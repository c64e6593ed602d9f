/**
 * The Ring request a handler receives, and its streaming body.
 */
import { Readable } from 'node:stream';
import { InvalidJsonBodyError, RequestBodyTooLargeError } from '../errors.js';

/** Links a request to the connection that read it (used by asChannel / asyncResponse). */
export const kExchange = Symbol('http-kit.exchange');

/** Ring's request map, keys in camelCase. */
export interface Request {
  serverPort: number;
  serverName: string;
  remoteAddr: string;
  /** The path, without the query string, as sent (not percent-decoded). */
  uri: string;
  /** What follows `?` in the request target, or null. */
  queryString: string | null;
  scheme: 'http' | 'https';
  /** Lower-case method: 'get', 'post', ... */
  requestMethod: string;
  protocol: string;
  /** Lower-cased names; repeated headers joined with ", " ("; " for Cookie). */
  headers: Record<string, string>;
  contentType: string | null;
  contentLength: number | null;
  characterEncoding: string | null;
  /** null when the request has no body. */
  body: RequestBody | null;
  /** A WebSocket upgrade request: `asChannel` answers it with a WebSocket (needs @http-kit/websocket). */
  websocket: boolean;
  /** @internal */
  [kExchange]?: unknown;
}

/** What a request body stream needs from the connection reading it. */
export interface BodySource {
  /** The consumer wants more: resume reading (and send 100 Continue when expected). */
  onBodyRead(): void;
}

/**
 * A request body: a Node Readable fed straight from the socket with backpressure, plus
 * helpers that read it whole.
 *
 * @example
 * const text = await req.body?.text();
 * for await (const chunk of req.body!) upload.write(chunk);
 */
export class RequestBody extends Readable {
  /** @internal */
  source: BodySource | null;
  private readonly limit: number;

  constructor(source: BodySource, limit: number) {
    super({ highWaterMark: 64 * 1024 });
    this.source = source;
    this.limit = limit;
  }

  override _read(): void {
    this.source?.onBodyRead();
  }

  /** The whole body as one Buffer (at most the server's `maxBody` bytes). */
  async bytes(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this) {
      size += (chunk as Buffer).length;
      if (size > this.limit) throw new RequestBodyTooLargeError(`Request body exceeds ${this.limit} bytes (maxBody)`);
      chunks.push(chunk as Buffer);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
  }

  /** The whole body decoded as text (utf-8 unless told otherwise). */
  async text(encoding: BufferEncoding = 'utf8'): Promise<string> {
    return (await this.bytes()).toString(encoding);
  }

  /**
   * The whole body parsed as JSON (utf-8). A body that does not parse throws
   * `InvalidJsonBodyError` (HTTPKIT_BAD_JSON_BODY), which a handler answers 400; `readJson(req)`
   * also names the request's Content-Type.
   */
  async json<T = unknown>(): Promise<T> {
    return parseJsonBody(await this.text(), null) as T;
  }
}

/** JSON.parse, its SyntaxError turned into an error that says what was wrong and with which body. */
export function parseJsonBody(text: string, contentType: string | null): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const type = contentType === null ? '' : ` (Content-Type: ${contentType})`;
    throw new InvalidJsonBodyError(`Request body${type} is not valid JSON: ${reason} (body of ${text.length} characters)`, contentType, {
      cause: error,
    });
  }
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

export function charsetOf(contentType: string | null): string | null {
  if (contentType === null) return null;
  const match = CHARSET.exec(contentType);
  return match === null ? null : match[1];
}

/**
 * Splits a request target into path and query; an absolute-form target also gives its scheme and
 * authority (as sent: request-checks refuses userinfo and bad hosts).
 */
export function splitTarget(
  url: string,
  out: { uri: string; queryString: string | null; authority: string | null; scheme: string | null },
): void {
  let start = 0;
  out.authority = out.scheme = null;
  if (url.charCodeAt(0) !== 47 /* / */ && url !== '*') {
    // absolute-form (RFC 9112 3.2.2): "http://host:port/path?q"
    const scheme = url.indexOf('://');
    if (scheme !== -1) {
      const slash = url.indexOf('/', scheme + 3);
      const query = url.indexOf('?', scheme + 3);
      start = slash !== -1 && (query === -1 || slash < query) ? slash : query !== -1 ? query : url.length;
      out.scheme = url.slice(0, scheme);
      out.authority = url.slice(scheme + 3, start);
    }
  }
  const q = url.indexOf('?', start);
  if (q === -1) {
    out.uri = start === 0 ? url : url.slice(start) || '/';
    out.queryString = null;
  } else {
    out.uri = url.slice(start, q) || '/';
    out.queryString = url.slice(q + 1);
  }
}
