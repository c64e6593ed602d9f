/**
 * Putting one request on a connection's socket: its head (request-writer.ts), a small body
 * copied behind it, a larger one written in the same cork, a streamed one pumped behind it
 * (request-body.ts). A request that fits goes out in one write.
 */
import type { Route } from './dial.js';
import type { ExchangeSink } from './exchange-sink.js';
import { sendBody, type BodyChannel } from './request-body.js';
import { Framing, framingOf, serialiseRequest } from './request-writer.js';

/** Bodies up to this size are copied behind the head and sent in one write. */
const MERGE_BODY_LIMIT = 16 * 1024;

/**
 * Writes `exchange` on `channel`'s socket to `route`. Returns whether the request (head and
 * body) went to the socket entirely: false while a streamed body is pumped, whose end the pump
 * reports to `channel` (`bodySent`, `bodyFailed`).
 */
export function sendRequest(channel: BodyChannel<ExchangeSink>, route: Route, exchange: ExchangeSink): boolean {
  const requestTarget = route.absoluteForm ? 'http://' + exchange.target.hostHeader + exchange.path : exchange.path;
  const body = exchange.body;
  const merge = body !== null && body.length <= MERGE_BODY_LIMIT;
  const head = serialiseRequest(exchange, requestTarget, route.absoluteForm ? route.proxyAuth : null, merge);
  const socket = channel.socket;
  if (exchange.bodyStream !== null) {
    socket.write(head);
    sendBody(channel, exchange, exchange.bodyStream, framingOf(exchange) === Framing.Chunked);
    return false;
  }
  if (body === null || merge) {
    socket.write(head);
  } else {
    socket.cork();
    socket.write(head);
    socket.write(body);
    socket.uncork();
  }
  return true;
}
