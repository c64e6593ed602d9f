/**
 * One connection to a route: one state machine that ties its socket, its response reader and
 * its timer together.
 *
 *   Connecting --connect/secureConnect--> Active --response complete--> Idle --send--> Active
 *        \                                  |  \                          |
 *         \                                 |   `--101 to an upgrade--> HandedOver
 *          `------------ error, timeout, close, bad response -------------+--> Closed
 *
 * `transition(event)` is the one place the state changes; everything else asks it. A Closed or
 * HandedOver connection is never reused.
 *
 * The socket: opened here through dial.ts (TCP, TLS, or TLS over a CONNECT tunnel through a
 * proxy). Its listeners are functions shared by every connection, which find theirs through a
 * symbol on the socket (no closures per connection); an upgrade takes them off and hands the
 * socket to the caller.
 *
 * The timer (one, on the owner's wheel) serves every state and means what the state says: the
 * connect timeout while connecting; the idle timeout while a response is awaited or read,
 * checked against the time of the last byte so that it is not re-armed per read; the
 * keep-alive expiry while idle. While connecting and while a response is awaited it is armed
 * for the request's `timeout` deadline too when that comes first, and a stalled consumer of a
 * streamed body stops the idle clock but not the deadline.
 *
 * It knows its owner (the pool) only as a ConnectionOwner and the request it carries only as
 * an ExchangeSink (exchange-sink.ts): nothing here imports the pool or the exchange. The
 * request's bytes come from request-writer.ts (head) and request-body.ts (a streamed body).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type HttpKitError, Timer, type TimerWheel } from '@http-kit/core';
import { connectFailure, connectTcp, connectTls, connectTunnel, type Route } from './dial.js';
import { ConnectionClosedError, ConnectTimeoutError, RequestBodyError, TimeoutError } from './errors.js';
import type { Carrier, ExchangeSink } from './exchange-sink.js';
import { HAS_UPGRADE } from './options.js';
import { type BodyChannel, sendBody } from './request-body.js';
import { Framing, framingOf, serialiseRequest } from './request-writer.js';
import { ReadState, ResponseReader } from './response-reader.js';

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

const enum ConnState {
  Connecting = 0,
  Active = 1,
  Idle = 2,
  Closed = 3,
  /** The socket went to the caller after a 101 (see ExchangeSink.onUpgrade). */
  HandedOver = 4,
}

/** What moves a connection from one state to another (see `transition`). */
const enum ConnEvent {
  /** The socket is ready (connected, or its TLS handshake done): Connecting -> Active. */
  Connected = 0,
  /** A request goes out on an idle connection: Idle -> Active. */
  Send = 1,
  /** The response was read and the connection can carry another: Active -> Idle. */
  KeepAlive = 2,
  /** A 101 answered the request's upgrade: Active -> HandedOver. */
  Upgrade = 3,
  /** Error, timeout, close, bad response, abort: any state but Closed and HandedOver -> Closed. */
  Close = 4,
}

/** Bodies up to this size are copied behind the head and sent in one write. */
const MERGE_BODY_LIMIT = 16 * 1024;

const now = (): number => performance.now();

/**
 * On each socket of a connection (and the raw socket under a TLS tunnel): the connection its
 * events go to. Shared listeners instead of seven closures per connection took an idle keep-alive
 * connection from about 6.5 to 4.2 KB of heap (2,000 idle connections, heap after GC).
 */
const kConnection = Symbol('http-kit.client-connection');
type OwnedSocket = Socket & { [kConnection]?: Connection | undefined };

export class Connection implements Carrier, BodyChannel<ExchangeSink> {
  private state = ConnState.Connecting;
  socket!: Socket;
  readonly route: Route;
  private readonly owner: ConnectionOwner;
  private readonly reader = new ResponseReader();
  private readonly timer: Timer<Connection>;
  /** The request in flight (or the one this connection is being opened for). */
  exchange: ExchangeSink | null;
  /** Responses completed on this connection: a connection that has served one may have gone stale. */
  uses = 0;
  /** When the last byte of the exchange came or went (performance.now() ms), for the idle timeout. */
  private lastActivity = 0;
  /** The request (head and body) has been handed to the socket entirely. */
  private requestSent = false;
  /** Inside reader.feed: the reader must not be released until it returns. */
  private feeding = false;
  /** Reading is paused because the consumer of a streamed body is behind: the idle clock stands still. */
  private paused = false;
  /** The connect was armed for the request's deadline, which comes before its connectTimeout. */
  private connectByDeadline = false;
  /** The socket is in its TLS handshake: a close now is a TLS failure. */
  private tlsHandshaking = false;
  /** The raw socket to the proxy under a TLS tunnel, or null. */
  private tunnel: Socket | null = null;
  /** The first error the socket emitted ('close' follows it and reports it). */
  private socketError: Error | null = null;

  /** `connectMs`: what is left of the exchange's connectTimeout (it may have waited for a slot). */
  constructor(owner: ConnectionOwner, route: Route, exchange: ExchangeSink, connectMs: number) {
    this.owner = owner;
    this.route = route;
    this.exchange = exchange;
    this.timer = new Timer<Connection>(onTimer, this);
    // The request can be cancelled while its connection opens (its deadline, its signal).
    exchange.conn = this;
    this.armConnect(exchange, connectMs);
    try {
      this.open(exchange.maxHeaderSize);
    } catch (error) {
      // Synchronous failures of net/tls (bad options): report like any connect error.
      this.socketError = error as Error;
      queueMicrotask(() => this.socketClosed());
    }
  }

  get isIdle(): boolean {
    return this.state === ConnState.Idle;
  }

  /**
   * The one place the state changes. Returns false, changing nothing, when `event` does not
   * apply in the current state (a second close, a close after the socket was handed over).
   */
  private transition(event: ConnEvent): boolean {
    const state = this.state;
    switch (event) {
      case ConnEvent.Connected:
        if (state !== ConnState.Connecting) return false;
        this.state = ConnState.Active;
        return true;
      case ConnEvent.Send:
        if (state !== ConnState.Idle) return false;
        this.state = ConnState.Active;
        return true;
      case ConnEvent.KeepAlive:
        if (state !== ConnState.Active) return false;
        this.state = ConnState.Idle;
        return true;
      case ConnEvent.Upgrade:
        if (state !== ConnState.Active) return false;
        this.state = ConnState.HandedOver;
        return true;
      case ConnEvent.Close:
        if (state === ConnState.Closed || state === ConnState.HandedOver) return false;
        this.state = ConnState.Closed;
        return true;
    }
  }

  // --- opening the socket ---

  /** Opens the socket to the route. `maxHeaderSize` bounds the proxy's answer to CONNECT. */
  private open(maxHeaderSize: number): void {
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
    const raw = connectTunnel(route, maxHeaderSize, (error) => {
      if (this.state !== ConnState.Connecting) return;
      if (error !== null) this.failExchange(error, false);
      else this.attach(this.startTls(raw));
    });
    this.socket = this.tunnel = raw;
    (raw as OwnedSocket)[kConnection] = this;
    raw.on('error', onSocketError);
    raw.on('close', onTunnelClose);
  }

  private startTls(over: Socket | undefined): TLSSocket {
    this.tlsHandshaking = true;
    const socket = connectTls(this.route, over);
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('session', onTlsSession);
    return socket;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.once(this.tlsHandshaking ? 'secureConnect' : 'connect', onSocketConnect);
  }

  /** Takes every listener of ours off the socket (and the tunnel under it): it is the caller's now. */
  private detach(): void {
    const socket = this.socket;
    socket.off('data', onSocketData);
    socket.off('end', onSocketEnd);
    socket.off('error', onSocketError);
    socket.off('close', onSocketClose);
    socket.off('session', onTlsSession);
    // The caller may keep the socket for long: it must not keep this connection too.
    (socket as OwnedSocket)[kConnection] = undefined;
    const tunnel = this.tunnel;
    if (tunnel !== null) {
      tunnel.off('error', onSocketError);
      tunnel.off('close', onTunnelClose);
      (tunnel as OwnedSocket)[kConnection] = undefined;
    }
  }

  // --- sending ---

  /** Sends `exchange` on this idle connection. */
  send(exchange: ExchangeSink): void {
    this.exchange = exchange;
    this.transition(ConnEvent.Send);
    this.socket.ref();
    this.start(exchange);
  }

  private start(exchange: ExchangeSink): void {
    exchange.conn = this;
    this.reader.start(exchange, exchange.method, exchange.maxHeaderSize);
    this.armResponse(exchange);
    // A streamed body reports its end later (bodySent): the pump's first step is asynchronous.
    this.requestSent = this.writeRequest(exchange);
  }

  /**
   * Puts `exchange` on the socket: its head (request-writer.ts), a small body copied behind it,
   * a larger one written in the same cork, a streamed one pumped behind it (request-body.ts). A
   * request that fits goes out in one write. Returns whether the request (head and body) went
   * to the socket entirely: false while a streamed body is pumped, whose end the pump reports
   * (`bodySent`, `bodyFailed`).
   */
  private writeRequest(exchange: ExchangeSink): boolean {
    const route = this.route;
    const requestTarget = route.absoluteForm ? 'http://' + exchange.target.hostHeader + exchange.path : exchange.path;
    const body = exchange.body;
    const merge = body !== null && body.length <= MERGE_BODY_LIMIT;
    const head = serialiseRequest(exchange, requestTarget, route.absoluteForm ? route.proxyAuth : null, merge);
    const socket = this.socket;
    if (exchange.bodyStream !== null) {
      socket.write(head);
      sendBody(this, exchange, exchange.bodyStream, framingOf(exchange) === Framing.Chunked);
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

  // --- BodyChannel: a streamed request body (request-body.ts) ---

  carries(exchange: ExchangeSink): boolean {
    return this.exchange === exchange && this.state === ConnState.Active;
  }

  /** Bytes came or went: activity for the idle timeout (a body being sent counts: the server may read slowly). */
  touch(): void {
    this.lastActivity = now();
  }

  bodySent(): void {
    this.requestSent = true;
  }

  bodyFailed(exchange: ExchangeSink, error: unknown): void {
    if (this.exchange !== exchange) return;
    this.failExchange(
      new RequestBodyError(`reading the request body failed: ${(error as Error)?.message ?? error}`, { cause: error }),
      false,
    );
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
    // The idle clock stood still while paused (a slow consumer is not a slow server); the deadline did not.
    const exchange = this.exchange;
    if (exchange !== null) this.armResponse(exchange);
    this.socket.resume();
  }

  /** @internal The socket's 'data'. */
  socketData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (this.state !== ConnState.Active || exchange === null) {
      // Bytes on an idle connection: nothing valid can follow; never reuse it.
      this.destroy();
      return;
    }
    this.touch();
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
  }

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
      this.transition(ConnEvent.KeepAlive);
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
    this.transition(ConnEvent.Upgrade);
    this.timer.cancel();
    this.detach();
    const socket = this.socket;
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
    if (!this.transition(ConnEvent.Close)) return;
    this.timer.cancel();
    this.socket?.destroy();
    if (!this.feeding) this.reader.release();
    this.owner.connectionClosed(this);
  }

  // --- socket events ---

  /** @internal The socket is ready: 'connect', or 'secureConnect' once its TLS handshake is done. */
  socketConnected(): void {
    if (!this.transition(ConnEvent.Connected)) return;
    this.tlsHandshaking = false;
    this.start(this.exchange!);
  }

  /** @internal A TLS session to resume the next handshake with. */
  tlsSession(session: Buffer): void {
    this.route.tlsSession = session;
  }

  /** @internal The socket's (or the tunnel's) 'error': 'close' follows and reports it. */
  socketFailed(error: Error): void {
    this.socketError ??= error;
  }

  /** @internal The raw socket under a tunnel closed. */
  tunnelClosed(): void {
    // Before TLS took it over: the connection never opened.
    if (this.state === ConnState.Connecting && this.socket === this.tunnel) this.socketClosed();
  }

  /** @internal The socket's 'end'. */
  socketEnd(): void {
    if (this.state === ConnState.Active && this.exchange !== null) this.ended(undefined);
    else this.destroy();
  }

  /** @internal The socket's 'close'. */
  socketClosed(): void {
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
  }

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

  // --- the timer ---

  /** Arms the connect timeout: `connectMs`, or what is left of the exchange's deadline when that ends first. */
  private armConnect(exchange: ExchangeSink, connectMs: number): void {
    const deadlineLeft = exchange.deadlineAt - now();
    // On a tie (`timeout` alone sets both) the connect's own limit is the one named.
    this.connectByDeadline = deadlineLeft < connectMs - 1;
    this.owner.wheel.schedule(this.timer, this.connectByDeadline ? deadlineLeft : connectMs);
  }

  /** Starts the idle clock now; the timer is armed for it or for the exchange's deadline, whichever ends first. */
  private armResponse(exchange: ExchangeSink): void {
    const time = (this.lastActivity = now());
    this.owner.wheel.schedule(this.timer, Math.min(exchange.idleTimeout, exchange.deadlineAt - time));
  }

  /** Parks the connection in the pool for `keepaliveMs`: the timer is armed for its keep-alive expiry. */
  idleFor(keepaliveMs: number): void {
    this.owner.wheel.schedule(this.timer, keepaliveMs);
    this.socket.unref();
  }

  /** The timer fired: what it means depends on the state. */
  timeout(): void {
    switch (this.state) {
      case ConnState.Connecting:
        this.failExchange(this.connectTimeoutError(this.exchange!), false);
        return;
      case ConnState.Active: {
        const exchange = this.exchange;
        const error = exchange === null ? null : this.responseTimeout(exchange);
        if (error !== null) this.failExchange(error, false);
        return;
      }
      case ConnState.Idle:
        this.destroy();
        return;
    }
  }

  /** The error for a connect that did not finish in time, naming the limit it was armed for. */
  private connectTimeoutError(exchange: ExchangeSink): ConnectTimeoutError {
    const route = this.route;
    const within = this.connectByDeadline
      ? `${exchange.timeout} ms (timeout)`
      : `${exchange.connectTimeout} ms (${exchange.connectTimeoutName})`;
    return new ConnectTimeoutError(`could not connect to ${route.host}:${route.port} within ${within}`);
  }

  /**
   * The timer fired while `exchange`'s response was awaited or read: the error for the limit that
   * passed, or null when none has (the timer is then armed again for the nearer one).
   */
  private responseTimeout(exchange: ExchangeSink): TimeoutError | null {
    const time = now();
    // The idle clock stands still while the consumer of a streamed body is behind (resumeReading re-arms it).
    const idle = this.paused ? 0 : time - this.lastActivity;
    // A millisecond of slack: on a tie with the deadline (`timeout` alone sets both) idleTimeout is the one named.
    if (idle >= exchange.idleTimeout - 1) {
      return new TimeoutError(
        `no byte from ${exchange.target.origin} for ${exchange.idleTimeout} ms while waiting for the response to ${exchange.method} ${exchange.target.href} (${exchange.idleTimeoutName})`,
      );
    }
    const left = exchange.deadlineAt - time;
    if (left <= 0)
      return new TimeoutError(`${exchange.method} ${exchange.target.href} did not complete within ${exchange.timeout} ms (timeout)`);
    if (!this.paused) this.owner.wheel.schedule(this.timer, Math.min(exchange.idleTimeout - idle, left));
    else if (left < Infinity) this.owner.wheel.schedule(this.timer, left);
    return null;
  }
}

function onTimer(conn: Connection): void {
  conn.timeout();
}

// The listeners of every connection's sockets, shared: `this` is the socket.
function connectionOf(socket: Socket): Connection {
  return (socket as OwnedSocket)[kConnection]!;
}
function onSocketData(this: Socket, chunk: Buffer): void {
  connectionOf(this).socketData(chunk);
}
function onSocketEnd(this: Socket): void {
  connectionOf(this).socketEnd();
}
function onSocketError(this: Socket, error: Error): void {
  connectionOf(this).socketFailed(error);
}
function onSocketClose(this: Socket): void {
  connectionOf(this).socketClosed();
}
function onSocketConnect(this: Socket): void {
  connectionOf(this).socketConnected();
}
function onTlsSession(this: Socket, session: Buffer): void {
  connectionOf(this).tlsSession(session);
}
function onTunnelClose(this: Socket): void {
  connectionOf(this).tunnelClosed();
}
