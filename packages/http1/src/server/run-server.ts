/**
 * runServer: accepts connections (TCP, TLS or a Unix socket), gives each a socket loop that
 * speaks HTTP/1.1 (an HttpSession) until an upgrade switches it, and stops them all gracefully.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  AsyncRegistry, defaultErrorLogger, defaultWarnLogger, defaultWheel, describe, InvalidArgumentError, nonNegativeOption, positiveOption,
  type PendingResponse,
} from '@http-kit/core';
import { isFieldValue } from '../codec/header-validation.js';
import { HttpSession } from './http-session.js';
import type { ProtocolHost } from '@http-kit/core';
import { SocketLoop } from '@http-kit/core';
import type { Handler, ServerContext, ServerOptions } from './server-context.js';

export type ServerStatus = 'running' | 'stopping' | 'stopped';

export interface StopOptions {
  /** How long in-flight requests get to finish before their connections are cut, ms (default 5000). */
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
  /** Stops accepting, lets in-flight requests finish up to `timeout`, then closes every connection. */
  stop(options?: StopOptions): Promise<void>;
}

const DEFAULTS = {
  ip: '0.0.0.0',
  port: 8080,
  maxBody: 8 * 1024 * 1024,
  maxLine: 8192,
  maxHeaderSize: 16 * 1024,
  keepAliveTimeout: 5_000,
  headersTimeout: 20_000,
  bodyTimeout: 30_000,
  writeTimeout: 60_000,
  backlog: 2048,
};

/**
 * Starts an HTTP/1.1 server running `handler` (Ring style: a request in, a response out).
 *
 * @example
 * const server = await runServer(
 *   (req) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: `hello ${req.uri}` }),
 *   { port: 8080 },
 * );
 */
export async function runServer(handler: Handler, options: ServerOptions = {}): Promise<HttpServer> {
  if (typeof handler !== 'function') throw new InvalidArgumentError(`runServer: handler must be a function, got ${describe(handler)}`);
  const connections = new Set<SocketLoop>();
  let onAllClosed: (() => void) | null = null;
  const ctx: ServerContext = {
    handler,
    maxBody: positiveOption('runServer', 'maxBody', options.maxBody, DEFAULTS.maxBody),
    maxLine: positiveOption('runServer', 'maxLine', options.maxLine, DEFAULTS.maxLine),
    maxHeaderSize: positiveOption('runServer', 'maxHeaderSize', options.maxHeaderSize, DEFAULTS.maxHeaderSize),
    keepAliveTimeout: nonNegativeOption('runServer', 'keepAliveTimeout', options.keepAliveTimeout, DEFAULTS.keepAliveTimeout),
    headersTimeout: nonNegativeOption('runServer', 'headersTimeout', options.headersTimeout, DEFAULTS.headersTimeout),
    bodyTimeout: nonNegativeOption('runServer', 'bodyTimeout', options.bodyTimeout, DEFAULTS.bodyTimeout),
    writeTimeout: nonNegativeOption('runServer', 'writeTimeout', options.writeTimeout, DEFAULTS.writeTimeout),
    serverLine: options.serverHeader ? Buffer.from(`Server: ${options.serverHeader}\r\n`, 'latin1') : Buffer.alloc(0),
    scheme: options.tls ? 'https' : 'http',
    defaultServerName: options.ip ?? 'localhost',
    port: 0,
    wheel: defaultWheel,
    channels: new AsyncRegistry<PendingResponse>(defaultWheel),
    errorLogger: options.errorLogger ?? defaultErrorLogger,
    warnLogger: options.warnLogger ?? defaultWarnLogger,
    stopping: false,
    websocket: options,
    createProtocol: (host: ProtocolHost) => new HttpSession(host, ctx),
    connectionClosed(connection) {
      connections.delete(connection as SocketLoop);
      if (connections.size === 0 && onAllClosed !== null) onAllClosed();
    },
  };
  if (options.serverHeader !== undefined && (typeof options.serverHeader !== 'string' || !isFieldValue(options.serverHeader))) {
    throw new InvalidArgumentError(`runServer: serverHeader must be one line of latin1 text, got ${describe(options.serverHeader)}`);
  }

  const accept = (socket: Socket) => {
    if (ctx.stopping) {
      socket.destroy();
      return;
    }
    connections.add(new SocketLoop(socket, ctx, ctx.createProtocol));
  };
  let server: NetServer;
  if (options.tls) {
    server = createTlsServer({ ...options.tls, allowHalfOpen: true }, accept);
    // A failed handshake is the client's problem; the server keeps serving.
    server.on('tlsClientError', (_error, socket) => socket.destroy());
  } else {
    // allowHalfOpen: a client that shuts down its sending side still gets its answers.
    server = createNetServer({ noDelay: true, keepAlive: false, allowHalfOpen: true }, accept);
  }
  server.on('error', (error) => ctx.errorLogger('Server socket error', error));
  if (options.tls) server.on('connection', (socket: Socket) => socket.setNoDelay(true));

  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    const listening = () => {
      server.off('error', failed);
      resolve();
    };
    if (options.path !== undefined) server.listen({ path: options.path, backlog: options.backlog ?? DEFAULTS.backlog }, listening);
    else server.listen({ host: options.ip ?? DEFAULTS.ip, port: options.port ?? DEFAULTS.port, backlog: options.backlog ?? DEFAULTS.backlog }, listening);
  });
  const address = server.address();
  ctx.port = typeof address === 'object' && address !== null ? address.port : 0;

  let status: ServerStatus = 'running';
  let stopped: Promise<void> | null = null;

  const stop = (stopOptions: StopOptions = {}): Promise<void> => {
    if (stopped !== null) return stopped;
    status = 'stopping';
    ctx.stopping = true;
    const timeout = stopOptions.timeout ?? 5_000;
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    const connectionsClosed = new Promise<void>((resolve) => {
      onAllClosed = resolve;
      for (const connection of connections) connection.shutdown();
      if (connections.size === 0) resolve();
    });
    // Whatever has not finished by the deadline is cut off.
    const deadline = setTimeout(() => {
      for (const connection of connections) connection.destroy('server-stopping');
    }, timeout);
    stopped = Promise.all([listenerClosed, connectionsClosed]).then(() => {
      clearTimeout(deadline);
      onAllClosed = null;
      status = 'stopped';
    });
    return stopped;
  };

  return {
    get port() {
      return ctx.port;
    },
    get path() {
      return options.path;
    },
    get status() {
      return status;
    },
    get connectionCount() {
      return connections.size;
    },
    get pendingCount() {
      return ctx.channels.size;
    },
    stop,
  };
}
