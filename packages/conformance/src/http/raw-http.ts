/**
 * The kit's own HTTP/1.1 client for judging servers: it writes any bytes (valid or not, whole,
 * byte by byte or in pieces), and reads back what the server sends as responses (status line,
 * headers, body framed by Content-Length, chunked or the close), plus whether and when the
 * server closed. It shares nothing with the HTTP code it judges. Everything both ways goes into a
 * transcript for the report.
 *
 * @example
 * const c = await RawHttp.connect(parseHttpTarget('http://127.0.0.1:8080/'));
 * await c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
 * const [response] = await c.responses(1);
 */
import { connect, type Socket } from 'node:net';
import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';

export interface HttpTarget {
  host: string;
  port: number;
  /** The path requests go to (with its query). */
  path: string;
  tls: boolean;
  /** What goes in Host. */
  authority: string;
}

/**
 * Reads `http://host:port/path` (or https) into a target. Throws naming the URL when it is not
 * an http(s) URL.
 *
 * @example
 * parseHttpTarget('http://127.0.0.1:8080/echo'); // { host: '127.0.0.1', port: 8080, path: '/echo', ... }
 */
export function parseHttpTarget(target: string | URL): HttpTarget {
  let url: URL;
  try {
    url = new URL(String(target));
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(String(target))}; give one like http://127.0.0.1:8080/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${JSON.stringify(String(target))} is not an http:// or https:// URL; give one like http://127.0.0.1:8080/`);
  const tls = url.protocol === 'https:';
  const port = Number(url.port || (tls ? 443 : 80));
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port, path: `${url.pathname || '/'}${url.search}`, tls, authority: url.host };
}

/** One response as read. */
export interface HttpResponse {
  status: number;
  reason: string;
  version: string;
  /** Lower-cased names; repeated ones joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  /** The head as text, for reasons and transcripts. */
  head: string;
}

const TRANSCRIPT_LINES = 120;

/** Bytes shown with CR, LF and other controls visible. */
export function showBytes(data: Buffer | string, max = 240): string {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  const cut = text.length > max ? `${text.slice(0, max)}... (${text.length} bytes)` : text;
  return cut.replace(/[\x00-\x1f\x7f-\xff]/g, (c) =>
    c === '\r' ? '\\r' : c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export class RawHttp {
  /** Received and not yet parsed into responses. */
  private pending: Buffer = Buffer.alloc(0);
  private readonly parsed: HttpResponse[] = [];
  private taken = 0;
  /** The server half-closed or the socket closed. */
  ended = false;
  /** A reset or other socket error. */
  error: NodeJS.ErrnoException | null = null;
  /** What the server sent that is not a response. */
  malformed: string | null = null;
  readonly transcript: string[] = [];
  private readonly opened = Date.now();
  private waiters: Array<() => void> = [];
  /** Methods of requests sent, in order: a HEAD's answer has no body. */
  readonly methods: string[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.note('<', showBytes(chunk, 400));
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.parse();
      this.wake();
    });
    socket.on('end', () => {
      this.note('=', 'the server closed its side (FIN)');
      this.ended = true;
      this.parse();
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.note('=', `socket error ${error.code ?? error.message}`);
      this.error = error;
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.parse();
      this.wake();
    });
  }

  /** Opens a connection to the target, within `timeout` ms. */
  static async connect(target: HttpTarget, timeout = 5_000): Promise<RawHttp> {
    const socket = target.tls
      ? connectTls({ host: target.host, port: target.port, servername: target.host, rejectUnauthorized: false })
      : connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${target.authority} timed out after ${timeout} ms`));
      }, timeout);
      socket.once(target.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`connecting to ${target.authority}: ${error.message}`));
      });
    });
    return new RawHttp(socket);
  }

  note(direction: '>' | '<' | '=', text: string): void {
    if (this.transcript.length < TRANSCRIPT_LINES)
      this.transcript.push(`${String(Date.now() - this.opened).padStart(5)} ms ${direction} ${text}`);
  }

  /**
   * Writes bytes: at once, one byte per write, or in pieces of `chunk` bytes `pauseMs` apart. A
   * socket the server closed swallows them quietly.
   */
  async write(data: Buffer | string, how: 'whole' | 'bytewise' | { chunk: number; pauseMs?: number } = 'whole'): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (const m of bytes.toString('latin1').matchAll(/(?:^|\r?\n\r?\n|\r\n)([A-Z]+) [^ \r\n]* HTTP\/1\.\d\r?\n/g)) this.methods.push(m[1]);
    this.note(
      '>',
      `${showBytes(bytes, 400)}${how === 'whole' ? '' : how === 'bytewise' ? ' (byte by byte)' : ` (in pieces of ${how.chunk})`}`,
    );
    if (how === 'whole') return this.send(bytes);
    const size = how === 'bytewise' ? 1 : how.chunk;
    for (let i = 0; i < bytes.length; i += size) {
      await this.send(bytes.subarray(i, i + size));
      if (how !== 'bytewise' && how.pauseMs) await delay(how.pauseMs);
      else await immediate();
    }
  }

  private send(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Waits until `count` responses (1xx included) are in, the server closes, or `timeout` ms pass; returns what came. */
  async responses(count: number, timeout = 3_000): Promise<HttpResponse[]> {
    await this.waitUntil(() => this.parsed.length >= count || this.ended || this.malformed !== null, timeout);
    return this.parsed.slice(0, count);
  }

  /** Every response read so far. */
  get all(): readonly HttpResponse[] {
    return this.parsed;
  }

  /** Waits until the server closes the connection (at most `timeout` ms); true when it did. */
  async closedWithin(timeout: number): Promise<boolean> {
    await this.waitUntil(() => this.ended, timeout);
    return this.ended;
  }

  /** More responses arrive within `ms` (beyond those already read)? */
  async extraWithin(ms: number): Promise<boolean> {
    const before = this.parsed.length;
    await this.waitUntil(() => this.parsed.length > before || this.ended, ms);
    return this.parsed.length > before;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    while (this.malformed === null) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.ended && this.pending.length > 0)
          this.malformed = `the server closed in the middle of a response head: ${showBytes(this.pending)}`;
        return;
      }
      const head = this.pending.subarray(0, end).toString('latin1');
      const [statusLine, ...lines] = head.split('\r\n');
      const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
      if (match === null) {
        this.malformed = `not a status line: ${showBytes(statusLine)}`;
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon <= 0) {
          this.malformed = `not a header line: ${showBytes(line)}`;
          return;
        }
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      const status = Number(match[2]);
      const rest = this.pending.subarray(end + 4);
      const method = status >= 200 ? this.methods[this.taken] : undefined;
      const body = this.body(status, method, headers, rest);
      if (body === null) return;
      if (status >= 200) this.taken++;
      this.parsed.push({ status, reason: match[3] ?? '', version: match[1], headers, body: body.body, head });
      this.pending = rest.subarray(body.used);
    }
  }

  /** The body of a response from `rest`, and how many bytes it took; null when not all in yet. */
  private body(
    status: number,
    method: string | undefined,
    headers: Record<string, string>,
    rest: Buffer,
  ): { body: Buffer; used: number } | null {
    if (status < 200 || status === 204 || status === 304 || method === 'HEAD') return { body: Buffer.alloc(0), used: 0 };
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      let at = 0;
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', at);
        if (lineEnd === -1) return this.ended ? { body: Buffer.concat(parts), used: rest.length } : null;
        const size = Number.parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
        if (!Number.isFinite(size)) {
          this.malformed = `bad chunk size line in a response: ${showBytes(rest.subarray(at, lineEnd))}`;
          return null;
        }
        if (size === 0) {
          const trailerEnd = rest.indexOf('\r\n\r\n', lineEnd);
          if (trailerEnd === -1) {
            if (rest.length >= lineEnd + 4 && rest.subarray(lineEnd, lineEnd + 4).toString() === '\r\n\r\n')
              return { body: Buffer.concat(parts), used: lineEnd + 4 };
            return this.ended ? { body: Buffer.concat(parts), used: rest.length } : null;
          }
          return { body: Buffer.concat(parts), used: trailerEnd + 4 };
        }
        if (rest.length < lineEnd + 2 + size + 2) return this.ended ? { body: Buffer.concat(parts), used: rest.length } : null;
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    }
    const length = headers['content-length'];
    if (length !== undefined) {
      const n = Number(length.split(',')[0]);
      if (rest.length < n) return this.ended ? { body: rest, used: rest.length } : null;
      return { body: rest.subarray(0, n), used: n };
    }
    // Close-delimited.
    return this.ended ? { body: rest, used: rest.length } : null;
  }

  private async waitUntil(predicate: () => boolean, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
