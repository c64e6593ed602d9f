/**
 * runServer: accepts connections (TCP, TLS or a Unix socket), gives each a socket loop that
 * speaks HTTP/1.1 (an HttpSession) until an upgrade switches it, and stops them all gracefully.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import cluster from 'node:cluster';
import {
  AsyncRegistry,
  defaultErrorLogger,
  defaultWarnLogger,
  defaultWheel,
  describe,
  InvalidArgumentError,
  nonNegativeOption,
  positiveOption,
  relayHubMessages,
  unknownOptions,
  type PendingResponse,
} from '@http-kit/core';
import { isFieldValue } from '../codec/header-validation.js';
import { ListenError } from '../errors.js';
import { connectionCounted, CounterState, kCounters, type ServerCounters } from './diagnostics.js';
import { HttpSession } from './http-session.js';
import type { ProtocolHost } from '@http-kit/core';
import { SocketLoop } from '@http-kit/core';
import {
  DEFAULT_STOP_TIMEOUT,
  type Handler,
  type HttpServer,
  type ServerContext,
  type ServerOptions,
  type ServerStatus,
  type StopOptions,
  type WorkerInfo,
} from './server-context.js';
import { isManagedWorker, obeyPrimary, reportListenFailure, superviseWorkers, workerCount } from './workers.js';

const NO_WORKERS: readonly WorkerInfo[] = Object.freeze([]);
/** Bytes a plain-TCP connection queues in user space before send() says full (Node 20's default). */
const SOCKET_HIGH_WATER = 16 * 1024;

const DEFAULTS = {
  ip: '0.0.0.0',
  port: 8080,
  maxBody: 8 * 1024 * 1024,
  maxLine: 8192,
  maxHeaderSize: 16 * 1024,
  keepAliveTimeout: 5_000,
  headersTimeout: 20_000,
  bodyTimeout: 30_000,
  // node:http's default: room for maxBody (8 MiB) over a slow uplink (~256 kbit/s), yet a client
  // trickling a body gives its connection up after five minutes rather than never.
  requestTimeout: 300_000,
  writeTimeout: 60_000,
  backlog: 2048,
};

/** Every option runServer takes (its own and the WebSocket defaults); the compiler keeps it whole. */
const KNOWN_OPTIONS: Record<keyof ServerOptions, true> = {
  ip: true,
  port: true,
  path: true,
  tls: true,
  maxBody: true,
  maxLine: true,
  maxHeaderSize: true,
  keepAliveTimeout: true,
  headersTimeout: true,
  bodyTimeout: true,
  requestTimeout: true,
  writeTimeout: true,
  serverHeader: true,
  backlog: true,
  errorLogger: true,
  warnLogger: true,
  maxMessageSize: true,
  maxBufferedAmount: true,
  maxFragments: true,
  pingInterval: true,
  pongTimeout: true,
  perMessageDeflate: true,
  protocols: true,
  origins: true,
  closeTimeout: true,
  workers: true,
};

/** Names other servers use for these options: a "did you mean" for each. */
const SERVER_HABITS = { host: 'ip', hostname: 'ip', address: 'ip', socketPath: 'path', https: 'tls', onError: 'errorLogger' } as const;

/** Refuses options runServer would otherwise misread: unknown names, a port that is no port, TLS with no key. */
function checkOptions(options: ServerOptions): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`runServer: options must be an object, got ${describe(options)}`);
  const unknown = unknownOptions('runServer', options, KNOWN_OPTIONS, SERVER_HABITS);
  if (unknown !== null) throw new InvalidArgumentError(unknown);
  const { port, ip, path, backlog, tls, errorLogger, warnLogger } = options;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InvalidArgumentError(
      `runServer: port must be an integer from 0 to 65535, got ${typeof port === 'string' ? `the string ${describe(port)}` : describe(port)}`,
    );
  }
  if (ip !== undefined && (typeof ip !== 'string' || ip === ''))
    throw new InvalidArgumentError(`runServer: ip must be an address or host name, got ${describe(ip)}`);
  if (path !== undefined && (typeof path !== 'string' || path === ''))
    throw new InvalidArgumentError(`runServer: path must be a Unix socket path, got ${describe(path)}`);
  if (backlog !== undefined && (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog <= 0)) {
    throw new InvalidArgumentError(`runServer: backlog must be a positive integer, got ${describe(backlog)}`);
  }
  if (errorLogger !== undefined && typeof errorLogger !== 'function')
    throw new InvalidArgumentError(`runServer: errorLogger must be a function, got ${describe(errorLogger)}`);
  if (warnLogger !== undefined && typeof warnLogger !== 'function')
    throw new InvalidArgumentError(`runServer: warnLogger must be a function, got ${describe(warnLogger)}`);
  if (tls !== undefined) {
    if (tls === null || typeof tls !== 'object')
      throw new InvalidArgumentError(`runServer: tls must be node:tls server options ({ key, cert }), got ${describe(tls)}`);
    // Without a certificate every handshake would fail, one client at a time.
    const hasPair = tls.key !== undefined && tls.key !== null && tls.cert !== undefined && tls.cert !== null;
    if (!hasPair && !tls.pfx && !tls.SNICallback && !tls.secureContext) {
      throw new InvalidArgumentError(
        `runServer: tls needs a certificate: key and cert (PEM), or pfx${tls.key || tls.cert ? ` (got ${tls.key ? 'a key without a cert' : 'a cert without a key'})` : ''}`,
      );
    }
  }
  checkWebSocketOptions(options);
}

/**
 * The server-wide WebSocket defaults, checked when runServer is called rather than at the first
 * upgrade (where a bad value would surface as a 500 long after the mistake). The same rules as
 * @http-kit/websocket applies to a channel's own options, which it checks at asChannel.
 */
function checkWebSocketOptions(options: ServerOptions): void {
  positiveOption('runServer', 'maxMessageSize', options.maxMessageSize, 1);
  positiveOption('runServer', 'maxBufferedAmount', options.maxBufferedAmount, 1);
  positiveOption('runServer', 'pongTimeout', options.pongTimeout, 1);
  positiveOption('runServer', 'closeTimeout', options.closeTimeout, 1);
  nonNegativeOption('runServer', 'pingInterval', options.pingInterval, 0);
  const { maxFragments, perMessageDeflate, protocols, origins } = options;
  if (maxFragments !== undefined && !(Number.isSafeInteger(maxFragments) && maxFragments >= 1)) {
    throw new InvalidArgumentError(`runServer: maxFragments must be a whole number of 1 or more, got ${describe(maxFragments)}`);
  }
  if (
    perMessageDeflate !== undefined &&
    typeof perMessageDeflate !== 'boolean' &&
    (perMessageDeflate === null || typeof perMessageDeflate !== 'object')
  ) {
    throw new InvalidArgumentError(
      `runServer: perMessageDeflate must be true, false or an object of deflate options, got ${describe(perMessageDeflate)}`,
    );
  }
  if (protocols !== undefined && !Array.isArray(protocols) && typeof protocols !== 'function') {
    throw new InvalidArgumentError(`runServer: protocols must be an array of subprotocol names or a function, got ${describe(protocols)}`);
  }
  if (origins !== undefined && !Array.isArray(origins) && typeof origins !== 'function') {
    throw new InvalidArgumentError(`runServer: origins must be an array of Origin values or a function, got ${describe(origins)}`);
  }
}

/** What a failed listen was about, in words: the address, and the system's reason. */
function listenError(error: NodeJS.ErrnoException, where: string): ListenError {
  const why =
    error.code === 'EADDRINUSE'
      ? 'the address is already in use (another server on that port?)'
      : error.code === 'EADDRNOTAVAIL'
        ? "the address is not one of this machine's"
        : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
          ? 'the host name does not resolve'
          : error.code === 'EACCES'
            ? 'permission denied (ports under 1024 need privileges)'
            : error.message;
  return new ListenError(`runServer: cannot listen on ${where}: ${why}${error.code ? ` (${error.code})` : ''}`, error.code, {
    cause: error,
  });
}

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
  checkOptions(options);
  const workers = workerCount(options.workers);
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
    requestTimeout: nonNegativeOption('runServer', 'requestTimeout', options.requestTimeout, DEFAULTS.requestTimeout),
    writeTimeout: nonNegativeOption('runServer', 'writeTimeout', options.writeTimeout, DEFAULTS.writeTimeout),
    serverLine: options.serverHeader ? Buffer.from(`Server: ${options.serverHeader}\r\n`, 'latin1') : Buffer.alloc(0),
    scheme: options.tls ? 'https' : 'http',
    defaultServerName: options.ip ?? 'localhost',
    port: 0,
    wheel: defaultWheel,
    channels: new AsyncRegistry<PendingResponse>(defaultWheel),
    counters: new CounterState(),
    errorLogger: options.errorLogger ?? defaultErrorLogger,
    warnLogger: options.warnLogger ?? defaultWarnLogger,
    stopping: false,
    websocket: options,
    createProtocol: (host: ProtocolHost) => new HttpSession(host, ctx),
    connectionClosed(connection) {
      connections.delete(connection as SocketLoop);
      connectionCounted(ctx.counters, connection as SocketLoop);
      if (connections.size === 0 && onAllClosed !== null) onAllClosed();
    },
  };
  if (options.serverHeader !== undefined && (typeof options.serverHeader !== 'string' || !isFieldValue(options.serverHeader))) {
    throw new InvalidArgumentError(`runServer: serverHeader must be one line of latin1 text, got ${describe(options.serverHeader)}`);
  }
  // The primary of `workers` only supervises (its options checked all the same): each worker runs
  // this same program, and so this same call, and serves.
  if (workers > 0 && cluster.isPrimary) {
    relayHubMessages();
    return superviseWorkers(workers, options.path, ctx.errorLogger);
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
    // highWaterMark: the bytes a connection queues for a client that does not read before send()
    // says full, the same on every Node line (Node 22 raised the default from 16 to 64 KiB).
    server = createNetServer({ noDelay: true, keepAlive: false, allowHalfOpen: true, highWaterMark: SOCKET_HIGH_WATER }, accept);
  }
  if (options.tls) server.on('connection', (socket: Socket) => socket.setNoDelay(true));

  // A failed listen rejects, once, and logs nothing: the caller has the error. Errors after it
  // (the listening socket failing later) go to errorLogger.
  const where = options.path ?? `${options.ip ?? DEFAULTS.ip}:${options.port ?? DEFAULTS.port}`;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const refused = listenError(error, where);
      // A worker tells its primary first, so the primary's runServer rejects with the same reason.
      if (workers > 0 && isManagedWorker()) reportListenFailure(refused, () => reject(refused));
      else reject(refused);
    };
    server.once('error', failed);
    const listening = () => {
      server.off('error', failed);
      server.on('error', (error) => ctx.errorLogger('Server socket error', error));
      resolve();
    };
    if (options.path !== undefined) server.listen({ path: options.path, backlog: options.backlog ?? DEFAULTS.backlog }, listening);
    else
      server.listen(
        { host: options.ip ?? DEFAULTS.ip, port: options.port ?? DEFAULTS.port, backlog: options.backlog ?? DEFAULTS.backlog },
        listening,
      );
  });
  const address = server.address();
  ctx.port = typeof address === 'object' && address !== null ? address.port : 0;

  let status: ServerStatus = 'running';
  let stopped: Promise<void> | null = null;

  const stop = (stopOptions: StopOptions = {}): Promise<void> => {
    if (stopped !== null) return stopped;
    status = 'stopping';
    ctx.stopping = true;
    const timeout = stopOptions.timeout ?? DEFAULT_STOP_TIMEOUT;
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

  const running: HttpServer = {
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
    workers: NO_WORKERS,
    stop,
  };
  // serverCounters(server) (diagnostics.ts): live connections' bytes added to the closed ones'.
  Object.defineProperty(running, kCounters, {
    value: (): ServerCounters => {
      let bytesIn = ctx.counters.closedBytesIn;
      let bytesOut = ctx.counters.closedBytesOut;
      for (const connection of connections) {
        bytesIn += connection.socket.bytesRead;
        bytesOut += connection.socket.bytesWritten;
      }
      return {
        connections: connections.size,
        requestsInFlight: ctx.counters.requestsInFlight,
        parkedChannels: ctx.channels.size,
        webSockets: ctx.counters.upgraded.size,
        bytesIn,
        bytesOut,
      };
    },
  });
  if (workers > 0 && isManagedWorker()) obeyPrimary(running, ctx.errorLogger);
  return running;
}
