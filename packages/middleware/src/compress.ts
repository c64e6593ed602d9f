/**
 * compress: answers compressed with br or gzip (node:zlib) when the client accepts it
 * (`Accept-Encoding` with q-values), with `Vary: Accept-Encoding`. Whole bodies are compressed
 * off the main thread and keep a Content-Length; streamed bodies are compressed as they stream,
 * pulled only as fast as the client reads; a channel's stream (SSE, `send(head, false)`) is
 * compressed and flushed message by message, so nothing is held back. Every zlib job waits its
 * turn under one process-wide bound (zlib-gate.ts).
 */
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, InvalidArgumentError } from '@http-kit/core';
import {
  addResponseHook,
  FileBody,
  type Handler,
  type Request,
  type Response,
  type ResponseBody,
  type ResponseHook,
} from '@http-kit/http1';
import { headerOf, mapResponse, varyWith, withHeader, withHeaders } from './answers.js';
import type { Middleware } from './compose.js';
import { checkOptions, countOption, functionOption } from './options.js';
import { inTurn, zlibGate } from './zlib-gate.js';

export type Encoding = 'br' | 'gzip';

export interface CompressOptions {
  /** Bodies smaller than this many bytes go as they are (default 1024). Streams of unknown length are always compressed. */
  threshold?: number;
  /** The encodings offered, the preferred first (default `['br', 'gzip']`); the client's q-values decide first. */
  encodings?: readonly Encoding[];
  /** gzip level, 1 (fast) to 9 (small) (default 6, zlib's). */
  gzipLevel?: number;
  /** Brotli quality, 0 to 11 (default 4: close to gzip's speed, smaller output; 11 is far too slow per request). */
  brotliQuality?: number;
  /** Which Content-Types are compressed (default: text/*, JSON, JavaScript, XML, SVG, wasm and `+json`/`+xml` types). */
  compressible?: (contentType: string) => boolean;
  /**
   * Whole bodies up to this many bytes are compressed on the main thread, at once (default 64 KiB
   * when the process may use one CPU, else 8 KiB): a round trip to the thread pool costs more
   * than a small body's compression, and with one CPU the pool's thread takes it from the main one anyway.
   */
  syncThreshold?: number;
  /**
   * zlib jobs that may run at once in the whole process, shared by every `compress()` (default:
   * libuv's thread pool size, 4 unless UV_THREADPOOL_SIZE says; the lowest any compress() asks for wins).
   */
  maxConcurrent?: number;
}

const COMPRESSIBLE = /^(?:text\/|application\/(?:json|javascript|ecmascript|xml|wasm|x-javascript|[^;]*\+(?:json|xml))|image\/svg\+xml)/i;

/** The encoding to use for `accept` (an Accept-Encoding value) among `offered`, or null for none. */
export function negotiateEncoding(accept: string | undefined, offered: readonly Encoding[]): Encoding | null {
  if (accept === undefined || accept === '') return null;
  let star = -1;
  const q = new Map<string, number>();
  for (const item of accept.split(',')) {
    const semicolon = item.indexOf(';');
    const token = (semicolon === -1 ? item : item.slice(0, semicolon)).trim().toLowerCase();
    let weight = 1;
    if (semicolon !== -1) {
      const match = /(?:^|;)\s*q\s*=\s*([0-9.]+)/i.exec(item.slice(semicolon));
      if (match !== null) weight = Number(match[1]);
      if (!(weight >= 0 && weight <= 1)) weight = 0;
    }
    if (token === '*') star = weight;
    else if (token !== '') q.set(token, Math.max(weight, q.get(token) ?? 0));
  }
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const encoding of offered) {
    const weight = q.get(encoding) ?? (star >= 0 ? star : 0);
    if (weight > bestQ) {
      best = encoding;
      bestQ = weight;
    }
  }
  return best;
}

const BR_FLUSH = zlib.constants.BROTLI_OPERATION_FLUSH;
const BR_FINISH = zlib.constants.BROTLI_OPERATION_FINISH;

interface Settings {
  threshold: number;
  encodings: readonly Encoding[];
  gzip: zlib.ZlibOptions;
  brotli: zlib.BrotliOptions;
  compressible: (contentType: string) => boolean;
}

function engine(encoding: Encoding, settings: Settings): zlib.Gzip | zlib.BrotliCompress {
  return encoding === 'br' ? zlib.createBrotliCompress(settings.brotli) : zlib.createGzip(settings.gzip);
}

function compressWhole(bytes: Uint8Array, encoding: Encoding, settings: Settings): Promise<Buffer> {
  return inTurn(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        const done = (error: Error | null, out: Buffer) => (error === null ? resolve(out) : reject(error));
        if (encoding === 'br') zlib.brotliCompress(bytes, settings.brotli, done);
        else zlib.gzip(bytes, settings.gzip, done);
      }),
  );
}

/**
 * A streamed body compressed as it is pulled: each chunk is one zlib job in its turn; the next
 * chunk of the source is read only when the server asks for more (the client reads).
 */
async function* compressStream(source: AsyncIterable<Uint8Array | string>, encoding: Encoding, settings: Settings): AsyncGenerator<Buffer> {
  const z = engine(encoding, settings);
  const out: Buffer[] = [];
  let failed: Error | null = null;
  let ended = false;
  let onEnd: (() => void) | null = null;
  z.on('data', (chunk: Buffer) => out.push(chunk));
  z.on('error', (error) => {
    failed = error;
    onEnd?.();
  });
  z.on('end', () => {
    ended = true;
    onEnd?.();
  });
  const take = (): Buffer | null => {
    if (failed !== null) throw failed;
    if (out.length === 0) return null;
    const joined = out.length === 1 ? out[0] : Buffer.concat(out);
    out.length = 0;
    return joined;
  };
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (bytes.byteLength === 0) continue;
      await inTurn(() => new Promise<void>((resolve, reject) => z.write(bytes, (error) => (error ? reject(error) : resolve()))));
      const ready = take();
      if (ready !== null) yield ready;
    }
    await inTurn(
      () =>
        new Promise<void>((resolve) => {
          onEnd = resolve;
          z.end();
          if (ended || failed !== null) resolve();
        }),
    );
    const last = take();
    if (last !== null) yield last;
  } finally {
    z.destroy(); // also when the client went away mid-stream
  }
}

/** A response body as an async iterable of bytes (null for none, a Buffer for a whole body). */
function bodyStream(body: ResponseBody): AsyncIterable<Uint8Array | string> | Uint8Array | null {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof FileBody) {
    const end = body.end === undefined ? undefined : body.end - 1;
    return createReadStream(body.path, { start: body.start, end, highWaterMark: 64 * 1024 });
  }
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return body as AsyncIterable<Uint8Array | string>;
  if (typeof (body as Iterable<unknown>)[Symbol.iterator] === 'function') return Readable.from(body as Iterable<Uint8Array | string>);
  if (typeof (body as ReadableStream).getReader === 'function') return Readable.fromWeb(body as never);
  return null;
}

/** Why an answer is not compressed (null: it may be): a cheap look at status, method and headers. */
function eligible(response: Response, req: Request, settings: Settings): 'skip' | 'vary-only' | 'yes' {
  const status = response.status ?? 200;
  if (status < 200 || status === 204 || status === 206 || status === 304) return 'skip';
  const headers = response.headers;
  if (headerOf(headers, 'content-encoding') !== undefined) return 'skip';
  // A string without a Content-Type goes as text/plain (the server's default for it).
  const type = headerOf(headers, 'content-type') ?? (typeof response.body === 'string' ? 'text/plain' : undefined);
  if (type === undefined || !settings.compressible(type)) return 'skip';
  const cacheControl = headerOf(headers, 'cache-control');
  if (cacheControl !== undefined && /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(cacheControl)) return 'skip';
  if (req.requestMethod === 'head') return 'vary-only';
  const length = headerOf(headers, 'content-length');
  if (length !== undefined && Number(length) < settings.threshold) return 'skip'; // the same for every client
  return 'yes';
}

function weakEtag(etag: string | undefined): string | undefined {
  return etag === undefined || etag.startsWith('W/') ? etag : `W/${etag}`;
}

function encodedHeaders(response: Response, encoding: Encoding, body: ResponseBody): Response {
  return withHeaders(
    { status: response.status ?? 200, headers: response.headers, body },
    {
      'content-encoding': encoding,
      'content-length': undefined,
      vary: varyWith(response.headers, 'Accept-Encoding'),
      etag: weakEtag(headerOf(response.headers, 'etag')),
    },
  );
}

/** The state of a channel's compressed stream, on its request. */
const kStream = Symbol('compress.stream');
type StreamState = { z: zlib.Gzip | zlib.BrotliCompress; flush: number; finish: number };
type WithStream = Request & { [kStream]?: StreamState };

/**
 * zlib's handle as its streams drive it: `writeSync(flush, in, inOff, inLen, out, outOff, outLen)`
 * leaves [availOut, availIn] in `_writeState`. Node has no public call that compresses one piece
 * synchronously and keeps the stream open (the *Sync functions close it), and a channel's send
 * must have its bytes at once, in order; so the loop zlib's own sync path runs is run here.
 */
interface ZlibInternals {
  _handle: {
    writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  } | null;
  _writeState: Uint32Array;
}

/** Whether this Node exposes the handle the channel path needs (every version from 12 on does). */
const SYNC_STREAMING = (() => {
  const probe = zlib.createGzip() as unknown as ZlibInternals;
  const ok = typeof probe._handle?.writeSync === 'function' && probe._writeState instanceof Uint32Array;
  (probe as unknown as zlib.Gzip).close();
  return ok;
})();

const OUT_CHUNK = 16 * 1024;

/** Compresses `data` now with `flush` (sync flush per message, or finish), the stream left open. */
function processNow(state: StreamState, data: Uint8Array, flush: number): Buffer {
  const z = state.z as unknown as ZlibInternals;
  const handle = z._handle;
  if (handle === null) throw new Error("compress: the stream's zlib handle is already closed");
  const out: Buffer[] = [];
  let inOff = 0;
  let inLen = data.byteLength;
  for (;;) {
    const buffer = Buffer.allocUnsafe(OUT_CHUNK);
    handle.writeSync(flush, data, inOff, inLen, buffer, 0, OUT_CHUNK);
    const availOut = z._writeState[0];
    const availIn = z._writeState[1];
    if (OUT_CHUNK - availOut > 0) out.push(buffer.subarray(0, OUT_CHUNK - availOut));
    inOff += inLen - availIn;
    inLen = availIn;
    if (availOut !== 0) break; // room left over: zlib has nothing more for now
  }
  return out.length === 1 ? out[0] : Buffer.concat(out);
}

/**
 * Compresses answers the client accepts compressed.
 *
 * @example
 * const app = compose(compress({ threshold: 1024, encodings: ['br', 'gzip'] }))(handler);
 * // curl --compressed http://127.0.0.1:8080/big.json
 */
export function compress(options?: CompressOptions): Middleware {
  const opts = checkOptions('compress', options, [
    'threshold',
    'encodings',
    'gzipLevel',
    'brotliQuality',
    'compressible',
    'syncThreshold',
    'maxConcurrent',
  ]);
  const threshold = opts.threshold ?? 1024;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0)
    throw new InvalidArgumentError(`compress: threshold must be a whole number of bytes (0 or more), got ${describe(threshold)}`);
  const encodings = opts.encodings ?? (['br', 'gzip'] as const);
  if (!Array.isArray(encodings) || encodings.length === 0 || encodings.some((e) => e !== 'br' && e !== 'gzip'))
    throw new InvalidArgumentError(`compress: encodings must be a non-empty array of 'br' and 'gzip', got ${describe(encodings)}`);
  const level = opts.gzipLevel ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9)
    throw new InvalidArgumentError(`compress: gzipLevel must be 1 to 9, got ${describe(level)}`);
  const quality = opts.brotliQuality ?? 4;
  if (!Number.isInteger(quality) || quality < 0 || quality > 11)
    throw new InvalidArgumentError(`compress: brotliQuality must be 0 to 11, got ${describe(quality)}`);
  if (opts.maxConcurrent !== undefined)
    zlibGate.limit = Math.min(zlibGate.limit, countOption('compress', 'maxConcurrent', opts.maxConcurrent, 1));
  const syncThreshold = opts.syncThreshold ?? (availableParallelism() <= 1 ? 64 * 1024 : 8 * 1024);
  if (typeof syncThreshold !== 'number' || !Number.isInteger(syncThreshold) || syncThreshold < 0)
    throw new InvalidArgumentError(`compress: syncThreshold must be a whole number of bytes (0 or more), got ${describe(syncThreshold)}`);
  const settings: Settings = {
    threshold,
    encodings,
    gzip: { level },
    brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality } },
    compressible: functionOption('compress', 'compressible', opts.compressible) ?? ((type) => COMPRESSIBLE.test(type)),
  };

  /** The answer to send, decided synchronously: compressed bodies are streams; whole ones are compressed lazily. */
  const answerNow = (response: Response, req: Request, encoding: Encoding | null): Response => {
    const verdict = eligible(response, req, settings);
    if (verdict === 'skip') return response;
    const vary = varyWith(response.headers, 'Accept-Encoding');
    const source = verdict === 'yes' && encoding !== null ? bodyStream(response.body) : null;
    // Below the threshold every client gets the same bytes: nothing varies.
    if (source instanceof Uint8Array && source.byteLength < threshold) return response;
    if (source === null) return withHeader(response, 'vary', vary);
    if (source instanceof Uint8Array) {
      const once = (async function* () {
        yield await compressWhole(source, encoding!, settings);
      })();
      return encodedHeaders(response, encoding!, once);
    }
    return encodedHeaders(response, encoding!, compressStream(source, encoding!, settings));
  };

  // Clients send the same Accept-Encoding again and again: the last one's answer is kept.
  let lastAccept: string | undefined;
  let lastEncoding: Encoding | null = null;
  const negotiate = (accept: string | undefined): Encoding | null => {
    if (accept !== lastAccept) {
      lastEncoding = negotiateEncoding(accept, settings.encodings);
      lastAccept = accept;
    }
    return lastEncoding;
  };
  /** A returned answer: a whole body is compressed before it goes, so it keeps a Content-Length. */
  const answer = (response: Response, req: Request): Response | Promise<Response> => {
    const body = response.body;
    // Small whole bodies (and none) go as they are, the same for every client: decided before any header is read.
    if (body === null || body === undefined) return response;
    if (typeof body === 'string' ? body.length * 3 < threshold : body instanceof Uint8Array && body.byteLength < threshold) return response;
    const encoding = negotiate(req.headers['accept-encoding']);
    if (encoding !== null && (typeof body === 'string' || body instanceof Uint8Array)) {
      const size = typeof body === 'string' ? (body.length * 3 < threshold ? 0 : Buffer.byteLength(body)) : body.byteLength;
      if (size >= threshold && eligible(response, req, settings) === 'yes') {
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        if (size <= syncThreshold) {
          const out = encoding === 'br' ? zlib.brotliCompressSync(bytes, settings.brotli) : zlib.gzipSync(bytes, settings.gzip);
          return encodedHeaders(response, encoding, out);
        }
        return compressWhole(bytes, encoding, settings).then((out) => encodedHeaders(response, encoding, out));
      }
    }
    return answerNow(response, req, encoding);
  };

  const hook: ResponseHook = {
    response(response, streaming, req) {
      const encoding = negotiate(req.headers['accept-encoding']);
      if (!streaming) return answerNow(response, req, encoding);
      const verdict = eligible(response, req, settings);
      if (verdict === 'skip') return response;
      if (verdict === 'vary-only' || encoding === null || !SYNC_STREAMING)
        return withHeader(response, 'vary', varyWith(response.headers, 'Accept-Encoding'));
      const br = encoding === 'br';
      (req as WithStream)[kStream] = {
        z: engine(encoding, settings),
        flush: br ? BR_FLUSH : zlib.constants.Z_SYNC_FLUSH,
        finish: br ? BR_FINISH : zlib.constants.Z_FINISH,
      };
      return encodedHeaders(response, encoding, response.body);
    },
    chunk(data, req) {
      const state = (req as WithStream)[kStream];
      if (state === undefined) return data;
      // One message in, its compressed bytes out at once: a stream is never held back.
      return processNow(state, typeof data === 'string' ? Buffer.from(data) : data, state.flush);
    },
    end(req) {
      const state = (req as WithStream)[kStream];
      if (state === undefined) return null;
      const last = processNow(state, Buffer.alloc(0), state.finish);
      state.z.close();
      (req as WithStream)[kStream] = undefined;
      return last;
    },
    ended(_end, req) {
      const state = (req as WithStream)[kStream];
      if (state === undefined) return;
      state.z.close(); // the client went, or the stream was cut: free zlib's memory now
      (req as WithStream)[kStream] = undefined;
    },
  };

  return (handler: Handler): Handler =>
    (req) => {
      addResponseHook(req, hook);
      return mapResponse(handler(req), req, answer);
    };
}
