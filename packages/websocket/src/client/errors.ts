/**
 * The WebSocket client's own error: the server answered the opening handshake, but not as RFC
 * 6455 4.1 requires. Everything else `connect` resolves with is the HTTP client's (connect
 * failures, TLS, timeouts, bad options: HTTPKIT_CONNECT_FAILED, HTTPKIT_TLS, HTTPKIT_TIMEOUT,
 * HTTPKIT_INVALID_REQUEST...).
 *
 * @example
 * const { channel, error } = await connect('ws://127.0.0.1:8080/chat');
 * if (error instanceof WebSocketHandshakeError) console.log(error.status, error.message);
 */
import { HttpKitError } from '@http-kit/core';

/**
 * The server's answer to the handshake is not a WebSocket: a status other than 101, a wrong or
 * missing Sec-WebSocket-Accept, a wrong Upgrade or Connection header, a subprotocol that was not
 * offered, or an extensions answer that does not fit the offer. `status` and `headers` are the
 * answer's (a 401 or a redirect can be acted on).
 */
export class WebSocketHandshakeError extends HttpKitError {
  static override readonly code = 'HTTPKIT_WS_HANDSHAKE';
  constructor(
    message: string,
    readonly status: number,
    readonly headers: Readonly<Record<string, string | string[]>>,
  ) {
    super(message, WebSocketHandshakeError.code);
  }
}
