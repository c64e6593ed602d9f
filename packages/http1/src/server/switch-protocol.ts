/**
 * The way off HTTP on a connection: a handler answers an upgrade request with 101 Switching
 * Protocols and gives the socket to another protocol (WebSocket, or one of the caller's own),
 * which then reads the bytes that follow on the same socket loop.
 */
import { describe } from '@http-kit/core';
import { CONNECTION_UPGRADE, encodeHead, scanHeaders } from '../codec/head-encoder.js';
import { statusLine } from '../codec/status-codes.js';
import { ChannelMisuseError } from '../errors.js';
import type { ResponseHeaders } from './body-types.js';
import { HANDED_OFF, type HandedOff } from './dispatch.js';
import { HttpSession } from './http-session.js';
import type { Protocol, ProtocolHost } from '@http-kit/core';
import { kExchange, type Request } from './request.js';

const NONE = new Uint8Array(0);

/**
 * Answers `request` (which must ask for an upgrade) with `101 Switching Protocols`, `headers`
 * and `Connection: Upgrade`, then hands its connection to the protocol `createProtocol` makes.
 * Bytes the client sent after the request go to that protocol first. Return what this returns.
 *
 * @example
 * const handler = (req: Request) => switchProtocol(req, { upgrade: 'echo' }, (host) => ({
 *   onData: (bytes) => { host.write(bytes); return bytes.length; },
 *   onEnd: () => host.end(), onDrain() {}, onTimeout() {}, onShutdown: () => host.end(), onClose() {},
 * }));
 */
export function switchProtocol(request: Request, headers: ResponseHeaders, createProtocol: (host: ProtocolHost) => Protocol): HandedOff {
  const session = request?.[kExchange];
  if (!(session instanceof HttpSession))
    throw new ChannelMisuseError(`switchProtocol: ${describe(request)} is not a request from an http-kit server`);
  if (typeof createProtocol !== 'function')
    throw new ChannelMisuseError(`switchProtocol: createProtocol must be a function, got ${describe(createProtocol)}`);
  const head = encodeHead(statusLine(101, false), scanHeaders(headers), -1, false, CONNECTION_UPGRADE, NONE, session.serverLine, null, 0);
  session.switchTo(request, head, createProtocol);
  return HANDED_OFF;
}
