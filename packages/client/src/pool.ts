/**
 * The keep-alive pool: per route (origin, or proxy + origin), the idle connections (most
 * recently used first out), a count of open ones and a queue of requests waiting for one;
 * a client-wide cap on connections, with the origins blocked by it waiting their turn.
 *
 * A connection that finished a response comes back through `release`: it goes to the next
 * waiting request of its route, or idles until its keep-alive timer (on the wheel) expires.
 * A connection that closes, for whatever reason, leaves through `closed`, which frees its slot
 * for whoever waits.
 *
 * A waiting request is bounded by its `connectTimeout`, which covers the wait and the connect
 * that follows it: a timer on the wheel (created and armed only when a request actually waits)
 * takes it out of its queue and fails it with HTTPKIT_POOL_TIMEOUT. The queue is an intrusive
 * list through the exchanges, so that removal is O(1) and allocates nothing.
 */
import { Timer, type TimerWheel } from '@http-kit/core';
import { ClientClosedError, PoolTimeoutError } from './errors.js';
import type { Exchange } from './exchange.js';
import { Connection, type Route } from './connection.js';
import type { TlsOptions } from './options.js';

export interface PoolLimits {
  maxConnections: number;
  maxConnectionsPerHost: number;
}

/** One route's connections and waiting requests. */
export class OriginPool implements Route {
  readonly idle: Connection[] = [];
  /** Connections open or opening on this route. */
  count = 0;
  /** Requests waiting for a connection, oldest first (linked through `Exchange.nextWaiting`). */
  private head: Exchange | null = null;
  private tail: Exchange | null = null;
  waiting = 0;
  /** Whether the route is in the pool's `blocked` list. */
  blocked = false;
  tlsSession: Buffer | undefined = undefined;

  constructor(
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
  ) {}

  enqueue(exchange: Exchange): void {
    exchange.waitingOn = this;
    exchange.prevWaiting = this.tail;
    exchange.nextWaiting = null;
    if (this.tail === null) this.head = exchange;
    else this.tail.nextWaiting = exchange;
    this.tail = exchange;
    this.waiting++;
  }

  /** Takes the oldest waiting request off the queue (its wait timer is still armed: see Exchange.leaveQueue). */
  dequeue(): Exchange | undefined {
    const exchange = this.head;
    if (exchange === null) return undefined;
    this.remove(exchange);
    return exchange;
  }

  /** Unlinks `exchange`, which waits in this queue. */
  remove(exchange: Exchange): void {
    const prev = exchange.prevWaiting;
    const next = exchange.nextWaiting;
    if (prev === null) this.head = next;
    else prev.nextWaiting = next;
    if (next === null) this.tail = prev;
    else next.prevWaiting = prev;
    exchange.prevWaiting = exchange.nextWaiting = null;
    exchange.waitingOn = null;
    this.waiting--;
  }
}

function onWaitTimeout(exchange: Exchange): void {
  exchange.waitTimedOut();
}

export class Pool {
  private readonly routes = new Map<string, OriginPool>();
  /** Routes with waiting requests that the client-wide cap keeps from connecting. */
  private blocked: OriginPool[] = [];
  private total = 0;
  closed = false;
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

  /** Sends `exchange` on an idle connection, a new one, or queues it. `fresh` skips idle connections (a retry). */
  dispatch(exchange: Exchange, fresh = false): void {
    if (this.closed) {
      exchange.fail(new ClientClosedError(), false);
      return;
    }
    const route = this.route(exchange);
    if (!fresh) {
      const idle = route.idle;
      while (idle.length > 0) {
        const conn = idle.pop()!;
        if (conn.isIdle) {
          conn.send(exchange);
          return;
        }
      }
    }
    if (route.count < this.limits.maxConnectionsPerHost && (this.total < this.limits.maxConnections || this.evictIdle())) {
      this.connect(route, exchange);
      return;
    }
    route.enqueue(exchange);
    const timer = (exchange.waitTimer ??= new Timer<Exchange>(onWaitTimeout, exchange));
    this.wheel.schedule(timer, exchange.connectTimeout);
    if (route.count < this.limits.maxConnectionsPerHost && !route.blocked) {
      route.blocked = true;
      this.blocked.push(route);
    }
  }

  /** Takes a request whose wait timed out out of its queue, and fails it. */
  abandonWait(exchange: Exchange): void {
    const route = exchange.waitingOn;
    if (route === null) return;
    route.remove(exchange);
    if (route.waiting === 0) {
      if (route.blocked) {
        route.blocked = false;
        this.blocked.splice(this.blocked.indexOf(route), 1);
      }
      if (route.count === 0) this.routes.delete(route.key);
    }
    const limit = route.count >= this.limits.maxConnectionsPerHost
      ? `maxConnectionsPerHost (${this.limits.maxConnectionsPerHost}) connections to ${route.host}:${route.port} busy`
      : `maxConnections (${this.limits.maxConnections}) connections busy`;
    exchange.fail(new PoolTimeoutError(`no connection for ${exchange.method} ${exchange.target.href} within ${exchange.connectTimeout} ms (connectTimeout): ${limit}`), false);
  }

  /** A connection finished a response and may carry another; `keepaliveMs` is how long it may idle. */
  release(conn: Connection, keepaliveMs: number): void {
    const route = conn.route as OriginPool;
    if (this.closed || keepaliveMs <= 0) {
      conn.destroy();
      return;
    }
    const next = route.dequeue();
    if (next !== undefined) {
      next.leaveQueue();
      conn.send(next);
      return;
    }
    if (this.blocked.length > 0) {
      // Another route waits for a slot under the client-wide cap: give it this one.
      conn.destroy();
      return;
    }
    conn.idleFor(keepaliveMs);
    route.idle.push(conn);
  }

  /** A connection closed (or failed to open): frees its slot for whoever waits. */
  onClosed(conn: Connection): void {
    const route = conn.route as OriginPool;
    this.total--;
    route.count--;
    const index = route.idle.indexOf(conn);
    if (index !== -1) route.idle.splice(index, 1);
    if (this.closed) return;
    if (route.waiting > 0 && route.count < this.limits.maxConnectionsPerHost && this.total < this.limits.maxConnections) {
      this.connect(route, route.dequeue()!);
    }
    while (this.blocked.length > 0 && this.total < this.limits.maxConnections) {
      const waiting = this.blocked.shift()!;
      waiting.blocked = false;
      while (waiting.waiting > 0 && waiting.count < this.limits.maxConnectionsPerHost && this.total < this.limits.maxConnections) {
        this.connect(waiting, waiting.dequeue()!);
      }
      if (waiting.waiting > 0 && waiting.count < this.limits.maxConnectionsPerHost) {
        waiting.blocked = true;
        this.blocked.push(waiting);
        break;
      }
    }
    if (route.count === 0 && route.waiting === 0 && !route.blocked) this.routes.delete(route.key);
  }

  /** Destroys idle connections and refuses new requests; requests in flight finish, then their connections close. */
  close(): void {
    this.closed = true;
    for (const route of this.routes.values()) {
      for (const conn of route.idle.splice(0)) conn.destroy();
      let waiting: Exchange | undefined;
      while ((waiting = route.dequeue()) !== undefined) {
        waiting.leaveQueue();
        waiting.fail(new ClientClosedError(), false);
      }
    }
  }

  private connect(route: OriginPool, exchange: Exchange): void {
    this.total++;
    route.count++;
    // What is left of connectTimeout after the wait (all of it when the request did not wait).
    new Connection(this, route, exchange, exchange.leaveQueue());
  }

  /** Closes one idle connection of any route to make room under the client-wide cap. */
  private evictIdle(): boolean {
    for (const route of this.routes.values()) {
      const conn = route.idle.shift();
      if (conn !== undefined) {
        // Closing frees its slot (through onClosed) before the caller connects.
        conn.destroy();
        return this.total < this.limits.maxConnections;
      }
    }
    return false;
  }

  private route(exchange: Exchange): OriginPool {
    const target = exchange.target;
    const proxy = exchange.proxy;
    const insecure = exchange.insecure && target.https;
    const tlsOptions = target.https ? exchange.tls : null;
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
        key, target.https, target.hostname, target.port, target.servername, insecure, tlsOptions,
        proxy === null ? '' : proxy.hostname, proxy === null ? 0 : proxy.port, proxy === null ? null : proxy.auth,
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
