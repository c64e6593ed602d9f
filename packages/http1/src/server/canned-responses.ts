/**
 * The answers the server gives on its own: 404 when a handler answers nothing, 500 when it
 * fails, 503 to a parked channel still unanswered when the server stops, 504 when a parked
 * channel times out, 501 to a WebSocket request when WebSocket support was never imported, and the
 * plain-text refusal of a bad request.
 */
import { reasonPhrase } from '../codec/status-codes.js';
import type { Response } from './body-types.js';

export const NOT_FOUND: Response = Object.freeze({
  status: 404,
  headers: Object.freeze({ 'content-type': 'text/plain' }),
  body: 'Not Found',
});
export const INTERNAL_ERROR: Response = Object.freeze({
  status: 500,
  headers: Object.freeze({ 'content-type': 'text/plain' }),
  body: 'Internal Server Error',
});
/** The connection closes after it (stop() turned keep-alive off); Retry-After: a restart takes seconds. */
export const SERVICE_UNAVAILABLE: Response = Object.freeze({
  status: 503,
  headers: Object.freeze({ 'content-type': 'text/plain', 'retry-after': '5' }),
  body: 'Service Unavailable: the server is stopping',
});
export const GATEWAY_TIMEOUT: Response = Object.freeze({
  status: 504,
  headers: Object.freeze({ 'content-type': 'text/plain' }),
  body: 'Gateway Timeout',
});

/** A WebSocket request to a server that never imported @http-kit/websocket (see asChannel). */
export const WEBSOCKET_NOT_LOADED: Response = Object.freeze({
  status: 501,
  headers: Object.freeze({ 'content-type': 'text/plain; charset=utf-8' }),
  body: 'Not Implemented: this server does not speak WebSocket (its program never imports @http-kit/websocket)\n',
});

/** A refusal with `status` and a one-line reason, closing the connection. */
export function rejectionBytes(status: number, reason: string): Buffer {
  const text = `${reasonPhrase(status)}: ${reason}\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

export const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
