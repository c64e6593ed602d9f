/**
 * One connection to a route: the state machine that ties its socket, its response reader and
 * its timer together.
 *
 *   Connecting --connect/secureConnect--> Active --response complete--> Idle --send--> Active
 *        \                                  |  \                          |
 *         \                                 |   `--101 to an upgrade--> HandedOver
 *          `------------ error, timeout, close, bad response -------------+--> Closed
 *
 * One timer serves every state (connect timeout, idle timeout and deadline, keep-alive expiry);
 * its firing means what the state says. A Closed or HandedOver connection is never reused.
 *
 * It knows its owner (the pool) only as a ConnectionOwner and the request it carries only as
 * an ExchangeSink (exchange-sink.ts): nothing here imports the pool or the exchange. It is built
 * on ConnectionTimer (connection-timer.ts: the timer and which limit passed) on ConnectionSocket
 * (connection-socket.ts: opening the socket, its listeners), one object; send-request.ts writes
 * the request.
 */
import type { HttpKitError, TimerWheel } from '@http-kit/core';
import { ConnectionTimer } from './connection-timer.js';
import type { Route } from './dial.js';
import { ConnectionClosedError, RequestBodyError } from './errors.js';
import type { Carrier, ExchangeSink } from './exchange-sink.js';
import { HAS_UPGRADE } from './options.js';
import type { BodyChannel } from './request-body.js';
import { ReadState, ResponseReader } from './response-reader.js';
import { sendRequest } from './send-request.js';

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

export class Connection extends ConnectionTimer implements Carrier, BodyChannel<ExchangeSink> {
  state = ConnState.Connecting;
  private readonly owner: ConnectionOwner;
  private readonly reader = new ResponseReader();
  /** The request in flight (or the one this connection is being opened for). */
  exchange: ExchangeSink | null;
  /** Responses completed on this connection: a connection that has served one may have gone stale. */
  uses = 0;
  /** The request (head and body) has been handed to the socket entirely. */
  private requestSent = false;
  /** Inside reader.feed: the reader must not be released until it returns. */
  private feeding = false;

  /** `connectMs`: what is left of the exchange's connectTimeout (it may have waited for a slot). */
  constructor(owner: ConnectionOwner, route: Route, exchange: ExchangeSink, connectMs: number) {
    super(route);
    this.owner = owner;
    this.exchange = exchange;
    // The request can be cancelled while its connection opens (its deadline, its signal).
    exchange.conn = this;
    this.armConnect(exchange, connectMs);
    try {
      this.open(exchange.maxHeaderSize);
    } catch (error) {
      // Synchronous failures of net/tls (bad options): report like any connect error.
      this.socketError = error as Error;
      queueMicrotask(this.onClose);
    }
  }

  get isIdle(): boolean {
    return this.state === ConnState.Idle;
  }

  protected override get connecting(): boolean {
    return this.state === ConnState.Connecting;
  }

  protected override get wheel(): TimerWheel {
    return this.owner.wheel;
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
    this.armResponse(exchange);
    // A streamed body reports its end later (bodySent): the pump's first step is asynchronous.
    this.requestSent = sendRequest(this, this.route, exchange);
  }

  // --- BodyChannel: a streamed request body (request-body.ts); touch() is ConnectionTimer's ---

  carries(exchange: ExchangeSink): boolean {
    return this.exchange === exchange && this.state === ConnState.Active;
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

  protected override readonly onData = (chunk: Buffer): void => {
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
    this.stopTimer();
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
    if (this.state >= ConnState.Closed) return;
    this.state = ConnState.Closed;
    this.stopTimer();
    this.socket?.destroy();
    if (!this.feeding) this.reader.release();
    this.owner.connectionClosed(this);
  }

  // --- socket events ---

  protected override connected(): void {
    this.state = ConnState.Active;
    this.start(this.exchange!);
  }

  protected override connectFailed(error: HttpKitError): void {
    this.failExchange(error, false);
  }

  protected override readonly onEnd = (): void => {
    if (this.state === ConnState.Active && this.exchange !== null) this.ended(undefined);
    else this.destroy();
  };

  protected override readonly onClose = (): void => {
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
  override timeout(): void {
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

  /** Parks the connection in the pool for `keepaliveMs`. */
  idleFor(keepaliveMs: number): void {
    this.armKeepalive(keepaliveMs);
    this.socket.unref();
  }
}
