/**
 * A raw TCP client for server tests: opens a plain `net` socket to loopback, writes bytes whole,
 * cut at chosen offsets, or one byte at a time with small delays, collects everything the server
 * sends until it closes (or a timeout), and parses the collected bytes into HTTP responses.
 *
 * Every wait is bounded: a test using this helper cannot hang on a silent server.
 *
 * @example
 * const client = await RawClient.connect(server.port);
 * await client.writeSplit('GET / HTTP/1.1\r\nHost: x\r\n\r\n', [3, 10]);
 * const { responses, closedByServer } = await client.readUntilClose();
 * expect(responses[0].status).toBe(200);
 */
import { connect, type Socket } from 'node:net';
import { sleep, tick } from './wait.js';

export interface RawResponse {
  version: string;
  status: number;
  reason: string;
  /** Header lines as sent, in order. */
  rawHeaders: Array<[string, string]>;
  /** Lower-cased names; repeats joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The body as latin1 text (bytes preserved one-to-one). */
  text: string;
  chunked: boolean;
  /** Trailer lines after the last chunk, if any. */
  trailers: Array<[string, string]>;
  /** The response's bytes as they came in, head and body. */
  raw: Buffer;
}

export interface ParseOptions {
  /** Which responses (by index) answer HEAD requests and so carry no body; `true` for all. */
  head?: boolean | ReadonlySet<number>;
  /** The peer has closed: a response without framing runs to the end of the bytes. */
  eof?: boolean;
}

export interface ParsedResponses {
  responses: RawResponse[];
  /** Bytes after the last complete response (an incomplete one, or garbage). */
  rest: Buffer;
}

export interface CloseResult {
  /** Everything received since the connection opened. */
  bytes: Buffer;
  /** Received as latin1 text. */
  text: string;
  responses: RawResponse[];
  rest: Buffer;
  /** The server ended the connection (FIN) or reset it before our timeout. */
  closedByServer: boolean;
  /** The connection was reset (ECONNRESET / EPIPE) rather than ended cleanly. */
  reset: boolean;
  /** The timeout ran out first (the socket is destroyed by us then). */
  timedOut: boolean;
  /** ms from the call until the close (or the timeout). */
  elapsed: number;
}

const HOST = '127.0.0.1';

export interface ConnectOptions {
  /** Give up connecting after this many ms (default 2000). */
  timeout?: number;
  /** Keep our side open after the server's FIN (default false: Node ends ours too). */
  allowHalfOpen?: boolean;
}

export class RawClient {
  readonly socket: Socket;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Set when the server's FIN arrived, or the socket was reset or closed. */
  ended = false;
  closed = false;
  reset = false;
  error: Error | null = null;
  private waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error = error;
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') this.reset = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects to `port` on 127.0.0.1 (or a Unix socket `path` when a string is given). */
  static connect(portOrPath: number | string, options: ConnectOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket =
        typeof portOrPath === 'string'
          ? connect({ path: portOrPath, allowHalfOpen: options.allowHalfOpen ?? false })
          : connect({ host: HOST, port: portOrPath, allowHalfOpen: options.allowHalfOpen ?? false });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`RawClient: connect to ${portOrPath} timed out`));
      }, options.timeout ?? 2_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        resolve(new RawClient(socket));
      });
      const failed = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', failed);
    });
  }

  /** Everything received so far. */
  get received(): Buffer {
    if (this.chunks.length > 1) {
      const all = Buffer.concat(this.chunks, this.size);
      this.chunks.length = 0;
      this.chunks.push(all);
    }
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  get text(): string {
    return this.received.toString('latin1');
  }

  /** Writes bytes at once; resolves when they are handed to the kernel (or the socket failed). */
  write(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Writes `data` in pieces cut at the given offsets, pausing `delayMs` between pieces. */
  async writeSplit(data: string | Buffer, at: readonly number[], delayMs = 5): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    let start = 0;
    for (const cut of [...at, bytes.length]) {
      if (cut <= start) continue;
      await this.write(bytes.subarray(start, cut));
      start = cut;
      if (start < bytes.length && delayMs > 0) await sleep(delayMs);
    }
  }

  /** Writes `data` one byte at a time, `delayMs` apart (0 still yields to the event loop). */
  async writeBytewise(data: string | Buffer, delayMs = 1): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (let i = 0; i < bytes.length; i++) {
      if (this.socket.destroyed) return;
      await this.write(bytes.subarray(i, i + 1));
      if (delayMs > 0) await sleep(delayMs);
      else await tick();
    }
  }

  /** Half-closes: sends FIN, keeps reading. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Parses what has arrived so far. */
  responses(options: ParseOptions = {}): ParsedResponses {
    return parseResponses(this.received, { ...options, eof: options.eof ?? this.ended });
  }

  /** Resolves at the next socket event, or after `ms`. */
  private nextEvent(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  /** Resolves once `predicate` holds (checked on every event), or rejects after `timeout` ms. */
  async waitFor(predicate: (client: RawClient) => boolean, timeout = 3_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `RawClient: timed out after ${timeout} ms waiting for ${what}; received ${JSON.stringify(this.text.slice(0, 500))}`,
        );
      if (this.closed)
        throw new Error(`RawClient: connection closed while waiting for ${what}; received ${JSON.stringify(this.text.slice(0, 500))}`);
      await this.nextEvent(left);
    }
  }

  /** Waits until `count` complete responses have arrived and returns them. */
  async waitForResponses(count: number, options: ParseOptions & { timeout?: number } = {}): Promise<RawResponse[]> {
    await this.waitFor((c) => c.responses(options).responses.length >= count, options.timeout ?? 3_000, `${count} response(s)`);
    return this.responses(options).responses;
  }

  /**
   * Waits for the server to close the connection (FIN or reset), at most `timeout` ms; then
   * destroys the socket either way and reports what came in.
   */
  async readUntilClose(options: ParseOptions & { timeout?: number } = {}): Promise<CloseResult> {
    const timeout = options.timeout ?? 3_000;
    const started = Date.now();
    const deadline = started + timeout;
    while (!this.ended && !this.closed && !this.reset) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.nextEvent(left);
    }
    // Nothing on our side destroyed the socket yet: any close seen so far came from the server.
    const closedByServer = this.ended || this.reset || this.closed;
    const timedOut = !closedByServer;
    const elapsed = Date.now() - started;
    this.socket.destroy();
    const bytes = this.received;
    const parsed = parseResponses(bytes, { head: options.head, eof: closedByServer });
    return { bytes, text: bytes.toString('latin1'), ...parsed, closedByServer, reset: this.reset, timedOut, elapsed };
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Connects, writes `request` (whole, split at `split`, or byte by byte), optionally half-closes,
 * and reads until the server closes or `timeout`.
 */
export async function exchange(
  port: number | string,
  request: string | Buffer,
  options: ParseOptions & { split?: number[]; bytewise?: boolean; delayMs?: number; halfClose?: boolean; timeout?: number } = {},
): Promise<CloseResult> {
  const client = await RawClient.connect(port);
  if (options.bytewise) await client.writeBytewise(request, options.delayMs ?? 0);
  else if (options.split) await client.writeSplit(request, options.split, options.delayMs ?? 5);
  else await client.write(request);
  if (options.halfClose) client.end();
  return client.readUntilClose(options);
}

/** Sends one request on a fresh connection and returns the first response (the socket is then destroyed). */
export async function requestOnce(
  port: number | string,
  request: string | Buffer,
  options: ParseOptions & { timeout?: number } = {},
): Promise<RawResponse> {
  const client = await RawClient.connect(port);
  try {
    await client.write(request);
    const [response] = await client.waitForResponses(1, options);
    return response;
  } finally {
    client.destroy();
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Parses a sequence of HTTP/1.x responses out of `bytes`. Framing follows RFC 9112 6.3: no body
 * for 1xx, 204, 304 and answers to HEAD; then chunked; then Content-Length; otherwise the body
 * runs to the end of the bytes (only when `eof`).
 */
export function parseResponses(bytes: Buffer, options: ParseOptions = {}): ParsedResponses {
  const responses: RawResponse[] = [];
  let at = 0;
  let index = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf(CRLFCRLF, at);
    if (headEnd === -1) break;
    const head = bytes.subarray(at, headEnd).toString('latin1');
    const lines = head.split('\r\n');
    const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (match === null) break; // not a response: leave it in `rest`
    const rawHeaders: Array<[string, string]> = [];
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      rawHeaders.push([name, value]);
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    const status = Number(match[2]);
    let bodyStart = headEnd + 4;
    const informational = status >= 100 && status < 200;
    const isHead = informational ? false : options.head === true || (typeof options.head === 'object' && options.head.has(index));
    let body: Buffer = Buffer.alloc(0);
    let end = bodyStart;
    let chunked = false;
    const trailers: Array<[string, string]> = [];
    if (informational || status === 204 || status === 304 || isHead) {
      end = bodyStart;
    } else if (/(^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'] ?? '')) {
      chunked = true;
      const parts: Buffer[] = [];
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', p, 'latin1');
        if (lineEnd === -1) break;
        const size = parseInt(bytes.subarray(p, lineEnd).toString('latin1').split(';')[0], 16);
        if (Number.isNaN(size))
          throw new Error(`parseResponses: bad chunk size line at ${p}: ${JSON.stringify(bytes.subarray(p, lineEnd).toString('latin1'))}`);
        p = lineEnd + 2;
        if (size === 0) {
          // Trailers, then an empty line.
          let ok = false;
          for (;;) {
            const tEnd = bytes.indexOf('\r\n', p, 'latin1');
            if (tEnd === -1) break;
            const line = bytes.subarray(p, tEnd).toString('latin1');
            p = tEnd + 2;
            if (line === '') {
              ok = true;
              break;
            }
            const colon = line.indexOf(':');
            trailers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
          }
          complete = ok;
          break;
        }
        if (p + size + 2 > bytes.length) break;
        parts.push(bytes.subarray(p, p + size));
        p += size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
      end = p;
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (bodyStart + length > bytes.length) break;
      body = bytes.subarray(bodyStart, bodyStart + length);
      end = bodyStart + length;
    } else {
      if (!options.eof) break;
      body = bytes.subarray(bodyStart);
      end = bytes.length;
    }
    responses.push({
      version: match[1],
      status,
      reason: match[3] ?? '',
      rawHeaders,
      headers,
      body,
      text: body.toString('latin1'),
      chunked,
      trailers,
      raw: bytes.subarray(at, end),
    });
    bodyStart = end;
    at = end;
    if (!informational) index++;
  }
  return { responses, rest: bytes.subarray(at) };
}

/**
 * Opens a connection to `port` on 127.0.0.1 and closes it at once: 'connected', the connect
 * error's code (ECONNREFUSED, ...), or 'timeout' after `timeout` ms.
 */
export function tryConnect(port: number, timeout = 1_000): Promise<'connected' | 'timeout' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeout);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? 'error');
    });
  });
}
