/**
 * The errors of @http-kit/http1, each with a stable `code`. They are thrown at the caller who
 * misused the API (a bad option, a bad header, a channel used wrongly) or handed to
 * `errorLogger` when a handler's answer cannot be sent (the client then gets 500).
 *
 * @example
 * try { ch.send(42 as never); } catch (e) { if (e instanceof ChannelMisuseError) console.log(e.code); }
 */
import { HttpKitError } from '@http-kit/core';

/** A response header name that is not a token, a value with CR, LF or NUL, or a bad Content-Length. */
export class InvalidHeaderError extends HttpKitError {
  static override readonly code = 'HTTPKIT_INVALID_HEADER';
  constructor(message: string) {
    super(message, InvalidHeaderError.code);
  }
}

/** A response status outside 100-999. */
export class InvalidStatusError extends HttpKitError {
  static override readonly code = 'HTTPKIT_INVALID_STATUS';
  constructor(message: string) {
    super(message, InvalidStatusError.code);
  }
}

/** A handler returned something that is not a response, a bare body, a channel hand-off or a Promise of one. */
export class InvalidHandlerResultError extends HttpKitError {
  static override readonly code = 'HTTPKIT_INVALID_HANDLER_RESULT';
  constructor(message: string) {
    super(message, InvalidHandlerResultError.code);
  }
}

/** A response body of a type the server cannot send. */
export class InvalidBodyError extends HttpKitError {
  static override readonly code = 'HTTPKIT_INVALID_BODY';
  constructor(message: string) {
    super(message, InvalidBodyError.code);
  }
}

/** A streamed response body that did not match its Content-Length, or failed while being read. */
export class ResponseBodyError extends HttpKitError {
  static override readonly code = 'HTTPKIT_RESPONSE_BODY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ResponseBodyError.code, options);
  }
}

/** A channel used wrongly: taken twice, on a closed connection, sent something it cannot send. */
export class ChannelMisuseError extends HttpKitError {
  static override readonly code = 'HTTPKIT_CHANNEL_MISUSE';
  constructor(message: string) {
    super(message, ChannelMisuseError.code);
  }
}

/** A request body larger than `maxBody`, read whole with `bytes()`, `text()` or `json()`. */
export class RequestBodyTooLargeError extends HttpKitError {
  static override readonly code = 'HTTPKIT_REQUEST_BODY_TOO_LARGE';
  constructor(message: string) {
    super(message, RequestBodyTooLargeError.code);
  }
}

/**
 * A request body that ended before it was whole: the client closed the connection mid-body, or
 * its framing was refused (bad chunked encoding, a timeout), in which case the server has already
 * answered the client with the 4xx named in the message. A reader of `req.body` gets this rather
 * than a bare stream "Premature close", so a log line says the client, not the program, broke off.
 *
 * @example
 * try { await req.body!.text(); } catch (e) { if (e instanceof RequestBodyAbortedError) return null; throw e; }
 */
export class RequestBodyAbortedError extends HttpKitError {
  static override readonly code = 'HTTPKIT_REQUEST_BODY_ABORTED';
  constructor(message: string) {
    super(message, RequestBodyAbortedError.code);
  }
}

/**
 * A request body read a second time (`bytes()`, `text()`, `json()`, `readJson(req)` or iterating
 * it after any of them, or after it was read as a stream), as fetch's "Body is unusable": the bytes
 * are gone, and an empty answer would be a silent lie. Keep what the first read returned.
 *
 * @example
 * const text = await req.body!.text();
 * await req.body!.json(); // throws RequestBodyUsedError: use JSON.parse(text)
 */
export class RequestBodyUsedError extends HttpKitError {
  static override readonly code = 'HTTPKIT_BODY_USED';
  constructor(message: string) {
    super(message, RequestBodyUsedError.code);
  }
}

/**
 * runServer could not listen: the address is in use (EADDRINUSE), not this machine's
 * (EADDRNOTAVAIL), a host name that does not resolve (ENOTFOUND)... `systemCode` is the
 * system's code, `cause` the system's error.
 */
export class ListenError extends HttpKitError {
  static override readonly code = 'HTTPKIT_LISTEN';
  constructor(
    message: string,
    readonly systemCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, ListenError.code, options);
  }
}

/** The llhttp wasm module could not be found or compiled. */
export class ParserLoadError extends HttpKitError {
  static override readonly code = 'HTTPKIT_PARSER_LOAD';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ParserLoadError.code, options);
  }
}

/**
 * A request body read with `json()` (or `readJson(req)`) that does not parse as JSON: a handler
 * answers it 400. `contentType` is the request's (null when unknown), `cause` the parser's error.
 *
 * @example
 * try { await readJson(req); } catch (e) { if (e instanceof InvalidJsonBodyError) return { status: 400, body: e.message }; throw e; }
 */
export class InvalidJsonBodyError extends HttpKitError {
  static override readonly code = 'HTTPKIT_BAD_JSON_BODY';
  constructor(
    message: string,
    readonly contentType: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, InvalidJsonBodyError.code, options);
  }
}
