/**
 * The Ring request a handler receives, and its streaming body.
 */
import { Readable } from 'node:stream';
import { InvalidJsonBodyError, RequestBodyAbortedError, RequestBodyTooLargeError, RequestBodyUsedError } from '../errors.js';

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
 * helpers that read it whole. It can be read once: a second read (by a helper, or iterating it
 * after a helper read it) throws `RequestBodyUsedError`, as fetch's "Body is unusable" does.
 *
 * @example
 * const text = await req.body?.text();
 * for await (const chunk of req.body!) upload.write(chunk);
 */
export class RequestBody extends Readable {
  /** @internal */
  source: BodySource | null;
  private readonly limit: number;
  /** How the body was read whole ('text()', 'readJson(req)'...), once it was: a second read names it. */
  private readBy: string | null = null;
  /**
   * @internal Why the connection cut the body off (set just before it destroys the body), so a
   * read whole fails with a RequestBodyAbortedError saying so rather than a stream's "Premature close".
   */
  abortReason: string | null = null;

  constructor(source: BodySource, limit: number) {
    super({ highWaterMark: 64 * 1024 });
    this.source = source;
    this.limit = limit;
  }

  override _read(): void {
    this.source?.onBodyRead();
  }

  /** Whether the body was read already (whole by a helper, or in part or whole as a stream). */
  get bodyUsed(): boolean {
    return this.readBy !== null || this.readableDidRead || this.readableEnded;
  }

  /** Iterating the body (`for await`): refused once a helper has read it, or a stream read reached its end. */
  override [Symbol.asyncIterator](): ReturnType<Readable[typeof Symbol.asyncIterator]> {
    if (this.readBy !== null || this.readableEnded) this.refuse('iterating it');
    return super[Symbol.asyncIterator]();
  }

  /** Piping the body: refused, as iterating is, once it was read (an ended stream would never end its destination). */
  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (this.readBy !== null || this.readableEnded) this.refuse('pipe()');
    return super.pipe(destination, options);
  }

  /** The whole body as one Buffer (at most the server's `maxBody` bytes). */
  bytes(): Promise<Buffer> {
    return this.readWhole('bytes()');
  }

  /** The whole body decoded as text (utf-8 unless told otherwise). */
  async text(encoding: BufferEncoding = 'utf8'): Promise<string> {
    return (await this.readWhole('text()')).toString(encoding);
  }

  /**
   * The whole body parsed as JSON (utf-8). A body that does not parse throws
   * `InvalidJsonBodyError` (HTTPKIT_BAD_JSON_BODY), which a handler answers 400; `readJson(req)`
   * also names the request's Content-Type.
   */
  async json<T = unknown>(): Promise<T> {
    return parseJsonBody((await this.readWhole('json()')).toString('utf8'), null) as T;
  }

  /**
   * @internal The whole body, read once by `how` (named if anything reads it again), bounded by
   * `maxBody`. `readJson(req)` reads through it, so that its read is named as such.
   */
  async readWhole(how: string): Promise<Buffer> {
    if (this.bodyUsed) this.refuse(how);
    this.readBy = how;
    const source = super[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for (let next = await source.next(); next.done !== true; next = await source.next()) {
        const chunk = next.value as Buffer;
        size += chunk.length;
        if (size > this.limit) {
          await source.return?.();
          throw new RequestBodyTooLargeError(`Request body exceeds ${this.limit} bytes (maxBody)`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
      throw new RequestBodyAbortedError(
        `Request body ended after ${size} bytes, before it was whole: ${this.abortReason ?? 'the client closed the connection'}`,
      );
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
  }

  private refuse(how: string): never {
    const before = this.readBy ?? 'reading it as a stream';
    throw new RequestBodyUsedError(
      `Request body was already read (by ${before}); ${how} cannot read it again: a body can be read once, so keep what the first read returned`,
    );
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
