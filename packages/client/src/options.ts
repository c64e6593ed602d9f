/**
 * The public option types, and `prepare`: turns a caller's options (plus the client's
 * defaults) into a `PreparedRequest` — method, target, header lines, body bytes or stream,
 * limits — that the writer, the pool and the redirect logic read without re-checking anything.
 * The rest of the client imports from here; each kind of option is checked and prepared in a
 * module of its own (request-limits, tls-options, request-headers, body-input), re-exported here.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { describe, unknownOptions } from '@http-kit/core';
import { isFieldValue, isToken } from '@http-kit/http1/codec';
import { encodeParams, prepareBody, type BodyOptions, type ParamValue, type PreparedBody } from './body-input.js';
import { InvalidRequestError } from './errors.js';
import { addContentType, prepareHeaders, type HeaderInput, type PreparedHeaders } from './request-headers.js';
import { prepareLimits, type PreparedLimits, type RequestLimits } from './request-limits.js';
import { basicAuth, parseTarget, type Target, type TargetCache } from './target.js';
import { tlsOption, type TlsOptions } from './tls-options.js';

export type { MultipartPart } from './multipart.js';
export type { ParamValue, BodyInput } from './body-input.js';
export { encodeParams };
export type { TlsOptions } from './tls-options.js';
export { DEFAULT_TIMEOUT, DEFAULT_KEEPALIVE, DEFAULT_MAX_HEADER_SIZE, DEFAULT_MAX_BODY } from './request-limits.js';
export {
  HAS_USER_AGENT,
  HAS_ACCEPT_ENCODING,
  HAS_CONTENT_TYPE,
  HAS_CONTENT_LENGTH,
  HAS_TRANSFER_ENCODING,
  HAS_HOST,
  HAS_AUTHORIZATION,
  HAS_CONNECTION,
  HAS_UPGRADE,
} from './request-headers.js';

/**
 * How the response body is handed over: `'auto'` text for textual content types (JSON ones
 * included: they stay text), a Buffer otherwise; `'text'`; `'buffer'`; `'stream'` a Readable;
 * `'json'` the value JSON.parse makes of it (null for an empty body; HTTPKIT_BAD_JSON when it
 * does not parse).
 */
export type ResponseAs = 'auto' | 'text' | 'buffer' | 'stream' | 'json';

/** Options a client holds as defaults for all its requests (and the limits: see RequestLimits). */
export interface RequestDefaults extends RequestLimits {
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
  /** An http:// proxy URL: plain requests go through it in absolute form, https ones through a CONNECT tunnel. */
  proxy?: string | null;
  /** Default `http-kit-ts/0.1`. */
  userAgent?: string;
}

export interface RequestOptions extends RequestDefaults, BodyOptions {
  url: string | URL;
  /** Default GET. */
  method?: string;
  headers?: HeaderInput;
  /** Added to the URL's query string. */
  queryParams?: Record<string, ParamValue>;
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

/** The body of a response read with each `as`. */
export interface BodyByAs {
  auto: string | Buffer;
  text: string;
  buffer: Buffer;
  stream: Readable;
  /** What JSON.parse made of it: check it, or cast it to what the server sends. */
  json: unknown;
}

/** A response body when the `as` it was read with is not known here (a client's default, a variable). */
export type AnyBody = string | Buffer | Readable;

/**
 * The body type of a response read with `as: A`: a literal `as` narrows it (`'json'` unknown,
 * `'text'` string, `'buffer'` Buffer, `'stream'` Readable, `'auto'` string or Buffer); none, or
 * any `as` a variable may hold, leaves it `AnyBody` (the client's default `as` may be any).
 */
export type BodyFor<A> = [A] extends [ResponseAs] ? (ResponseAs extends A ? AnyBody : BodyByAs[A]) : AnyBody;

/** The codes a failed request's `error.code` may have (see the classes in errors.ts). */
export type ClientErrorCode =
  | 'HTTPKIT_INVALID_REQUEST'
  | 'HTTPKIT_CONNECT_FAILED'
  | 'HTTPKIT_CONNECT_TIMEOUT'
  | 'HTTPKIT_POOL_TIMEOUT'
  | 'HTTPKIT_TLS'
  | 'HTTPKIT_TIMEOUT'
  | 'HTTPKIT_ABORTED'
  | 'HTTPKIT_BAD_RESPONSE'
  | 'HTTPKIT_HEADERS_TOO_LARGE'
  | 'HTTPKIT_BODY_TOO_LARGE'
  | 'HTTPKIT_BAD_JSON'
  | 'HTTPKIT_CONNECTION_CLOSED'
  | 'HTTPKIT_TOO_MANY_REDIRECTS'
  | 'HTTPKIT_REQUEST_BODY'
  | 'HTTPKIT_PROXY'
  | 'HTTPKIT_CLIENT_CLOSED';

/** A response: any status, 4xx and 5xx included. `B` is its body's type (see BodyFor). */
export interface HttpResponse<B = AnyBody> {
  opts: RequestOptions;
  status: number;
  /** Lower-cased names; repeated headers joined with ", " (set-cookie: an array). */
  headers: Record<string, string | string[]>;
  /**
   * A string or Buffer (`as` `'auto'`, `'text'`, `'buffer'`), a Readable (`'stream'`), or with
   * `as: 'json'` the parsed value. A literal `as` in the call narrows this type (`as: 'json'`
   * gives `unknown`: check it or cast it, `res.body as Item[]`); without one it is `AnyBody`.
   */
  body: B;
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

/** No response could be had: `error.code` says why (one of ClientErrorCode). */
export interface HttpFailure {
  opts: RequestOptions;
  error: Error & { code: ClientErrorCode };
  status?: undefined;
  headers?: undefined;
  body?: undefined;
  url?: undefined;
  upgrade?: undefined;
}

export type HttpResult<B = AnyBody> = HttpResponse<B> | HttpFailure;

/**
 * @internal What an exchange settles with: a response, or a failure whose error is one of the
 * client's classes (their `code` typed as a string; the public HttpFailure says which codes).
 */
export type Settled = HttpResponse | { opts: RequestOptions; error: Error };

/**
 * What the callback form resolves to when the callback itself threw (or its promise rejected):
 * `error` is what it threw, whatever that was.
 */
export interface CallbackFailure {
  opts: RequestOptions;
  error: unknown;
}

export const DEFAULT_MAX_REDIRECTS = 10;
export const DEFAULT_USER_AGENT = 'http-kit-ts/0.1';

/** The request as the connection writes it; redirects rewrite it in place. */
export interface PreparedRequest extends PreparedHeaders, PreparedBody, PreparedLimits {
  method: string;
  target: Target;
  /** Request target: origin-form path and query (absolute form is chosen at write time for proxies). */
  path: string;
  userAgent: string;
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

/** The options a request takes that createClient also takes as defaults; the compiler keeps it whole. */
export const KNOWN_DEFAULT_OPTIONS: Record<keyof RequestDefaults, true> = {
  as: true,
  followRedirects: true,
  maxRedirects: true,
  insecure: true,
  tls: true,
  proxy: true,
  userAgent: true,
  timeout: true,
  connectTimeout: true,
  idleTimeout: true,
  keepalive: true,
  maxBody: true,
  maxHeaderSize: true,
};

/** Every option a request takes; the compiler keeps it whole. */
const KNOWN_REQUEST_OPTIONS: Record<keyof RequestOptions, true> = {
  url: true,
  method: true,
  headers: true,
  queryParams: true,
  basicAuth: true,
  oauthToken: true,
  signal: true,
  body: true,
  json: true,
  formParams: true,
  multipart: true,
  ...KNOWN_DEFAULT_OPTIONS,
};

/** What other HTTP clients (fetch, axios, got, undici, node:https) call these options: a "did you mean" for each. */
export const REQUEST_HABITS: Readonly<Record<string, string>> = {
  params: 'queryParams',
  query: 'queryParams',
  searchParams: 'queryParams',
  qs: 'queryParams',
  data: 'body',
  form: 'formParams',
  responseType: 'as',
  auth: 'basicAuth',
  redirect: 'followRedirects',
  maxRedirections: 'maxRedirects',
  rejectUnauthorized: 'insecure',
  headersTimeout: 'idleTimeout',
  bodyTimeout: 'idleTimeout',
  ca: 'tls',
};

/** What other clients call a kind of body (`as`, `responseType`): a "did you mean" for each. */
const AS_HABITS: Readonly<Record<string, ResponseAs>> = {
  bytes: 'buffer',
  arraybuffer: 'buffer',
  arrayBuffer: 'buffer',
  'byte-array': 'buffer',
  string: 'text',
  blob: 'buffer',
  document: 'text',
};

/**
 * Fills `into` from the caller's options and the client's defaults. Throws InvalidRequestError
 * (turned into `result.error` by the caller) when the options cannot make a request.
 */
export function prepare(
  into: PreparedRequest,
  opts: RequestOptions,
  defaults: RequestDefaults,
  targets: TargetCache,
  proxies: TargetCache,
): void {
  if (opts === null || typeof opts !== 'object')
    throw new InvalidRequestError(`request options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  const unknown = unknownOptions('request', opts, KNOWN_REQUEST_OPTIONS, REQUEST_HABITS);
  if (unknown !== null) throw new InvalidRequestError(unknown);
  if (opts.url === undefined || opts.url === null) throw new InvalidRequestError('request options need a url');
  const target = targets.get(opts.url);
  into.target = target;
  into.path = opts.queryParams === undefined ? target.path : withQuery(target.path, opts.queryParams);

  const method = opts.method === undefined ? 'GET' : String(opts.method).toUpperCase();
  if (method !== 'GET' && !isToken(method)) throw new InvalidRequestError(`invalid method ${JSON.stringify(opts.method)}`);
  into.method = method;

  into.as = opts.as ?? defaults.as ?? 'auto';
  prepareLimits(into, opts, defaults, into.as === 'stream');
  into.followRedirects = opts.followRedirects ?? defaults.followRedirects ?? true;
  into.maxRedirects = opts.maxRedirects ?? defaults.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  into.insecure = opts.insecure ?? defaults.insecure ?? false;
  into.tls = tlsOption(opts.tls === undefined ? defaults.tls : opts.tls);
  const userAgent = opts.userAgent ?? defaults.userAgent ?? DEFAULT_USER_AGENT;
  if (userAgent !== DEFAULT_USER_AGENT && !isFieldValue(userAgent))
    throw new InvalidRequestError(`invalid userAgent ${JSON.stringify(userAgent)} (one line of latin1 text)`);
  into.userAgent = userAgent;
  const proxy = opts.proxy === undefined ? defaults.proxy : opts.proxy;
  into.proxy = proxy === undefined || proxy === null || proxy === '' ? null : proxies.get(proxy);
  if (into.proxy !== null && into.proxy.https)
    throw new InvalidRequestError(`only http:// proxies are supported, got ${JSON.stringify(proxy)}`);
  if (into.as !== 'auto' && into.as !== 'text' && into.as !== 'buffer' && into.as !== 'stream' && into.as !== 'json') {
    const meant = AS_HABITS[String(into.as)];
    throw new InvalidRequestError(
      `invalid "as": ${JSON.stringify(into.as)}${meant === undefined ? '' : ` (did you mean "${meant}"?)`}; it is auto, text, buffer, stream or json`,
    );
  }
  const signal = opts.signal;
  if (signal === undefined || signal === null) into.signal = null;
  else if (isAbortSignal(signal)) into.signal = signal;
  else throw new InvalidRequestError(`signal must be an AbortSignal, got ${describe(signal)}`);

  // Headers: the caller's, then the ones other options imply.
  const auth =
    opts.basicAuth !== undefined
      ? basicAuth(String(opts.basicAuth[0]), String(opts.basicAuth[1]))
      : opts.oauthToken !== undefined
        ? 'Bearer ' + opts.oauthToken
        : target.auth;
  prepareHeaders(into, opts.headers, auth);
  const contentType = prepareBody(into, opts);
  if (contentType !== null) addContentType(into, contentType);
}

/** An AbortSignal, or something that behaves like one (another realm's, a polyfill's). */
function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).removeEventListener === 'function'
  );
}

function withQuery(path: string, params: Record<string, ParamValue>): string {
  const query = encodeParams(params);
  if (query === '') return path;
  return path + (path.includes('?') ? '&' : '?') + query;
}

/** Parses a URL for the redirect logic, which has its own errors to report. */
export { parseTarget };
