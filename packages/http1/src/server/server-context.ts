/**
 * Server options, the running server as runServer returns it, and the state every connection of
 * one server shares.
 */
import type { AsyncRegistry, ErrorLogger, PendingResponse, TimerWheel, WarnLogger } from '@http-kit/core';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Handler } from './dispatch.js';
import type { WebSocketOptions } from './websocket-options.js';
import type { CounterState } from './diagnostics.js';
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
  /**
   * Worker processes through node:cluster (default 0: none, this process serves). With N > 0 the
   * program runs in every process: in the primary runServer forks N workers, replaces one that
   * dies (after a back-off of 100 ms doubling to 10 s) and resolves to a server reporting their
   * `workers` and `port`, without listening or running the handler itself; in each worker it
   * serves on the port the primary shares, and stops when the primary's stop() asks.
   *
   * @example
   * // the same file runs in the primary and in both workers
   * const server = await runServer(handler, { port: 8080, workers: 2 });
   */
  workers?: number;
}

export type ServerStatus = 'running' | 'stopping' | 'stopped';

/** How long `stop()` lets in-flight requests finish before it cuts their connections, ms. */
export const DEFAULT_STOP_TIMEOUT = 5_000;

export interface StopOptions {
  /** How long in-flight requests get to finish before their connections are cut, ms (default 5000: DEFAULT_STOP_TIMEOUT). */
  timeout?: number;
}

/**
 * A running server.
 *
 * @example
 * const server = await runServer(req => ({ status: 200, body: 'hi' }), { port: 0 });
 * console.log(server.port);
 * await server.stop({ timeout: 1000 });
 */
export interface HttpServer {
  readonly port: number;
  /** The Unix socket path when listening on one. */
  readonly path: string | undefined;
  readonly status: ServerStatus;
  /** Connections open right now. */
  readonly connectionCount: number;
  /** Channels (long polls, streams) holding a request open right now. */
  readonly pendingCount: number;
  /**
   * With the `workers` option, in the primary: one entry per worker (pid and state). Empty in a
   * server that serves itself (a worker, or no `workers`).
   */
  readonly workers: readonly WorkerInfo[];
  /**
   * Stops accepting, lets in-flight requests finish up to `timeout`, then closes every connection.
   * In the primary of `workers`: stops every worker so, resolving once all have exited.
   */
  stop(options?: StopOptions): Promise<void>;
}

/** Where one worker is in its life. */
export type WorkerState = 'starting' | 'listening' | 'stopping' | 'exited';

/** One worker slot as the primary sees it: the process serving it now (or the one that last did). */
export interface WorkerInfo {
  readonly pid: number;
  readonly state: WorkerState;
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
  /** What serverCounters(server) reports (diagnostics.ts). */
  readonly counters: CounterState;
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
