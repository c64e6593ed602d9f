/**
 * The public option types, and `prepare`: turns a caller's options (plus the client's
 * defaults) into a `PreparedRequest` — method, target, header lines, body bytes or stream,
 * limits — that the writer, the pool and the redirect logic read without re-checking anything.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { describe } from '@http-kit/core';
import { isFieldValue, isToken } from '@http-kit/http1/codec';
import { InvalidRequestError } from './errors.js';
import { encodeMultipart, type MultipartPart } from './multipart.js';
import { basicAuth, parseTarget, type Target, type TargetCache } from './target.js';

export type { MultipartPart } from './multipart.js';

/** What a query or form parameter may be: repeated when an array. */
export type ParamValue = string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>;

/** A request body: bytes, or a stream sent as it is read (chunked when its length is unknown). */
export type BodyInput = string | Uint8Array | Readable | AsyncIterable<Uint8Array | string>;

/**
 * How the response body is handed over: `'auto'` text for textual content types (JSON ones
 * included: they stay text), a Buffer otherwise; `'text'`; `'buffer'`; `'stream'` a Readable;
 * `'json'` the value JSON.parse makes of it (null for an empty body; HTTPKIT_BAD_JSON when it
 * does not parse).
 */
export type ResponseAs = 'auto' | 'text' | 'buffer' | 'stream' | 'json';

/**
 * Options passed through to `tls.connect` for https requests: `ca`, `cert`, `key`, `pfx`,
 * `passphrase`, `servername` (overrides the SNI name and the name the certificate is checked
 * against), `minVersion`, `ciphers`, `checkServerIdentity`... The connection's own fields
 * (socket, host, port, session, ALPN) are the client's, and verification is turned off only by
 * `insecure`.
 *
 * Pooled connections are shared only by requests that pass the *same object* (compared by
 * identity): set it once on the client, or reuse one object, rather than writing
 * `{ tls: { ca } }` inline in each call (which opens a connection per request).
 *
 * @example
 * const client = createClient({ tls: { ca: fs.readFileSync('ca.pem') } });
 */
export type TlsOptions = Omit<ConnectionOptions, 'socket' | 'host' | 'port' | 'path' | 'session' | 'ALPNProtocols' | 'rejectUnauthorized' | 'timeout' | 'noDelay' | 'lookup'>;

/** Options a client holds as defaults for all its requests. */
export interface RequestDefaults {
  /**
   * The deadline (ms) for the whole exchange: waiting for a pool slot, connecting, sending,
   * the head, the body — a streamed body until its last byte is read — the trailers, every
   * redirect and the retry. Past it the request fails (a streamed body is destroyed) with the
   * error of the part it cut: HTTPKIT_POOL_TIMEOUT, HTTPKIT_CONNECT_TIMEOUT or HTTPKIT_TIMEOUT.
   * Also the default of `connectTimeout` and `idleTimeout`. `Infinity` for none (a stream meant
   * to last: bound it with `idleTimeout` instead). Default 60 000.
   */
  timeout?: number;
  /** Ms to get a connection: waiting for a pool slot (HTTPKIT_POOL_TIMEOUT past it), then connecting and the TLS handshake. Default: `timeout`. */
  connectTimeout?: number;
  /** Ms without a byte from the server while a response is awaited or read (a streamed body's slow consumer does not count). Default: `timeout`. */
  idleTimeout?: number;
  /** Ms an idle pooled connection is kept; -1 closes it after each response. Default 30 000 (less when the server says `Keep-Alive: timeout=N`). */
  keepalive?: number;
  /** Default `'auto'`: text for textual content types (JSON ones too), a Buffer otherwise; `'json'` parses the body. See ResponseAs. */
  as?: ResponseAs;
  /** Default true. */
  followRedirects?: boolean;
  /** Default 10. */
  maxRedirects?: number;
  /** Skip TLS certificate verification (SNI is still sent). */
  insecure?: boolean;
  /** Passed through to `tls.connect` (a custom CA, a client certificate, a servername override...); see TlsOptions. */
  tls?: TlsOptions | null;
  /**
   * Cap in bytes on the body, as received and once decompressed; past it the request fails (a
   * streamed body is destroyed) with HTTPKIT_BODY_TOO_LARGE. Default 64 MiB for a buffered body;
   * none for `as: 'stream'` (backpressure bounds its memory) unless set here or on the client.
   */
  maxBody?: number;
  /** Cap on the response's head (status line and headers, interim responses each) and on its trailers, in bytes. Default 65 536. */
  maxHeaderSize?: number;
  /** An http:// proxy URL: plain requests go through it in absolute form, https ones through a CONNECT tunnel. */
  proxy?: string | null;
  /** Default `http-kit-ts/0.1`. */
  userAgent?: string;
}

export interface RequestOptions extends RequestDefaults {
  url: string | URL;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string | number | ReadonlyArray<string> | null | undefined>;
  body?: BodyInput | null;
  /**
   * A value sent as a JSON body: `JSON.stringify(json)`, with `Content-Type: application/json`
   * unless `headers` set one. `undefined` means none (`null` sends `null`); refused with `body`,
   * `formParams` or `multipart`. Resent by a 307/308 like any buffered body.
   *
   * @example
   * const res = await post(url, { json: { name: 'x' }, as: 'json' });
   */
  json?: unknown;
  /** Added to the URL's query string. */
  queryParams?: Record<string, ParamValue>;
  /** Sent as an `application/x-www-form-urlencoded` body. */
  formParams?: Record<string, ParamValue>;
  /** Sent as a `multipart/form-data` body. */
  multipart?: MultipartPart[];
  basicAuth?: readonly [string, string];
  /** Sent as `Authorization: Bearer <token>`. */
  oauthToken?: string;
  /**
   * Cancels the request: the promise resolves at once with an AbortedError (HTTPKIT_ABORTED,
   * the signal's reason as its `cause`) wherever the exchange is — not started (an aborted
   * signal never connects), waiting for a slot, connecting, reading — and a streamed body
   * handed over already is destroyed with it. An abort after the exchange is over does nothing.
   */
  signal?: AbortSignal | null;
}

/** A response: any status, 4xx and 5xx included. */
export interface HttpResponse {
  opts: RequestOptions;
  status: number;
  /** Lower-cased names; repeated headers joined with ", " (set-cookie: an array). */
  headers: Record<string, string | string[]>;
  /**
   * A string or Buffer (`as` `'auto'`, `'text'`, `'buffer'`), a Readable (`'stream'`), or with
   * `as: 'json'` the parsed value, which this type does not say: cast it
   * (`res.body as unknown as Item[]`). Widening the type would break code that narrows it.
   */
  body: string | Buffer | Readable;
  /** The URL that answered (the last one when redirects were followed). */
  url: string;
  /**
   * Trailer fields of a chunked response, named like `headers`; absent when there were none.
   * With `as: 'stream'` they are set when the body stream ends (read them after its 'end').
   */
  trailers?: Record<string, string | string[]>;
  /**
   * Set on a `101 Switching Protocols` to a request that asked for an upgrade (it has an
   * `Upgrade` header): the connection, handed over. The body is then empty.
   */
  upgrade?: HttpUpgrade;
  error?: undefined;
}

/**
 * A connection handed over by a `101 Switching Protocols`: it left the pool (its slot is free)
 * and the client will never touch it again.
 *
 * @example
 * const res = await request({ url, headers: { Connection: 'Upgrade', Upgrade: 'websocket', ... } });
 * if (res.upgrade) {
 *   const { socket, head } = res.upgrade;
 *   socket.on('error', onError);
 *   socket.on('data', onBytes); // starts the flow (the socket is neither paused nor flowing)
 *   if (head.length > 0) onBytes(head);
 * }
 */
export interface HttpUpgrade {
  /**
   * The raw (or TLS) socket: no listener of the client's left on it (attach an 'error' one),
   * no timer, not flowing until a 'data' listener is attached (or `resume()`): bytes that arrive
   * meanwhile wait in it.
   */
  socket: Socket;
  /** Bytes the server sent past the 101's head and that were already read: the new protocol's first (often none). */
  head: Buffer;
}

/** No response could be had: `error.code` says why. */
export interface HttpFailure {
  opts: RequestOptions;
  error: Error & { code?: string };
  status?: undefined;
  headers?: undefined;
  body?: undefined;
  url?: undefined;
  upgrade?: undefined;
}

export type HttpResult = HttpResponse | HttpFailure;

export const DEFAULT_TIMEOUT = 60_000;
export const DEFAULT_KEEPALIVE = 30_000;
export const DEFAULT_MAX_REDIRECTS = 10;
export const DEFAULT_MAX_HEADER_SIZE = 64 * 1024;
/**
 * The default cap on a buffered body. A buffered body is held whole (and copied once when its
 * pieces are joined, or inflated), so without a cap a hostile server decides how much memory a
 * request takes. 64 MiB is far above what an API answer or a page weighs, and well within what
 * a process can hold a few of; larger bodies are read with `as: 'stream'` or an explicit maxBody.
 */
export const DEFAULT_MAX_BODY = 64 * 1024 * 1024;
export const DEFAULT_USER_AGENT = 'http-kit-ts/0.1';

/** The request as the connection writes it; redirects rewrite it in place. */
export interface PreparedRequest {
  method: string;
  target: Target;
  /** Request target: origin-form path and query (absolute form is chosen at write time for proxies). */
  path: string;
  /** Header lines besides Host, framing and the defaults (names as given). Null when none. */
  headerNames: string[] | null;
  headerValues: string[] | null;
  /** Which defaults the caller's headers replace (HAS_* bits). */
  headerFlags: number;
  userAgent: string;
  /** Send `Connection: close` (keepalive -1). */
  closeConnection: boolean;
  body: Buffer | null;
  bodyStream: Readable | AsyncIterable<Uint8Array | string> | null;
  /** Whether the same request can be sent again (for a retry or a 307/308). */
  replayable: boolean;
  connectTimeout: number;
  idleTimeout: number;
  /** The deadline of the whole exchange (ms from the call), Infinity for none. */
  timeout: number;
  keepalive: number;
  maxBody: number;
  maxHeaderSize: number;
  as: ResponseAs;
  followRedirects: boolean;
  maxRedirects: number;
  insecure: boolean;
  /** The caller's TLS options (their identity is part of the pool key), or null. */
  tls: TlsOptions | null;
  proxy: Target | null;
  /** Cancels the request when aborted, or null. */
  signal: AbortSignal | null;
}

// Header names the caller set that replace what the client would send.
export const HAS_USER_AGENT = 1;
export const HAS_ACCEPT_ENCODING = 2;
export const HAS_CONTENT_TYPE = 4;
export const HAS_CONTENT_LENGTH = 8;
export const HAS_TRANSFER_ENCODING = 16;
export const HAS_HOST = 32;
export const HAS_AUTHORIZATION = 64;
export const HAS_CONNECTION = 128;
/** The request asks for an upgrade: a 101 to it hands the socket over (see HttpUpgrade). */
export const HAS_UPGRADE = 256;

/**
 * Fills `into` from the caller's options and the client's defaults. Throws InvalidRequestError
 * (turned into `result.error` by the caller) when the options cannot make a request.
 */
export function prepare(into: PreparedRequest, opts: RequestOptions, defaults: RequestDefaults, targets: TargetCache, proxies: TargetCache): void {
  if (opts === null || typeof opts !== 'object') throw new InvalidRequestError(`request options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  if (opts.url === undefined || opts.url === null) throw new InvalidRequestError('request options need a url');
  const target = targets.get(opts.url);
  into.target = target;
  into.path = opts.queryParams === undefined ? target.path : withQuery(target.path, opts.queryParams);

  const method = opts.method === undefined ? 'GET' : String(opts.method).toUpperCase();
  if (method !== 'GET' && !isToken(method)) throw new InvalidRequestError(`invalid method ${JSON.stringify(opts.method)}`);
  into.method = method;

  const timeout = opts.timeout ?? defaults.timeout;
  into.connectTimeout = positiveMs(opts.connectTimeout ?? timeout ?? defaults.connectTimeout ?? DEFAULT_TIMEOUT, 'connectTimeout');
  into.idleTimeout = positiveMs(opts.idleTimeout ?? timeout ?? defaults.idleTimeout ?? DEFAULT_TIMEOUT, 'idleTimeout');
  into.timeout = timeout === undefined ? DEFAULT_TIMEOUT : positiveMs(timeout, 'timeout', ' (Infinity for none)');
  const keepalive = opts.keepalive ?? defaults.keepalive ?? DEFAULT_KEEPALIVE;
  into.keepalive = keepalive;
  into.closeConnection = keepalive < 0;
  into.as = opts.as ?? defaults.as ?? 'auto';
  const maxBody = opts.maxBody ?? defaults.maxBody;
  into.maxBody = maxBody === undefined ? (into.as === 'stream' ? Infinity : DEFAULT_MAX_BODY) : byteLimit(maxBody, 'maxBody', 0);
  const maxHeaderSize = opts.maxHeaderSize ?? defaults.maxHeaderSize;
  into.maxHeaderSize = maxHeaderSize === undefined ? DEFAULT_MAX_HEADER_SIZE : byteLimit(maxHeaderSize, 'maxHeaderSize', 1);
  into.followRedirects = opts.followRedirects ?? defaults.followRedirects ?? true;
  into.maxRedirects = opts.maxRedirects ?? defaults.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  into.insecure = opts.insecure ?? defaults.insecure ?? false;
  const tlsOptions = opts.tls === undefined ? defaults.tls : opts.tls;
  if (tlsOptions !== undefined && tlsOptions !== null && typeof tlsOptions !== 'object') throw new InvalidRequestError(`tls must be an object of tls.connect options, got ${typeof tlsOptions}`);
  into.tls = tlsOptions ?? null;
  const userAgent = opts.userAgent ?? defaults.userAgent ?? DEFAULT_USER_AGENT;
  if (userAgent !== DEFAULT_USER_AGENT && !isFieldValue(userAgent)) throw new InvalidRequestError(`invalid userAgent ${JSON.stringify(userAgent)} (one line of latin1 text)`);
  into.userAgent = userAgent;
  const proxy = opts.proxy === undefined ? defaults.proxy : opts.proxy;
  into.proxy = proxy === undefined || proxy === null || proxy === '' ? null : proxies.get(proxy);
  if (into.proxy !== null && into.proxy.https) throw new InvalidRequestError(`only http:// proxies are supported, got ${JSON.stringify(proxy)}`);
  if (into.as !== 'auto' && into.as !== 'text' && into.as !== 'buffer' && into.as !== 'stream' && into.as !== 'json') {
    throw new InvalidRequestError(`invalid "as": ${JSON.stringify(into.as)} (auto, text, buffer, stream or json)`);
  }
  const signal = opts.signal;
  if (signal === undefined || signal === null) into.signal = null;
  else if (isAbortSignal(signal)) into.signal = signal;
  else throw new InvalidRequestError(`signal must be an AbortSignal, got ${describe(signal)}`);

  // Headers: the caller's, then the ones other options imply.
  let names: string[] | null = null;
  let values: string[] | null = null;
  let flags = 0;
  const headers = opts.headers;
  if (headers !== undefined && headers !== null) {
    names = [];
    values = [];
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || value === null) continue;
      if (!isToken(name)) throw new InvalidRequestError(`invalid header name ${JSON.stringify(name)}`);
      flags |= flagOf(name);
      if (typeof value === 'object') {
        for (let i = 0; i < value.length; i++) pushHeader(names, values, name, String(value[i]));
      } else {
        pushHeader(names, values, name, String(value));
      }
    }
  }
  const auth = opts.basicAuth !== undefined ? basicAuth(String(opts.basicAuth[0]), String(opts.basicAuth[1]))
    : opts.oauthToken !== undefined ? 'Bearer ' + opts.oauthToken
    : target.auth;
  if (auth !== null && (flags & HAS_AUTHORIZATION) === 0) {
    names ??= [];
    values ??= [];
    pushHeader(names, values, 'Authorization', auth);
    flags |= HAS_AUTHORIZATION;
  }

  // Body.
  let body: Buffer | null = null;
  let stream: Readable | AsyncIterable<Uint8Array | string> | null = null;
  let contentType: string | null = null;
  if (opts.json !== undefined) {
    body = jsonBody(opts);
    contentType = 'application/json';
  } else if (opts.multipart !== undefined) {
    const encoded = encodeMultipart(opts.multipart);
    if (Buffer.isBuffer(encoded.body)) body = encoded.body;
    else stream = encoded.body;
    contentType = encoded.contentType;
  } else if (opts.formParams !== undefined) {
    body = Buffer.from(encodeParams(opts.formParams), 'utf8');
    contentType = 'application/x-www-form-urlencoded';
  } else if (opts.body !== undefined && opts.body !== null) {
    const input = opts.body;
    if (typeof input === 'string') body = Buffer.from(input, 'utf8');
    else if (input instanceof Uint8Array) body = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    else if (typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') stream = input as AsyncIterable<Uint8Array | string>;
    else throw new InvalidRequestError(`unsupported body type ${Object.prototype.toString.call(input)}: a string, a Uint8Array, a Readable or an async iterable`);
  }
  if (contentType !== null && (flags & HAS_CONTENT_TYPE) === 0) {
    names ??= [];
    values ??= [];
    pushHeader(names, values, 'Content-Type', contentType);
  }
  into.body = body;
  into.bodyStream = stream;
  into.replayable = stream === null;
  into.headerNames = names;
  into.headerValues = values;
  into.headerFlags = flags;
}

/** The bytes of the `json` option; refuses the other body options beside it, and values JSON cannot carry. */
function jsonBody(opts: RequestOptions): Buffer {
  const other = opts.body !== undefined && opts.body !== null ? 'body' : opts.formParams !== undefined ? 'formParams' : opts.multipart !== undefined ? 'multipart' : null;
  if (other !== null) throw new InvalidRequestError(`json and ${other} both give the request body: pass one of them`);
  let text: string | undefined;
  try {
    text = JSON.stringify(opts.json);
  } catch (error) {
    // A cycle, a BigInt, a throwing toJSON.
    throw new InvalidRequestError(`json cannot be serialised: ${(error as Error).message}`, { cause: error });
  }
  // A function or a symbol: JSON.stringify has no text for it (and would drop it silently in an object).
  if (text === undefined) throw new InvalidRequestError(`json cannot be serialised: JSON has no text for a ${typeof opts.json}`);
  return Buffer.from(text, 'utf8');
}

function pushHeader(names: string[], values: string[], name: string, value: string): void {
  if (!isFieldValue(value)) throw new InvalidRequestError(`invalid value for header ${name}: ${JSON.stringify(value)} (one line of latin1 text)`);
  names.push(name);
  values.push(value);
}

function flagOf(name: string): number {
  switch (name.length) {
    case 7: return name.toLowerCase() === 'upgrade' ? HAS_UPGRADE : 0;
    case 4: return name.toLowerCase() === 'host' ? HAS_HOST : 0;
    case 10:
      switch (name.toLowerCase()) {
        case 'user-agent': return HAS_USER_AGENT;
        case 'connection': return HAS_CONNECTION;
      }
      return 0;
    case 12: return name.toLowerCase() === 'content-type' ? HAS_CONTENT_TYPE : 0;
    case 13: return name.toLowerCase() === 'authorization' ? HAS_AUTHORIZATION : 0;
    case 14: return name.toLowerCase() === 'content-length' ? HAS_CONTENT_LENGTH : 0;
    case 15: return name.toLowerCase() === 'accept-encoding' ? HAS_ACCEPT_ENCODING : 0;
    case 17: return name.toLowerCase() === 'transfer-encoding' ? HAS_TRANSFER_ENCODING : 0;
  }
  return 0;
}

/**
 * A timeout option: a positive number of ms, Infinity for none. Like core's positiveOption (and
 * describing the value the same way), but failing with the client's own error, which becomes
 * `result.error` (HTTPKIT_INVALID_REQUEST). `> 0` as it always was: a numeric string from an
 * environment variable still passes.
 */
function positiveMs(value: number, name: string, hint = ''): number {
  if (value > 0) return +value;
  throw new InvalidRequestError(`${name} must be a positive number of ms${hint}, got ${describe(value)}`);
}

/** An AbortSignal, or something that behaves like one (another realm's, a polyfill's). */
function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof value === 'object' && typeof (value as AbortSignal).aborted === 'boolean' && typeof (value as AbortSignal).addEventListener === 'function'
    && typeof (value as AbortSignal).removeEventListener === 'function';
}

/** A size limit: a number of bytes from `min` on, Infinity for none. */
function byteLimit(value: number, name: string, min: number): number {
  if (typeof value === 'number' && value >= min) return value;
  throw new InvalidRequestError(`${name} must be a number of bytes (${min} or more, Infinity for none), got ${describe(value)}`);
}

/** `a=1&b=x+y&b=z`: form encoding (as URLSearchParams does it). */
export function encodeParams(params: Record<string, ParamValue>): string {
  const search = new URLSearchParams();
  for (const name in params) {
    const value = params[name];
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') for (const item of value) search.append(name, String(item));
    else search.append(name, String(value));
  }
  return search.toString();
}

function withQuery(path: string, params: Record<string, ParamValue>): string {
  const query = encodeParams(params);
  if (query === '') return path;
  return path + (path.includes('?') ? '&' : '?') + query;
}

/** Parses a URL for the redirect logic, which has its own errors to report. */
export { parseTarget };
