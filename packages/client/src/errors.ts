/**
 * The client's errors: one class per way a request can fail, each with a stable `code` a
 * caller can switch on. They are never thrown at the caller; they arrive as `result.error`.
 * Every class extends core's `HttpKitError`, whose `Symbol.for` brand (made of the classes'
 * static `code`s) makes `instanceof` hold for an error made by another copy of the package.
 *
 * @example
 * const res = await get('http://127.0.0.1:8080/', { timeout: 1000 });
 * if (res.error?.code === 'HTTPKIT_TIMEOUT') console.log('server too slow');
 */
import { HttpKitError } from '@http-kit/core';

/** The options could not make a request (a bad URL, a header with a line break...). */
export class InvalidRequestError extends HttpKitError {
  static override readonly code = 'HTTPKIT_INVALID_REQUEST';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, InvalidRequestError.code, options);
  }
}

/** No TCP connection could be made: DNS failure, connection refused, unreachable. `reason` is Node's code (ECONNREFUSED...). */
export class ConnectError extends HttpKitError {
  static override readonly code = 'HTTPKIT_CONNECT_FAILED';
  readonly reason: string;
  constructor(message: string, reason: string, options?: { cause?: unknown }) {
    super(message, ConnectError.code, options);
    this.reason = reason;
  }
}

/** The TCP connection (and TLS handshake) did not complete within `connectTimeout`. */
export class ConnectTimeoutError extends HttpKitError {
  static override readonly code = 'HTTPKIT_CONNECT_TIMEOUT';
  constructor(message: string) {
    super(message, ConnectTimeoutError.code);
  }
}

/** The TLS handshake failed: an untrusted certificate, a name mismatch, a protocol error. */
export class TlsError extends HttpKitError {
  static override readonly code = 'HTTPKIT_TLS';
  readonly reason: string;
  constructor(message: string, reason: string, options?: { cause?: unknown }) {
    super(message, TlsError.code, options);
    this.reason = reason;
  }
}

/**
 * The server sent no byte for `idleTimeout` ms while a response was awaited or read, or the
 * exchange as a whole passed its `timeout` deadline (the message names which).
 */
export class TimeoutError extends HttpKitError {
  static override readonly code = 'HTTPKIT_TIMEOUT';
  constructor(message: string) {
    super(message, TimeoutError.code);
  }
}

/**
 * No connection slot freed up within `connectTimeout` while the request waited in the pool's
 * queue (`maxConnectionsPerHost` or `maxConnections` reached). Nothing was sent: the request
 * is always safe to retry.
 */
export class PoolTimeoutError extends HttpKitError {
  static override readonly code = 'HTTPKIT_POOL_TIMEOUT';
  constructor(message: string) {
    super(message, PoolTimeoutError.code);
  }
}

/** The bytes the server sent are not a valid HTTP/1.x response (or carry extra bytes after it). */
export class BadResponseError extends HttpKitError {
  static override readonly code: string = 'HTTPKIT_BAD_RESPONSE';
  constructor(message: string, options?: { cause?: unknown }) {
    // A subclass (HeadersTooLargeError) comes through here with its own code.
    super(message, (new.target as typeof BadResponseError).code, options);
  }
}

/**
 * With `as: 'json'`, the response body is not JSON. The response was read whole and is well
 * formed (the connection is reused): `status`, `headers` and the body as `text` are kept here,
 * so a caller can still look at, say, the HTML page a proxy answered with. The message names the
 * content type and the body's first characters; `cause` is JSON.parse's SyntaxError.
 *
 * @example
 * const res = await get(url, { as: 'json' });
 * if (res.error?.code === 'HTTPKIT_BAD_JSON') console.log(res.error.status, res.error.text.slice(0, 200));
 */
export class BadJsonError extends HttpKitError {
  static override readonly code = 'HTTPKIT_BAD_JSON';
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  /** The body as text (decoded with the Content-Type's charset, utf-8 by default). */
  readonly text: string;
  constructor(message: string, status: number, headers: Record<string, string | string[]>, text: string, options?: { cause?: unknown }) {
    super(message, BadJsonError.code, options);
    this.status = status;
    this.headers = headers;
    this.text = text;
  }
}

/** The response's status line and headers are longer than `maxHeaderSize`. */
export class HeadersTooLargeError extends BadResponseError {
  static override readonly code = 'HTTPKIT_HEADERS_TOO_LARGE';
  constructor(message: string) {
    super(message);
  }
}

/** The body (as received, or once decompressed) is longer than `maxBody`. */
export class BodyTooLargeError extends HttpKitError {
  static override readonly code = 'HTTPKIT_BODY_TOO_LARGE';
  constructor(message: string) {
    super(message, BodyTooLargeError.code);
  }
}

/**
 * The request's `signal` was aborted before the exchange was over; `cause` is the signal's
 * reason. A streamed body handed over already is destroyed with this error.
 */
export class AbortedError extends HttpKitError {
  static override readonly code = 'HTTPKIT_ABORTED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, AbortedError.code, options);
  }
}

/** The connection closed or was reset before the response ended. */
export class ConnectionClosedError extends HttpKitError {
  static override readonly code = 'HTTPKIT_CONNECTION_CLOSED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ConnectionClosedError.code, options);
  }
}

/** More redirects than `maxRedirects` (a loop, most likely). */
export class TooManyRedirectsError extends HttpKitError {
  static override readonly code = 'HTTPKIT_TOO_MANY_REDIRECTS';
  constructor(message: string) {
    super(message, TooManyRedirectsError.code);
  }
}

/** The request body (a stream or an async iterable) failed while it was being sent. */
export class RequestBodyError extends HttpKitError {
  static override readonly code = 'HTTPKIT_REQUEST_BODY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, RequestBodyError.code, options);
  }
}

/** The client was closed with `client.close()` before the request could be sent. */
export class ClientClosedError extends HttpKitError {
  static override readonly code = 'HTTPKIT_CLIENT_CLOSED';
  constructor() {
    super('the client is closed', ClientClosedError.code);
  }
}

/** The proxy refused to open a tunnel (its answer to CONNECT was not 2xx). */
export class ProxyError extends HttpKitError {
  static override readonly code = 'HTTPKIT_PROXY';
  constructor(message: string) {
    super(message, ProxyError.code);
  }
}
