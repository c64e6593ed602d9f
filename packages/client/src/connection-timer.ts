/**
 * A client connection's one timer (on the shared wheel) and what it measures: the connect
 * timeout while connecting; the idle timeout while a response is awaited or read, checked
 * against the time of the last byte so that it is not re-armed per read; the keep-alive expiry
 * while idle. While connecting and while a response is awaited it is armed for the request's
 * `timeout` deadline too when that comes first, and a stalled consumer of a streamed body stops
 * the idle clock but not the deadline.
 *
 * This class says which limit passed, with the error that names it; what a firing does is the
 * connection's (connection.ts, `timeout()`), from its state. `Connection` is built on it, so the
 * timer and its clock are fields of the connection itself.
 */
import { Timer, type TimerWheel } from '@http-kit/core';
import { ConnectionSocket } from './connection-socket.js';
import type { Route } from './dial.js';
import { ConnectTimeoutError, TimeoutError } from './errors.js';
import type { ExchangeSink } from './exchange-sink.js';

const now = (): number => performance.now();

export abstract class ConnectionTimer extends ConnectionSocket {
  private readonly timer: Timer<ConnectionTimer>;
  /** When the last byte of the exchange came or went (performance.now() ms), for the idle timeout. */
  private lastActivity = 0;
  /** Reading is paused because the consumer of a streamed body is behind: the idle clock stands still. */
  paused = false;
  /** The connect was armed for the request's deadline, which comes before its connectTimeout. */
  private connectByDeadline = false;

  constructor(route: Route) {
    super(route);
    this.timer = new Timer<ConnectionTimer>(onTimer, this);
  }

  /** The wheel the timer runs on (the owner's). */
  protected abstract get wheel(): TimerWheel;
  /** The timer fired: what it means depends on the connection's state. */
  abstract timeout(): void;

  /** Arms the connect timeout: `connectMs`, or what is left of the exchange's deadline when that ends first. */
  protected armConnect(exchange: ExchangeSink, connectMs: number): void {
    const deadlineLeft = exchange.deadlineAt - now();
    // On a tie (`timeout` alone sets both) the connect's own limit is the one named.
    this.connectByDeadline = deadlineLeft < connectMs - 1;
    this.wheel.schedule(this.timer, this.connectByDeadline ? deadlineLeft : connectMs);
  }

  /** Starts the idle clock now; the timer is armed for it or for the exchange's deadline, whichever ends first. */
  protected armResponse(exchange: ExchangeSink): void {
    const time = (this.lastActivity = now());
    this.wheel.schedule(this.timer, Math.min(exchange.idleTimeout, exchange.deadlineAt - time));
  }

  /** Bytes came or went: activity for the idle timeout (a body being sent counts: the server may read slowly). */
  touch(): void {
    this.lastActivity = now();
  }

  /** Arms the timer for an idle connection's keep-alive expiry. */
  protected armKeepalive(keepaliveMs: number): void {
    this.wheel.schedule(this.timer, keepaliveMs);
  }

  protected stopTimer(): void {
    this.timer.cancel();
  }

  /** The error for a connect that did not finish in time, naming the limit it was armed for. */
  protected connectTimeoutError(exchange: ExchangeSink): ConnectTimeoutError {
    const route = this.route;
    const within = this.connectByDeadline ? `${exchange.timeout} ms (timeout)` : `${exchange.connectTimeout} ms (connectTimeout)`;
    return new ConnectTimeoutError(`could not connect to ${route.host}:${route.port} within ${within}`);
  }

  /**
   * The timer fired while `exchange`'s response was awaited or read: the error for the limit that
   * passed, or null when none has (the timer is then armed again for the nearer one).
   */
  protected responseTimeout(exchange: ExchangeSink): TimeoutError | null {
    const time = now();
    // The idle clock stands still while the consumer of a streamed body is behind (resumeReading re-arms it).
    const idle = this.paused ? 0 : time - this.lastActivity;
    // A millisecond of slack: on a tie with the deadline (`timeout` alone sets both) idleTimeout is the one named.
    if (idle >= exchange.idleTimeout - 1) {
      return new TimeoutError(
        `no byte from ${exchange.target.origin} for ${exchange.idleTimeout} ms while waiting for the response to ${exchange.method} ${exchange.target.href} (idleTimeout)`,
      );
    }
    const left = exchange.deadlineAt - time;
    if (left <= 0)
      return new TimeoutError(`${exchange.method} ${exchange.target.href} did not complete within ${exchange.timeout} ms (timeout)`);
    if (!this.paused) this.wheel.schedule(this.timer, Math.min(exchange.idleTimeout - idle, left));
    else if (left < Infinity) this.wheel.schedule(this.timer, left);
    return null;
  }
}

function onTimer(conn: ConnectionTimer): void {
  conn.timeout();
}
