/**
 * One connection to a route: its socket, its response reader and its timer, and the state
 * machine that ties them together.
 *
 *   Connecting --connect/secureConnect--> Active --response complete--> Idle --send--> Active
 *        \                                  |                             |
 *         `------------- error, timeout, close, bad response ------------+--> Closed
 *
 * One timer (on the shared wheel) serves every state: the connect timeout while Connecting, the
 * idle timeout while Active (checked against the time of the last byte, so it is not re-armed
 * per read), the keep-alive expiry while Idle. A Closed connection is never reused.
 */
import net, { type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { Timer } from '@http-kit/core';
import type { HttpKitError } from '@http-kit/core';
import { ConnectError, ConnectTimeoutError, ConnectionClosedError, RequestBodyError, TimeoutError, TlsError } from './errors.js';
import type { Exchange } from './exchange.js';
import type { TlsOptions } from './options.js';
import type { Pool } from './pool.js';
import { ReadState, ResponseReader } from './response-reader.js';
import { CRLF, chunkHeader, Framing, framingOf, LAST_CHUNK, serialiseRequest } from './request-writer.js';
import { openTunnel } from './tunnel.js';

/** Where a connection goes and how (see OriginPool). */
export interface Route {
  readonly https: boolean;
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  readonly insecure: boolean;
  readonly tls: TlsOptions | null;
  readonly proxyHost: string;
  readonly proxyPort: number;
  readonly proxyAuth: string | null;
  readonly absoluteForm: boolean;
  tlsSession: Buffer | undefined;
}

export const enum ConnState {
  Connecting = 0,
  Active = 1,
  Idle = 2,
  Closed = 3,
}

/** Bodies up to this size are copied behind the head and sent in one write. */
const MERGE_BODY_LIMIT = 16 * 1024;

const now = (): number => performance.now();

function onTimer(conn: Connection): void {
  conn.timeout();
}

export class Connection {
  state = ConnState.Connecting;
  socket!: Socket;
  readonly route: Route;
  private readonly pool: Pool;
  private readonly reader = new ResponseReader();
  private readonly timer: Timer<Connection>;
  /** The request in flight (or the one this connection is being opened for). */
  exchange: Exchange | null;
  /** Responses completed on this connection: a connection that has served one may have gone stale. */
  uses = 0;
  private lastActivity = 0;
  /** Reading is paused because the consumer of a streamed body is behind. */
  paused = false;
  /** The request (head and body) has been handed to the socket entirely. */
  private requestSent = false;
  private tlsHandshaking = false;
  private socketError: Error | null = null;
  /** Inside reader.feed: the reader must not be released until it returns. */
  private feeding = false;

  /** `connectMs`: what is left of the exchange's connectTimeout (it may have waited for a slot). */
  constructor(pool: Pool, route: Route, exchange: Exchange, connectMs: number) {
    this.pool = pool;
    this.route = route;
    this.exchange = exchange;
    this.timer = new Timer<Connection>(onTimer, this);
    pool.wheel.schedule(this.timer, connectMs);
    try {
      this.open(exchange);
    } catch (error) {
      // Synchronous failures of net/tls (bad options): report like any connect error.
      this.socketError = error as Error;
      queueMicrotask(this.onClose);
    }
  }

  get isIdle(): boolean {
    return this.state === ConnState.Idle;
  }

  private open(exchange: Exchange): void {
    const route = this.route;
    if (route.proxyHost === '') {
      this.attach(route.https ? this.connectTls(undefined) : net.connect({ host: route.host, port: route.port, noDelay: true }));
      return;
    }
    const raw = net.connect({ host: route.proxyHost, port: route.proxyPort, noDelay: true });
    if (!route.https) {
      this.attach(raw);
      return;
    }
    // Through a tunnel: CONNECT first, TLS over the raw socket once the proxy agrees.
    this.socket = raw;
    raw.on('error', this.onError);
    raw.once('connect', () => {
      openTunnel(raw, `${route.host}:${route.port}`, route.proxyAuth, exchange.maxHeaderSize, (error) => {
        if (this.state === ConnState.Closed) return;
        if (error !== null) {
          this.failExchange(error, false);
          return;
        }
        this.attach(this.connectTls(raw));
      });
    });
    raw.on('close', this.onTunnelClose);
  }

  private connectTls(socket: Socket | undefined): TLSSocket {
    const route = this.route;
    this.tlsHandshaking = true;
    const options = route.tls;
    const tlsSocket = tls.connect({
      ...options,
      socket,
      host: route.host,
      port: route.port,
      servername: options?.servername ?? (route.servername === '' ? undefined : route.servername),
      rejectUnauthorized: !route.insecure,
      ALPNProtocols: ['http/1.1'],
      session: route.tlsSession,
      noDelay: true,
    } as tls.ConnectionOptions);
    tlsSocket.on('session', this.onSession);
    return tlsSocket;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.once(this.tlsHandshaking ? 'secureConnect' : 'connect', this.onConnect);
  }

  // --- sending ---

  /** Sends `exchange` on this idle connection. */
  send(exchange: Exchange): void {
    this.exchange = exchange;
    this.state = ConnState.Active;
    this.socket.ref();
    this.start(exchange);
  }

  private start(exchange: Exchange): void {
    exchange.conn = this;
    this.reader.start(exchange, exchange.method, exchange.maxHeaderSize);
    this.lastActivity = now();
    this.pool.wheel.schedule(this.timer, exchange.idleTimeout);
    const route = this.route;
    const requestTarget = route.absoluteForm ? 'http://' + exchange.target.hostHeader + exchange.path : exchange.path;
    const body = exchange.body;
    const merge = body !== null && body.length <= MERGE_BODY_LIMIT;
    const head = serialiseRequest(exchange, requestTarget, route.absoluteForm ? route.proxyAuth : null, merge);
    const socket = this.socket;
    if (exchange.bodyStream !== null) {
      this.requestSent = false;
      socket.write(head);
      void this.pumpBody(exchange, framingOf(exchange) === Framing.Chunked);
      return;
    }
    this.requestSent = true;
    if (body === null || merge) {
      socket.write(head);
    } else {
      socket.cork();
      socket.write(head);
      socket.write(body);
      socket.uncork();
    }
  }

  /** Writes a streamed body as it is read, waiting for the socket to drain when it is full. */
  private async pumpBody(exchange: Exchange, chunked: boolean): Promise<void> {
    const socket = this.socket;
    try {
      for await (const piece of exchange.bodyStream!) {
        if (this.exchange !== exchange || this.state !== ConnState.Active) return;
        const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        if (chunk.length === 0) continue;
        if (chunked) {
          socket.cork();
          socket.write(chunkHeader(chunk.length));
          socket.write(chunk);
          socket.write(CRLF);
          socket.uncork();
        } else {
          socket.write(chunk);
        }
        // The server may be reading slowly: sending counts as activity for the idle timeout.
        this.lastActivity = now();
        if (socket.writableNeedDrain) await drained(socket);
      }
      if (this.exchange !== exchange || this.state !== ConnState.Active) return;
      if (chunked) socket.write(LAST_CHUNK);
      this.requestSent = true;
    } catch (error) {
      if (this.exchange !== exchange) return;
      this.failExchange(new RequestBodyError(`reading the request body failed: ${(error as Error)?.message ?? error}`, { cause: error }), false);
    }
  }

  // --- reading ---

  /** Stops reading until `resumeReading` (the consumer of a streamed body is behind). */
  pauseReading(): void {
    if (this.paused || this.state !== ConnState.Active) return;
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.state !== ConnState.Active) return;
    this.lastActivity = now();
    // The idle timer stood still while paused (a slow consumer is not a slow server).
    if (!this.timer.armed && this.exchange !== null) this.pool.wheel.schedule(this.timer, this.exchange.idleTimeout);
    this.socket.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    const exchange = this.exchange;
    if (this.state !== ConnState.Active || exchange === null) {
      // Bytes on an idle connection: nothing valid can follow; never reuse it.
      this.destroy();
      return;
    }
    this.lastActivity = now();
    this.feeding = true;
    const state = this.reader.feed(chunk);
    this.feeding = false;
    if ((this.state as ConnState) === ConnState.Closed) {
      // The consumer aborted (destroyed a streamed body) while the chunk was parsed.
      this.reader.release();
      return;
    }
    if (exchange.failure !== null) this.failExchange(exchange.failure, false);
    else if (state === ReadState.Complete) this.completeExchange();
    else if (state === ReadState.Failed) this.failExchange(this.reader.error!, false);
  };

  private completeExchange(): void {
    const exchange = this.exchange!;
    this.exchange = null;
    exchange.conn = null;
    this.uses++;
    if (this.paused) {
      // The last read filled the consumer's buffer; the next response must still be read.
      this.paused = false;
      this.socket.resume();
    }
    if (this.reader.keepAlive && this.requestSent && !exchange.closeConnection) {
      this.state = ConnState.Idle;
      this.pool.release(this, exchange.keepaliveFor());
    } else {
      this.destroy();
    }
    exchange.onResponseEnd();
  }

  /** Ends the exchange in flight with `error` and closes the connection. */
  failExchange(error: HttpKitError, retryable: boolean): void {
    const exchange = this.exchange;
    this.exchange = null;
    this.destroy();
    if (exchange !== null) {
      exchange.conn = null;
      exchange.fail(error, retryable);
    }
  }

  /** The consumer gave up on the response (destroyed its body stream): the connection cannot be reused. */
  abort(): void {
    this.exchange = null;
    this.destroy();
  }

  /** Closes the connection for good (idempotent). */
  destroy(): void {
    if (this.state === ConnState.Closed) return;
    this.state = ConnState.Closed;
    this.timer.cancel();
    this.socket?.destroy();
    if (!this.feeding) this.reader.release();
    this.pool.onClosed(this);
  }

  // --- socket events ---

  private readonly onConnect = (): void => {
    if (this.state !== ConnState.Connecting) return;
    this.tlsHandshaking = false;
    this.state = ConnState.Active;
    this.start(this.exchange!);
  };

  private readonly onSession = (session: Buffer): void => {
    this.route.tlsSession = session;
  };

  private readonly onError = (error: Error): void => {
    this.socketError ??= error;
  };

  private readonly onEnd = (): void => {
    if (this.state === ConnState.Active && this.exchange !== null) this.ended(undefined);
    else this.destroy();
  };

  private readonly onClose = (): void => {
    switch (this.state) {
      case ConnState.Connecting:
        this.failExchange(this.connectError(), false);
        return;
      case ConnState.Active:
        if (this.exchange !== null) {
          this.ended(this.socketError ?? undefined);
          return;
        }
    }
    this.destroy();
  };

  private readonly onTunnelClose = (): void => {
    // The raw socket under a tunnel closed before TLS took it over.
    if (this.state === ConnState.Connecting && this.socket !== undefined && !(this.socket instanceof tls.TLSSocket)) this.onClose();
  };

  /** The server closed (or reset) the connection while a response was awaited or read. */
  private ended(cause: Error | undefined): void {
    const state = this.reader.eof(cause);
    if (state === ReadState.Complete) {
      this.completeExchange();
      return;
    }
    // A reused connection the server had closed, before any byte of the response: worth one retry.
    const retryable = this.uses > 0 && !this.reader.bytesSeen && this.reader.error instanceof ConnectionClosedError;
    this.failExchange(this.reader.error!, retryable);
  }

  private connectError(): HttpKitError {
    const route = this.route;
    const where = route.proxyHost === '' ? `${route.host}:${route.port}` : `${route.host}:${route.port} through the proxy ${route.proxyHost}:${route.proxyPort}`;
    const error = this.socketError as (Error & { code?: string }) | null;
    const reason = error?.code ?? 'ECONNRESET';
    if (this.tlsHandshaking) {
      return new TlsError(`TLS handshake with ${where} failed: ${error?.message ?? 'connection closed'}`, reason, { cause: error ?? undefined });
    }
    return new ConnectError(`cannot connect to ${where}: ${error?.message ?? 'connection closed'}`, reason, { cause: error ?? undefined });
  }

  /** The timer fired: what it means depends on the state. */
  timeout(): void {
    switch (this.state) {
      case ConnState.Connecting: {
        const exchange = this.exchange!;
        const route = this.route;
        this.failExchange(new ConnectTimeoutError(`could not connect to ${route.host}:${route.port} within ${exchange.connectTimeout} ms (connectTimeout)`), false);
        return;
      }
      case ConnState.Active: {
        const exchange = this.exchange;
        if (exchange === null || this.paused) return;
        const idle = now() - this.lastActivity;
        if (idle < exchange.idleTimeout) {
          this.pool.wheel.schedule(this.timer, exchange.idleTimeout - idle);
          return;
        }
        this.failExchange(new TimeoutError(`no byte from ${exchange.target.origin} for ${exchange.idleTimeout} ms while waiting for the response to ${exchange.method} ${exchange.target.href} (idleTimeout)`), false);
        return;
      }
      case ConnState.Idle:
        this.destroy();
        return;
    }
  }

  /** Parks the connection in the pool for `keepaliveMs`. */
  idleFor(keepaliveMs: number): void {
    this.pool.wheel.schedule(this.timer, keepaliveMs);
    this.socket.unref();
  }
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
