/**
 * Server options and the state every connection of one server shares.
 */
import type { AsyncRegistry, ErrorLogger, PendingResponse, TimerWheel, WarnLogger } from '@http-kit/core';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Handler } from './dispatch.js';
import type { WebSocketOptions } from './websocket-options.js';
import type { Protocol, ProtocolHost } from '@http-kit/core';

export type { Handler, HandlerResult } from './dispatch.js';

export interface ServerOptions extends WebSocketOptions {
  /** Address (or host name) to listen on (default 0.0.0.0: every interface). */
  ip?: string;
  /** Port, an integer from 0 to 65535 (default 8080; 0 picks a free one). */
  port?: number;
  /** A Unix socket path to listen on instead of ip/port. */
  path?: string;
  /** HTTPS: key and cert, or pfx (and any other node:tls server option). */
  tls?: TlsOptions & SecureContextOptions;
  /** Largest request body in bytes (default 8 MiB); larger gets 413. */
  maxBody?: number;
  /** Longest request target in bytes (default 8192); longer gets 414. */
  maxLine?: number;
  /** Largest header block in bytes (default 16 KiB); larger gets 431. */
  maxHeaderSize?: number;
  /** Idle time allowed between requests on a kept-alive connection, ms (default 5000). */
  keepAliveTimeout?: number;
  /** Time allowed from a request's first byte to the end of its head, ms (default 20000). */
  headersTimeout?: number;
  /** Time allowed between two reads of a request body, ms (default 30000). */
  bodyTimeout?: number;
  /**
   * Time allowed for a whole request, from its first byte to its last (head and body), ms
   * (default 300000, as node:http; 0: no limit). Past it the request is answered 408 and the
   * connection closes (closed at once if its answer has begun). Unlike bodyTimeout it does not
   * start again with each read, so a client trickling its body cannot hold a connection for ever.
   * A handler slow to read the body counts against it too.
   */
  requestTimeout?: number;
  /** Time a response write may stay stuck on a client that does not read, ms (default 60000). */
  writeTimeout?: number;
  /** Value of the Server header; none is sent unless set. */
  serverHeader?: string;
  /** Listen backlog (default 2048). */
  backlog?: number;
  errorLogger?: ErrorLogger;
  warnLogger?: WarnLogger;
}

/** Resolved options and shared state, one per running server. */
export interface ServerContext {
  readonly handler: Handler;
  readonly maxBody: number;
  readonly maxLine: number;
  readonly maxHeaderSize: number;
  readonly keepAliveTimeout: number;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly requestTimeout: number;
  readonly writeTimeout: number;
  /** "Server: x\r\n" as bytes, or empty. */
  readonly serverLine: Uint8Array;
  readonly scheme: 'http' | 'https';
  readonly defaultServerName: string;
  port: number;
  readonly wheel: TimerWheel;
  /** Channels holding a request open (long polls, streams). */
  readonly channels: AsyncRegistry<PendingResponse>;
  readonly errorLogger: ErrorLogger;
  readonly warnLogger: WarnLogger;
  /** True once stop() has begun: finish what is in flight, take nothing new. */
  stopping: boolean;
  /** WebSocket defaults for this server (the options as given; @http-kit/websocket resolves them). */
  readonly websocket: WebSocketOptions;
  /** Makes the protocol a new connection starts with (HTTP/1.1). */
  createProtocol(host: ProtocolHost): Protocol;
  /** Called by a connection once its socket has closed. */
  connectionClosed(connection: unknown): void;
}
