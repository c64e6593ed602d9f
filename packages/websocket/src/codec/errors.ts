/**
 * The errors of the WebSocket codec, each with a stable `code` (and, for what a peer sent, the
 * close code to answer with). Misuse of an API (a bad close code to send, a bad option) throws
 * core's `InvalidArgumentError` instead.
 *
 * @example
 * try { parseExtensions(header); } catch (e) { if (e instanceof ExtensionHeaderError) answer400(); }
 */
import { HttpKitError } from '@http-kit/core';

/** A Sec-WebSocket-Extensions value that does not follow RFC 6455 9.1. */
export class ExtensionHeaderError extends HttpKitError {
  static override readonly code = 'HTTPKIT_WS_EXTENSION_HEADER';
  constructor(message: string) {
    super(message, ExtensionHeaderError.code);
  }
}

/** A compressed message that does not inflate: the peer sent bad DEFLATE data (close with 1007). */
export class InflateError extends HttpKitError {
  static override readonly code = 'HTTPKIT_WS_INFLATE';
  readonly closeCode = 1007;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, InflateError.code, options);
  }
}

/** A compressed message that inflates past maxMessageSize (close with 1009). */
export class MessageTooBigError extends HttpKitError {
  static override readonly code = 'HTTPKIT_WS_MESSAGE_TOO_BIG';
  readonly closeCode = 1009;
  constructor(message: string) {
    super(message, MessageTooBigError.code);
  }
}
