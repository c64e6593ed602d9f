/**
 * The keep-alive pool: per route (origin, or proxy + origin), the idle connections (most
 * recently used first out), a count of open ones and a queue of requests waiting for one;
 * a client-wide cap on connections, with the origins blocked by it waiting their turn.
 *
 * The pool only reacts to its connections' events (each route is its connections' owner): a
 * connection that read a response is `idle` (it may carry a request made while the finished
 * one settles), then `released` once that request is done: it goes to the next waiting request
 * of its route, or idles until its keep-alive timer (on the wheel) expires. A connection that
 * closes, for whatever reason, or is handed over by an upgrade, is `closed`: its slot is free
 * for whoever waits.
 *
 * A waiting request is bounded by its `connectTimeout`, which covers the wait and the connect
 * that follows it (see wait-queue.ts), and by its `timeout` deadline: past either, it leaves its
 * queue and fails with HTTPKIT_POOL_TIMEOUT. Its signal takes it out too (`cancelWait`).
 */
import type { HttpKitError, TimerWheel } from '@http-kit/core';
import { ClientClosedError, PoolTimeoutError } from './errors.js';
import { Connection, type ConnectionOwner } from './connection.js';
import type { Route } from './dial.js';
import type { ExchangeSink } from './exchange-sink.js';
import type { TlsOptions } from './options.js';
import { WaitQueue, type WaitTimeoutListener } from './wait-queue.js';

export interface PoolLimits {
  maxConnections: number;
  maxConnectionsPerHost: number;
}

/** One route's connections and waiting requests; the owner its connections report to. */
export class OriginPool implements Route, ConnectionOwner, WaitTimeoutListener<ExchangeSink> {
  readonly idle: Connection[] = [];
  /** Connections open or opening on this route. */
  count = 0;
  /** Requests waiting for a connection, oldest first. */
  readonly queue: WaitQueue<ExchangeSink>;
  /** Whether the route is in the pool's `blocked` list. */
  blocked = false;
  tlsSession: Buffer | undefined = undefined;
  readonly wheel: TimerWheel;

  constructor(
    private readonly pool: Pool,
    readonly key: string,
    readonly https: boolean,
    readonly host: string,
    readonly port: number,
    readonly servername: string,
    readonly insecure: boolean,
    /** Options for tls.connect (https only), or null. */
    readonly tls: TlsOptions | null,
    /** The proxy's host and port when the route goes through one. */
    readonly proxyHost: string,
    readonly proxyPort: number,
    /** `Proxy-Authorization` for the proxy, or null. */
    readonly proxyAuth: string | null,
    /** Requests are sent in absolute form (plain HTTP through a proxy). */
    readonly absoluteForm: boolean,
  ) {
    this.wheel = pool.wheel;
    this.queue = new WaitQueue<ExchangeSink>(pool.wheel, this);
  }

  // --- ConnectionOwner, WaitTimeoutListener: passed on to the pool, which sees every route ---

  connectionIdle(conn: Connection, keepaliveMs: number): void {
    this.pool.connectionIdle(this, conn, keepaliveMs);
  }

  connectionReleased(conn: Connection, keepaliveMs: number): void {
    this.pool.connectionReleased(this, conn, keepaliveMs);
  }

  connectionClosed(conn: Connection): void {
    this.pool.connectionClosed(this, conn);
  }

  waitTimedOut(request: ExchangeSink, budgetMs: number): void {
    this.pool.waitTimedOut(this, request, budgetMs);
  }

  waitCancelled(): void {
    this.pool.queueLeft(this);
  }
}

export class Pool {
  private readonly routes = new Map<string, OriginPool>();
  /** Routes with waiting requests that the client-wide cap keeps from connecting. */
  private blocked: OriginPool[] = [];
  private total = 0;
  /** close() was called: no new request, no connection kept idle. */
  isClosed = false;
  /** Identities of the TLS option objects in use, for the pool key (a WeakMap: they are the caller's). */
  private readonly tlsIds = new WeakMap<TlsOptions, number>();
  private nextTlsId = 0;

  constructor(
    private readonly limits: PoolLimits,
    readonly wheel: TimerWheel,
  ) {}

  /** Open connections (busy, idle or connecting), all routes together. */
  get size(): number {
    return this.total;
  }

  /** Sends `request` on an idle connection, a new one, or queues it. `fresh` skips idle connections (a retry). */
  dispatch(request: ExchangeSink, fresh = false): void {
    if (this.isClosed) {
      request.fail(new ClientClosedError(), false);
      return;
    }
    const route = this.route(request);
    if (!fresh) {
      const idle = route.idle;
      while (idle.length > 0) {
        const conn = idle.pop()!;
        if (conn.isIdle) {
          conn.send(request);
          return;
        }
      }
    }
    if (route.count < this.limits.maxConnectionsPerHost && (this.total < this.limits.maxConnections || this.evictIdle())) {
      this.connect(route, request, request.connectTimeout);
      return;
    }
    // Bounded by connectTimeout, and by the request's deadline when that comes first.
    route.queue.push(request, Math.min(request.connectTimeout, request.deadlineAt - performance.now()));
    if (route.count < this.limits.maxConnectionsPerHost && !route.blocked) {
      route.blocked = true;
      this.blocked.push(route);
    }
  }

  /** A request waited its whole connectTimeout, or until its deadline (it has left its queue): fails it. */
  waitTimedOut(route: OriginPool, request: ExchangeSink, budgetMs: number): void {
    this.queueLeft(route);
    // The wait was armed for the earlier of the two; on a tie (`timeout` alone sets both) the wait's own is named.
    const deadline = budgetMs < request.connectTimeout - 1;
    const limit =
      route.count >= this.limits.maxConnectionsPerHost
        ? `maxConnectionsPerHost (${this.limits.maxConnectionsPerHost}) connections to ${route.host}:${route.port} busy`
        : `maxConnections (${this.limits.maxConnections}) connections busy`;
    const within = deadline ? `${request.timeout} ms (timeout)` : `${request.connectTimeout} ms (${request.connectTimeoutName})`;
    request.fail(new PoolTimeoutError(`no connection for ${request.method} ${request.target.href} within ${within}: ${limit}`), false);
  }

  /** Takes a waiting request out of its queue and fails it with `error` (its signal was aborted). False when it was not waiting. */
  cancelWait(request: ExchangeSink, error: HttpKitError): boolean {
    if (request.waiter === null) return false;
    this.route(request).queue.cancel(request);
    request.fail(error, false);
    return true;
  }

  /** A request left `route`'s queue before its turn: the route may no longer be blocked, or needed. */
  queueLeft(route: OriginPool): void {
    if (route.queue.length > 0) return;
    if (route.blocked) {
      route.blocked = false;
      this.blocked.splice(this.blocked.indexOf(route), 1);
    }
    if (route.count === 0) this.routes.delete(route.key);
  }

  /**
   * A connection read a response and can carry another, while the request it served settles.
   * When nobody waits for it, it goes on the idle list at once, so that a request made meanwhile
   * (by that request's callback) reuses it; otherwise it is kept for the oldest waiting request
   * (see connectionReleased).
   */
  connectionIdle(route: OriginPool, conn: Connection, keepaliveMs: number): void {
    if (this.isClosed || keepaliveMs <= 0) {
      conn.destroy();
      return;
    }
    if (route.queue.length === 0 && this.blocked.length === 0) route.idle.push(conn);
  }

  /** The request a connection served has settled: the connection goes to the next waiting request, or idles for `keepaliveMs`. */
  connectionReleased(route: OriginPool, conn: Connection, keepaliveMs: number): void {
    // Taken meanwhile by a request made while the last one settled, or closed.
    if (!conn.isIdle) return;
    const idle = route.idle;
    // If `idle` put it on the list, it is still last: what was pushed after it has been popped first.
    const listed = idle.length > 0 && idle[idle.length - 1] === conn;
    const next = route.queue.shift();
    if (next !== null) {
      if (listed) idle.pop();
      conn.send(next.request);
      return;
    }
    if (this.blocked.length > 0) {
      // Another route waits for a slot under the client-wide cap: give it this one.
      conn.destroy();
      return;
    }
    conn.idleFor(keepaliveMs);
    if (!listed) idle.push(conn);
  }

  /** A connection closed (or failed to open, or was handed over by an upgrade): frees its slot for whoever waits. */
  connectionClosed(route: OriginPool, conn: Connection): void {
    this.total--;
    route.count--;
    const index = route.idle.lastIndexOf(conn);
    if (index !== -1) route.idle.splice(index, 1);
    if (this.isClosed) return;
    if (route.queue.length > 0 && route.count < this.limits.maxConnectionsPerHost && this.total < this.limits.maxConnections) {
      this.connectWaiting(route);
    }
    while (this.blocked.length > 0 && this.total < this.limits.maxConnections) {
      const waiting = this.blocked.shift()!;
      waiting.blocked = false;
      while (waiting.queue.length > 0 && waiting.count < this.limits.maxConnectionsPerHost && this.total < this.limits.maxConnections) {
        this.connectWaiting(waiting);
      }
      if (waiting.queue.length > 0 && waiting.count < this.limits.maxConnectionsPerHost) {
        waiting.blocked = true;
        this.blocked.push(waiting);
        break;
      }
    }
    if (route.count === 0 && route.queue.length === 0 && !route.blocked) this.routes.delete(route.key);
  }

  /** Destroys idle connections and refuses new requests; requests in flight finish, then their connections close. */
  close(): void {
    this.isClosed = true;
    for (const route of this.routes.values()) {
      for (const conn of route.idle.splice(0)) conn.destroy();
      let waiting: ReturnType<typeof route.queue.shift>;
      while ((waiting = route.queue.shift()) !== null) waiting.request.fail(new ClientClosedError(), false);
    }
  }

  /** Opens a connection for `request`; `connectMs` is what is left of its connectTimeout (all of it when it did not wait). */
  private connect(route: OriginPool, request: ExchangeSink, connectMs: number): void {
    this.total++;
    route.count++;
    new Connection(route, route, request, connectMs);
  }

  /** Opens a connection for the oldest waiting request of `route`. */
  private connectWaiting(route: OriginPool): void {
    const waiter = route.queue.shift()!;
    this.connect(route, waiter.request, waiter.left);
  }

  /** Closes one idle connection of any route to make room under the client-wide cap. */
  private evictIdle(): boolean {
    for (const route of this.routes.values()) {
      const conn = route.idle.shift();
      if (conn !== undefined) {
        // Closing frees its slot (through connectionClosed) before the caller connects.
        conn.destroy();
        return this.total < this.limits.maxConnections;
      }
    }
    return false;
  }

  private route(request: ExchangeSink): OriginPool {
    const target = request.target;
    const proxy = request.proxy;
    const insecure = request.insecure && target.https;
    const tlsOptions = target.https ? request.tls : null;
    let key = target.origin;
    if (proxy !== null) {
      key = (target.https ? 'tunnel ' : 'proxy ') + proxy.origin + (target.https ? ' ' + target.origin : '');
      if (proxy.auth !== null) key += ' ' + proxy.auth;
    }
    if (insecure) key += ' insecure';
    if (tlsOptions !== null) key += ' tls#' + this.tlsId(tlsOptions);
    let route = this.routes.get(key);
    if (route === undefined) {
      route = new OriginPool(
        this,
        key,
        target.https,
        target.hostname,
        target.port,
        target.servername,
        insecure,
        tlsOptions,
        proxy === null ? '' : proxy.hostname,
        proxy === null ? 0 : proxy.port,
        proxy === null ? null : proxy.auth,
        proxy !== null && !target.https,
      );
      this.routes.set(key, route);
    }
    return route;
  }

  /** A number naming one TLS options object (connections opened with another CA or certificate are not interchangeable). */
  private tlsId(options: TlsOptions): number {
    let id = this.tlsIds.get(options);
    if (id === undefined) this.tlsIds.set(options, (id = ++this.nextTlsId));
    return id;
  }
}
