/**
 * The client: a pool of keep-alive connections and the request functions over it. Every
 * request function returns a Promise that resolves — never rejects — to the response, or to
 * `{opts, error}` when no response could be had.
 */
import { defaultWheel, describe, InvalidArgumentError, positiveOption, unknownOptions, type TimerWheel } from '@http-kit/core';
import { Exchange } from './exchange.js';
import { prepare, REQUEST_HABITS, type HttpResult, type RequestDefaults, type RequestOptions } from './options.js';
import { Pool } from './pool.js';
import { TargetCache } from './target.js';

export interface ClientOptions extends RequestDefaults {
  /** Connections open at once, all origins together. Default: no limit. */
  maxConnections?: number;
  /** Connections open at once to one origin; more requests wait for one to free up (for at most their connectTimeout, then HTTPKIT_POOL_TIMEOUT). Default 256. */
  maxConnectionsPerHost?: number;
  /** The timer wheel for timeouts and keep-alive expiry. Default: the shared one. */
  wheel?: TimerWheel;
}

/** Every option createClient takes (the request defaults and the pool's own); the compiler keeps it whole. */
const KNOWN_CLIENT_OPTIONS: Record<keyof ClientOptions, true> = {
  maxConnections: true,
  maxConnectionsPerHost: true,
  wheel: true,
  as: true,
  followRedirects: true,
  maxRedirects: true,
  insecure: true,
  tls: true,
  proxy: true,
  userAgent: true,
  timeout: true,
  connectTimeout: true,
  idleTimeout: true,
  keepalive: true,
  maxBody: true,
  maxHeaderSize: true,
};

/** Options of a shorthand (`get`, `post`...): the URL and method come from the call. */
export type ShorthandOptions = Omit<RequestOptions, 'url' | 'method'>;

/** What a request function resolves to: the result, or the callback's return value when a callback is given. */
export type Callback<T> = (result: HttpResult) => T | PromiseLike<T>;

export class HttpClient {
  private readonly pool: Pool;
  private readonly defaults: RequestDefaults;
  private readonly targets = new TargetCache();
  private readonly proxies = new TargetCache();

  /** Throws InvalidArgumentError (from @http-kit/core) for a limit that is not a positive number. */
  constructor(options: ClientOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`createClient: options must be an object, got ${describe(options)}`);
    const unknown = unknownOptions('createClient', options, KNOWN_CLIENT_OPTIONS, REQUEST_HABITS);
    if (unknown !== null) throw new InvalidArgumentError(unknown);
    this.defaults = options;
    this.pool = new Pool(
      {
        maxConnections: positiveOption('createClient', 'maxConnections', options.maxConnections, Infinity, true),
        maxConnectionsPerHost: positiveOption('createClient', 'maxConnectionsPerHost', options.maxConnectionsPerHost, 256, true),
      },
      options.wheel ?? defaultWheel,
    );
  }

  /** Open connections (busy, idle or connecting). */
  get connections(): number {
    return this.pool.size;
  }

  /**
   * Sends a request. Resolves to `{opts, status, headers, body, url}`, or `{opts, error}`.
   *
   * @example
   * const res = await client.request({ url: 'http://127.0.0.1:8080/items', method: 'POST', body: JSON.stringify(item),
   *   headers: { 'content-type': 'application/json' } });
   * if (res.error) console.error(res.error.code, res.error.message);
   * else console.log(res.status, res.body);
   */
  request(options: RequestOptions): Promise<HttpResult>;
  request<T>(options: RequestOptions, callback: Callback<T>): Promise<T | HttpResult>;
  request(options: RequestOptions, callback?: Callback<unknown>): Promise<unknown> {
    const exchange = new Exchange(this.pool, options, callback ?? null);
    const promise = new Promise<unknown>((resolve) => {
      exchange.resolve = resolve;
    });
    try {
      prepare(exchange, options, this.defaults, this.targets, this.proxies);
    } catch (error) {
      exchange.settle({ opts: options, error: error as Error });
      return promise;
    }
    exchange.dispatch();
    return promise;
  }

  /**
   * GET `url`.
   *
   * @example
   * const { status, body } = await client.get('http://127.0.0.1:8080/', { queryParams: { q: 'x' } });
   */
  get(url: string | URL, options?: ShorthandOptions): Promise<HttpResult>;
  get<T>(url: string | URL, options: ShorthandOptions | undefined, callback: Callback<T>): Promise<T | HttpResult>;
  get(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('GET', url, options, callback);
  }

  /** POST to `url`. @example await client.post(url, { formParams: { a: 1 } }); */
  post(url: string | URL, options?: ShorthandOptions): Promise<HttpResult>;
  post<T>(url: string | URL, options: ShorthandOptions | undefined, callback: Callback<T>): Promise<T | HttpResult>;
  post(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('POST', url, options, callback);
  }

  /** PUT to `url`. @example await client.put(url, { body: 'text' }); */
  put(url: string | URL, options?: ShorthandOptions): Promise<HttpResult>;
  put<T>(url: string | URL, options: ShorthandOptions | undefined, callback: Callback<T>): Promise<T | HttpResult>;
  put(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('PUT', url, options, callback);
  }

  /** PATCH `url`. @example await client.patch(url, { body: '{"a":1}' }); */
  patch(url: string | URL, options?: ShorthandOptions): Promise<HttpResult>;
  patch<T>(url: string | URL, options: ShorthandOptions | undefined, callback: Callback<T>): Promise<T | HttpResult>;
  patch(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('PATCH', url, options, callback);
  }

  /** DELETE `url`. @example await client.delete(url); */
  delete(url: string | URL, options?: ShorthandOptions): Promise<HttpResult>;
  delete<T>(url: string | URL, options: ShorthandOptions | undefined, callback: Callback<T>): Promise<T | HttpResult>;
  delete(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('DELETE', url, options, callback);
  }

  /** HEAD `url`: the response has headers and an empty body. @example (await client.head(url)).headers */
  head(url: string | URL, options?: ShorthandOptions): Promise<HttpResult>;
  head<T>(url: string | URL, options: ShorthandOptions | undefined, callback: Callback<T>): Promise<T | HttpResult>;
  head(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('HEAD', url, options, callback);
  }

  /** OPTIONS `url`. @example (await client.options(url)).headers.allow */
  options(url: string | URL, options?: ShorthandOptions): Promise<HttpResult>;
  options<T>(url: string | URL, options: ShorthandOptions | undefined, callback: Callback<T>): Promise<T | HttpResult>;
  options(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('OPTIONS', url, options, callback);
  }

  /**
   * Destroys the idle connections and fails requests still waiting for one (HTTPKIT_CLIENT_CLOSED);
   * requests in flight finish, then their connections close.
   *
   * @example
   * const client = createClient();
   * try { await client.get(url); } finally { client.close(); }
   */
  close(): void {
    this.pool.close();
  }

  private shorthand(
    method: string,
    url: string | URL,
    options: ShorthandOptions | undefined,
    callback: Callback<unknown> | undefined,
  ): Promise<unknown> {
    const opts: RequestOptions = options === undefined || options === null ? { url, method } : { ...options, url, method };
    return callback === undefined ? this.request(opts) : this.request(opts, callback);
  }
}

/**
 * A client with a pool of its own.
 *
 * @example
 * const client = createClient({ maxConnectionsPerHost: 16, timeout: 5_000 });
 * const res = await client.get('http://127.0.0.1:8080/');
 * client.close();
 */
export function createClient(options?: ClientOptions): HttpClient {
  return new HttpClient(options);
}
