/**
 * The keep-alive pool: per route (origin, or proxy + origin), the idle connections (most
 * recently used first out), a count of open ones and a queue of requests waiting for one;
 * a client-wide cap on connections, with the origins blocked by it waiting their turn.
 *
 * A connection that finished a response comes back through `release`: it goes to the next
 * waiting request of its route, or idles until its keep-alive timer (on the wheel) expires.
 * A connection that closes, for whatever reason, leaves through `closed`, which frees its slot
 * for whoever waits.
 */
import type { TimerWheel } from '@http-kit/core';
import { ClientClosedError } from './errors.js';
import type { Exchange } from './exchange.js';
import { Connection, type Route } from './connection.js';

export interface PoolLimits {
  maxConnections: number;
  maxConnectionsPerHost: number;
}

/** One route's connections and waiting requests. */
export class OriginPool implements Route {
  readonly idle: Connection[] = [];
  /** Connections open or opening on this route. */
  count = 0;
  private queue: Exchange[] = [];
  private queueHead = 0;
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
    /** The proxy's host and port when the route goes through one. */
    readonly proxyHost: string,
    readonly proxyPort: number,
    /** `Proxy-Authorization` for the proxy, or null. */
    readonly proxyAuth: string | null,
    /** Requests are sent in absolute form (plain HTTP through a proxy). */
    readonly absoluteForm: boolean,
  ) {}

  get waiting(): number {
    return this.queue.length - this.queueHead;
  }

  enqueue(exchange: Exchange): void {
    this.queue.push(exchange);
  }

  dequeue(): Exchange | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const exchange = this.queue[this.queueHead];
    this.queue[this.queueHead++] = undefined as unknown as Exchange;
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    return exchange;
  }
}

export class Pool {
  private readonly routes = new Map<string, OriginPool>();
  /** Routes with waiting requests that the client-wide cap keeps from connecting. */
  private blocked: OriginPool[] = [];
  private total = 0;
  closed = false;

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
    if (route.count < this.limits.maxConnectionsPerHost && !route.blocked) {
      route.blocked = true;
      this.blocked.push(route);
    }
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
      while ((waiting = route.dequeue()) !== undefined) waiting.fail(new ClientClosedError(), false);
    }
  }

  private connect(route: OriginPool, exchange: Exchange): void {
    this.total++;
    route.count++;
    new Connection(this, route, exchange);
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
    let key = target.origin;
    if (proxy !== null) {
      key = (target.https ? 'tunnel ' : 'proxy ') + proxy.origin + (target.https ? ' ' + target.origin : '');
      if (proxy.auth !== null) key += ' ' + proxy.auth;
    }
    if (insecure) key += ' insecure';
    let route = this.routes.get(key);
    if (route === undefined) {
      route = new OriginPool(
        key, target.https, target.hostname, target.port, target.servername, insecure,
        proxy === null ? '' : proxy.hostname, proxy === null ? 0 : proxy.port, proxy === null ? null : proxy.auth,
        proxy !== null && !target.https,
      );
      this.routes.set(key, route);
    }
    return route;
  }
}
