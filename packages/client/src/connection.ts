/**
 * One connection to a route: its socket, its response reader and its timer, and the state
 * machine that ties them together.
 *
 *   Connecting --connect/secureConnect--> Active --response complete--> Idle --send--> Active
 *        \                                  |  \                          |
 *         \                                 |   `--101 to an upgrade--> HandedOver
 *          `------------ error, timeout, close, bad response -------------+--> Closed
 *
 * One timer (on the shared wheel) serves every state: the connect timeout while Connecting, the
 * idle timeout while Active (checked against the time of the last byte, so it is not re-armed
 * per read), the keep-alive expiry while Idle. While Connecting and Active it is armed for the
 * request's `timeout` deadline too when that comes first, and a stalled consumer of a streamed
 * body stops the idle clock but not the deadline. A Closed or HandedOver connection is never reused.
 *
 * It knows its owner (the pool) only as a ConnectionOwner and the request it carries only as
 * an ExchangeSink (exchange-sink.ts): nothing here imports the pool or the exchange.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Timer, type HttpKitError, type TimerWheel } from '@http-kit/core';
import { connectFailure, connectTcp, connectTls, connectTunnel, type Route } from './dial.js';
import { ConnectTimeoutError, ConnectionClosedError, RequestBodyError, TimeoutError } from './errors.js';
import type { Carrier, ExchangeSink } from './exchange-sink.js';
import { HAS_UPGRADE } from './options.js';
import { sendBody, type BodyChannel } from './request-body.js';
import { ReadState, ResponseReader } from './response-reader.js';
import { Framing, framingOf, serialiseRequest } from './request-writer.js';

/** Who a connection reports to (its route in the pool). The connection never calls anything else of it. */
export interface ConnectionOwner {
  /** The wheel the connection's timer runs on. */
  readonly wheel: TimerWheel;
  /**
   * The connection read a response entirely and can carry another; the request it served has
   * not settled yet. `keepaliveMs` is how long it may idle (0 or less: close it).
   */
  connectionIdle(conn: Connection, keepaliveMs: number): void;
  /** The request the connection served has settled (its callback ran, its stream ended): the connection is free for the next. */
  connectionReleased(conn: Connection, keepaliveMs: number): void;
  /** The connection closed, failed to open, or was handed over by an upgrade: its slot is free. */
  connectionClosed(conn: Connection): void;
}

export const enum ConnState {
  Connecting = 0,
  Active = 1,
  Idle = 2,
  Closed = 3,
  /** The socket went to the caller after a 101 (see ExchangeSink.onUpgrade). */
  HandedOver = 4,
}

/** Bodies up to this size are copied behind the head and sent in one write. */
const MERGE_BODY_LIMIT = 16 * 1024;

const now = (): number => performance.now();

function onTimer(conn: Connection): void {
  conn.timeout();
}

export class Connection implements Carrier, BodyChannel<ExchangeSink> {
  state = ConnState.Connecting;
  socket!: Socket;
  readonly route: Route;
  private readonly owner: ConnectionOwner;
  private readonly reader = new ResponseReader();
  private readonly timer: Timer<Connection>;
  /** The request in flight (or the one this connection is being opened for). */
  exchange: ExchangeSink | null;
  /** Responses completed on this connection: a connection that has served one may have gone stale. */
  uses = 0;
  private lastActivity = 0;
  /** Reading is paused because the consumer of a streamed body is behind. */
  paused = false;
  /** The request (head and body) has been handed to the socket entirely. */
  private requestSent = false;
  private tlsHandshaking = false;
  /** The raw socket to the proxy under a TLS tunnel, or null. */
  private tunnel: Socket | null = null;
  private socketError: Error | null = null;
  /** Inside reader.feed: the reader must not be released until it returns. */
  private feeding = false;
  /** The connect was armed for the request's deadline, which comes before its connectTimeout. */
  private connectByDeadline = false;

  /** `connectMs`: what is left of the exchange's connectTimeout (it may have waited for a slot). */
  constructor(owner: ConnectionOwner, route: Route, exchange: ExchangeSink, connectMs: number) {
    this.owner = owner;
    this.route = route;
    this.exchange = exchange;
    // The request can be cancelled while its connection opens (its deadline, its signal).
    exchange.conn = this;
    this.timer = new Timer<Connection>(onTimer, this);
    const deadlineLeft = exchange.deadlineAt - now();
    // On a tie (`timeout` alone sets both) the connect's own limit is the one named.
    this.connectByDeadline = deadlineLeft < connectMs - 1;
    owner.wheel.schedule(this.timer, this.connectByDeadline ? deadlineLeft : connectMs);
    try {
      this.open();
    } catch (error) {
      // Synchronous failures of net/tls (bad options): report like any connect error.
      this.socketError = error as Error;
      queueMicrotask(this.onClose);
    }
  }

  get isIdle(): boolean {
    return this.state === ConnState.Idle;
  }

  private open(): void {
    const route = this.route;
    if (!route.https) {
      this.attach(connectTcp(route));
      return;
    }
    if (route.proxyHost === '') {
      this.attach(this.startTls(undefined));
      return;
    }
    // Through a tunnel: CONNECT first, TLS over the raw socket once the proxy agrees.
    const raw = connectTunnel(route, this.exchange!.maxHeaderSize, (error) => {
      if (this.state !== ConnState.Connecting) return;
      if (error !== null) this.failExchange(error, false);
      else this.attach(this.startTls(raw));
    });
    this.socket = this.tunnel = raw;
    raw.on('error', this.onError);
    raw.on('close', this.onTunnelClose);
  }

  private startTls(over: Socket | undefined): TLSSocket {
    this.tlsHandshaking = true;
    const socket = connectTls(this.route, over);
    socket.on('session', this.onSession);
    return socket;
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
  send(exchange: ExchangeSink): void {
    this.exchange = exchange;
    this.state = ConnState.Active;
    this.socket.ref();
    this.start(exchange);
  }

  private start(exchange: ExchangeSink): void {
    exchange.conn = this;
    this.reader.start(exchange, exchange.method, exchange.maxHeaderSize);
    const time = (this.lastActivity = now());
    this.owner.wheel.schedule(this.timer, Math.min(exchange.idleTimeout, exchange.deadlineAt - time));
    const route = this.route;
    const requestTarget = route.absoluteForm ? 'http://' + exchange.target.hostHeader + exchange.path : exchange.path;
    const body = exchange.body;
    const merge = body !== null && body.length <= MERGE_BODY_LIMIT;
    const head = serialiseRequest(exchange, requestTarget, route.absoluteForm ? route.proxyAuth : null, merge);
    const socket = this.socket;
    if (exchange.bodyStream !== null) {
      this.requestSent = false;
      socket.write(head);
      sendBody(this, exchange, exchange.bodyStream, framingOf(exchange) === Framing.Chunked);
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

  // --- BodyChannel: a streamed request body (request-body.ts) ---

  carries(exchange: ExchangeSink): boolean {
    return this.exchange === exchange && this.state === ConnState.Active;
  }

  touch(): void {
    this.lastActivity = now();
  }

  bodySent(): void {
    this.requestSent = true;
  }

  bodyFailed(exchange: ExchangeSink, error: unknown): void {
    if (this.exchange !== exchange) return;
    this.failExchange(new RequestBodyError(`reading the request body failed: ${(error as Error)?.message ?? error}`, { cause: error }), false);
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
    const time = (this.lastActivity = now());
    // The idle clock stood still while paused (a slow consumer is not a slow server); the deadline did not.
    const exchange = this.exchange;
    if (exchange !== null) this.owner.wheel.schedule(this.timer, Math.min(exchange.idleTimeout, exchange.deadlineAt - time));
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
    else if (state === ReadState.Switched) this.switched(exchange, chunk);
    else if (state === ReadState.Failed) this.failExchange(this.reader.error!, false);
  };

  /**
   * The response has been read. The exchange settles before the connection goes to anyone
   * waiting for it: its callback runs (or its body stream ends) first. Only a request made
   * meanwhile, when nobody waits, may take it (see ConnectionOwner.connectionIdle).
   */
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
    const reusable = this.reader.keepAlive && this.requestSent && !exchange.closeConnection;
    const keepaliveMs = reusable ? exchange.keepaliveFor() : 0;
    if (reusable) {
      this.state = ConnState.Idle;
      this.owner.connectionIdle(this, keepaliveMs);
    } else {
      this.destroy();
    }
    exchange.onResponseEnd();
    if (this.state === ConnState.Idle) this.owner.connectionReleased(this, keepaliveMs);
  }

  /** A 101: the socket goes to the caller when the request asked for an upgrade; otherwise the response ends HTTP here. */
  private switched(exchange: ExchangeSink, chunk: Buffer): void {
    if ((exchange.headerFlags & HAS_UPGRADE) === 0) {
      this.completeExchange();
      return;
    }
    this.exchange = null;
    exchange.conn = null;
    this.state = ConnState.HandedOver;
    this.timer.cancel();
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.off('session', this.onSession);
    const tunnel = this.tunnel;
    if (tunnel !== null) {
      tunnel.off('error', this.onError);
      tunnel.off('close', this.onTunnelClose);
    }
    // As node:http leaves an upgraded socket: neither paused nor flowing, so what arrives before
    // the new owner attaches its 'data' listener waits in the socket, and that listener starts the flow.
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    const head = chunk.subarray(this.reader.headEnd);
    this.reader.release();
    this.owner.connectionClosed(this);
    exchange.onUpgrade(socket, head);
  }

  /** Ends the exchange in flight with `error` and closes the connection. */
  private failExchange(error: HttpKitError, retryable: boolean): void {
    const exchange = this.exchange;
    this.exchange = null;
    this.destroy();
    if (exchange !== null) {
      exchange.conn = null;
      exchange.fail(error, retryable);
    }
  }

  /** The consumer gave up on the response (destroyed its body stream), or the request was cancelled: the connection cannot be reused. */
  abort(): void {
    this.exchange = null;
    this.destroy();
  }

  /** Closes the connection for good (idempotent; a no-op once handed over). */
  destroy(): void {
    if (this.state >= ConnState.Closed) return;
    this.state = ConnState.Closed;
    this.timer.cancel();
    this.socket?.destroy();
    if (!this.feeding) this.reader.release();
    this.owner.connectionClosed(this);
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
        this.failExchange(connectFailure(this.route, this.socketError, this.tlsHandshaking), false);
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
    if (this.state === ConnState.Connecting && this.socket === this.tunnel) this.onClose();
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

  /** The timer fired: what it means depends on the state. */
  timeout(): void {
    switch (this.state) {
      case ConnState.Connecting: {
        const exchange = this.exchange!;
        const route = this.route;
        const within = this.connectByDeadline ? `${exchange.timeout} ms (timeout)` : `${exchange.connectTimeout} ms (connectTimeout)`;
        this.failExchange(new ConnectTimeoutError(`could not connect to ${route.host}:${route.port} within ${within}`), false);
        return;
      }
      case ConnState.Active: {
        const exchange = this.exchange;
        if (exchange === null) return;
        const time = now();
        // The idle clock stands still while the consumer of a streamed body is behind (resumeReading re-arms it).
        const idle = this.paused ? 0 : time - this.lastActivity;
        // A millisecond of slack: on a tie with the deadline (`timeout` alone sets both) idleTimeout is the one named.
        if (idle >= exchange.idleTimeout - 1) {
          this.failExchange(new TimeoutError(`no byte from ${exchange.target.origin} for ${exchange.idleTimeout} ms while waiting for the response to ${exchange.method} ${exchange.target.href} (idleTimeout)`), false);
          return;
        }
        const left = exchange.deadlineAt - time;
        if (left <= 0) {
          this.failExchange(new TimeoutError(`${exchange.method} ${exchange.target.href} did not complete within ${exchange.timeout} ms (timeout)`), false);
          return;
        }
        if (this.paused) {
          if (left < Infinity) this.owner.wheel.schedule(this.timer, left);
          return;
        }
        this.owner.wheel.schedule(this.timer, Math.min(exchange.idleTimeout - idle, left));
        return;
      }
      case ConnState.Idle:
        this.destroy();
        return;
    }
  }

  /** Parks the connection in the pool for `keepaliveMs`. */
  idleFor(keepaliveMs: number): void {
    this.owner.wheel.schedule(this.timer, keepaliveMs);
    this.socket.unref();
  }
}
