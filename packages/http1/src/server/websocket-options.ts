/**
 * WebSocket options, taken by `runServer` (the server-wide defaults) and by `asChannel` (for one
 * channel), and the hook through which `@http-kit/websocket` takes WebSocket requests over: the
 * server package cannot import the WebSocket package (which builds on it), so the WebSocket
 * package registers itself when it loads.
 */
import type { Response } from './body-types.js';
import type { HandedOff } from './dispatch.js';
import type { Request } from './request.js';

/** permessage-deflate (RFC 7692) parameters, for servers and clients. */
export interface WebSocketDeflateOptions {
  /** Messages smaller than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
  /** Server: always ask for it in the response. Client: ask the server not to keep context between messages. */
  serverNoContextTakeover?: boolean;
  /** Server: tell the client not to keep context. Client: do not keep context (and say so in the offer). */
  clientNoContextTakeover?: boolean;
  /** 8..15: the server's window. A server uses at most this; a client asks the server for at most this. */
  serverMaxWindowBits?: number;
  /** 8..15: the client's window. A server declines clients that cannot limit theirs to this; a client uses at most this. */
  clientMaxWindowBits?: number;
  /** zlib compression level, 0..9 (default zlib's, 6). */
  level?: number;
  /** zlib memLevel, 1..9 (default 8). */
  memLevel?: number;
  /** At most this many zlib operations at once, process-wide (default 10); the others queue. */
  concurrency?: number;
}

export interface WebSocketOptions {
  /** Largest message accepted, in bytes after inflation (default 16 MiB); larger: close 1009. */
  maxMessageSize?: number;
  /**
   * Bytes that may wait for a peer beyond the message being sent before it is dropped ('too-slow'),
   * and the largest message one send() takes (default 16 MiB, or maxMessageSize when larger).
   */
  maxBufferedAmount?: number;
  /** The most frames one message may come in (default 65536); past it: close 1009. */
  maxFragments?: number;
  /** ms of silence from the client after which it is pinged (default 30000; 0: never). */
  pingInterval?: number;
  /** ms a ping waits for its pong before the connection is closed (default 10000). */
  pongTimeout?: number;
  /** Offer permessage-deflate when the client asks (default off). */
  perMessageDeflate?: boolean | WebSocketDeflateOptions;
  /** Subprotocols this endpoint speaks, in order of preference, or a function picking one of the client's. */
  protocols?: readonly string[] | ((offered: readonly string[], request: Request) => string | null);
  /** Origins allowed (exact `Origin` values), or a check; others get 403. Default: any. */
  origins?: readonly string[] | ((origin: string | undefined, request: Request) => boolean);
  /** ms the close handshake may take before the connection is cut (default 5000). */
  closeTimeout?: number;
}

/**
 * What takes a WebSocket request over (set by @http-kit/websocket): the hand-off marker once the
 * connection switches, or the HTTP answer refusing the upgrade (400, 403, 426), for the handler to return.
 */
export type WebSocketAcceptor = (request: Request, handlers: object, serverDefaults: WebSocketOptions) => HandedOff | Response;

// On globalThis under a registry symbol, so two copies of this package still see one acceptor.
const kAcceptor = Symbol.for('http-kit.websocket-acceptor');
const registry = globalThis as unknown as Record<symbol, WebSocketAcceptor | undefined>;

/** @internal Called by @http-kit/websocket when it loads. */
export function provideWebSocketAcceptor(acceptor: WebSocketAcceptor): void {
  registry[kAcceptor] = acceptor;
}

/** The registered acceptor, or undefined when @http-kit/websocket was never imported. */
export function webSocketAcceptor(): WebSocketAcceptor | undefined {
  return registry[kAcceptor];
}

/** Whether an Upgrade header asks for WebSocket. */
export function upgradesToWebSocket(upgrade: string | undefined): boolean {
  return upgrade !== undefined && /(^|,)\s*websocket\s*(,|$)/i.test(upgrade);
}
