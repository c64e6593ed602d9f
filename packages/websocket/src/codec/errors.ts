/**
 * The errors of the WebSocket codec, each with a stable `code`; what a peer sent wrong is a
 * `WebSocketProtocolError` with one code per kind of failure and the close code to answer with.
 * Misuse of an API (a bad close code to send, a bad option) throws core's
 * `InvalidArgumentError` instead.
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

/**
 * Each way a peer can break RFC 6455 or RFC 7692, as a stable code (as ws's `WS_ERR_*`), and
 * the close code the connection is failed with. `WebSocketProtocolError.code` is one of them.
 */
export const WebSocketErrorCode = {
  /** A reserved opcode (3-7, 11-15). 1002. */
  InvalidOpcode: 'HTTPKIT_WS_INVALID_OPCODE',
  /** RSV2 or RSV3 set; RSV1 without permessage-deflate, or on a continuation or control frame. 1002. */
  UnexpectedRsv: 'HTTPKIT_WS_UNEXPECTED_RSV',
  /** A control frame without FIN. 1002. */
  FragmentedControl: 'HTTPKIT_WS_FRAGMENTED_CONTROL',
  /** A control frame with more than 125 bytes of payload. 1002. */
  ControlTooLong: 'HTTPKIT_WS_CONTROL_TOO_LONG',
  /** An unmasked frame from a client. 1002. */
  ExpectedMask: 'HTTPKIT_WS_EXPECTED_MASK',
  /** A masked frame from a server. 1002. */
  UnexpectedMask: 'HTTPKIT_WS_UNEXPECTED_MASK',
  /** A continuation frame with no message to continue. 1002. */
  UnexpectedContinuation: 'HTTPKIT_WS_UNEXPECTED_CONTINUATION',
  /** A new text or binary frame inside a fragmented message. 1002. */
  ExpectedContinuation: 'HTTPKIT_WS_EXPECTED_CONTINUATION',
  /** A 64-bit payload length with its most significant bit set. 1002. */
  InvalidLength: 'HTTPKIT_WS_INVALID_LENGTH',
  /** A close frame with a 1-byte payload. 1002. */
  InvalidClosePayload: 'HTTPKIT_WS_INVALID_CLOSE_PAYLOAD',
  /** A close frame with a code that may not be sent (1005, 1006, 1015, 0-999, ...). 1002. */
  InvalidCloseCode: 'HTTPKIT_WS_INVALID_CLOSE_CODE',
  /** A text message or a close reason that is not valid UTF-8. 1007. */
  InvalidUtf8: 'HTTPKIT_WS_INVALID_UTF8',
  /** Compressed data that does not inflate (`InflateError`). 1007. */
  Inflate: 'HTTPKIT_WS_INFLATE',
  /** A message over maxMessageSize, announced or inflated (`MessageTooBigError`). 1009. */
  MessageTooBig: 'HTTPKIT_WS_MESSAGE_TOO_BIG',
  /** A message in more than maxFragments frames (default 65,536). 1009. */
  TooManyFragments: 'HTTPKIT_WS_TOO_MANY_FRAGMENTS',
} as const;
/** One of the codes in `WebSocketErrorCode`. */
export type WebSocketErrorCode = (typeof WebSocketErrorCode)[keyof typeof WebSocketErrorCode];

/** The close code for each failure; 1002 (protocol error) unless listed. */
const CLOSE_CODES: Readonly<Record<string, number>> = {
  [WebSocketErrorCode.InvalidUtf8]: 1007,
  [WebSocketErrorCode.Inflate]: 1007,
  [WebSocketErrorCode.MessageTooBig]: 1009,
  [WebSocketErrorCode.TooManyFragments]: 1009,
};

/**
 * The peer broke the protocol: `code` says how (a `WebSocketErrorCode`), `closeCode` what the
 * connection was failed with (1002, 1007 or 1009). A WebSocket's `onClose` gets it as
 * `info.error`, with reason `'protocol-error'`.
 *
 * @example
 * onClose: (ch, reason, info) => { if (info.error?.code === 'HTTPKIT_WS_INVALID_UTF8') metrics.badText++; }
 */
export class WebSocketProtocolError extends HttpKitError {
  static override readonly code: string = 'HTTPKIT_WS_PROTOCOL';
  /** The close code the connection was failed with. */
  readonly closeCode: number;
  constructor(message: string, code: string = WebSocketProtocolError.code, options?: { cause?: unknown }) {
    super(message, code, options);
    this.closeCode = CLOSE_CODES[code] ?? 1002;
  }
}

/** A compressed message that does not inflate: the peer sent bad DEFLATE data (close with 1007). */
export class InflateError extends WebSocketProtocolError {
  static override readonly code = WebSocketErrorCode.Inflate;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, InflateError.code, options);
  }
}

/** A message over maxMessageSize: announced by a frame's header, or inflated past it (close with 1009). */
export class MessageTooBigError extends WebSocketProtocolError {
  static override readonly code = WebSocketErrorCode.MessageTooBig;
  constructor(message: string) {
    super(message, MessageTooBigError.code);
  }
}
