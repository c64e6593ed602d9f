/**
 * The client: a pool of keep-alive connections and the request functions over it. Every
 * request function returns a Promise that resolves — never rejects — to the response, or to
 * `{opts, error}` when no response could be had.
 */
import { defaultWheel, describe, InvalidArgumentError, positiveOption, unknownOptions, type TimerWheel } from '@http-kit/core';
import { Exchange } from './exchange.js';
import {
  KNOWN_DEFAULT_OPTIONS,
  prepare,
  REQUEST_HABITS,
  type AnyBody,
  type BodyFor,
  type CallbackFailure,
  type HttpResult,
  type RequestDefaults,
  type RequestOptions,
  type ResponseAs,
} from './options.js';
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
  ...KNOWN_DEFAULT_OPTIONS,
};

/** Options of a shorthand (`get`, `post`...): the URL and method come from the call. */
export type ShorthandOptions = Omit<RequestOptions, 'url' | 'method'>;

/**
 * A callback given to a request function: it gets the result (its body typed by the call's
 * `as`), and the request function resolves to what it returns.
 */
export type Callback<T, B = AnyBody> = (result: HttpResult<B>) => T | PromiseLike<T>;

/** Options whose `as` is `A`: a literal `as` in a call narrows the body's type (BodyFor). */
export type OptionsAs<O, A> = O & { as?: A };

/** What `as` may be in a call: one of ResponseAs, or none. */
type AsArg = ResponseAs | undefined;

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
  request<A extends AsArg = AsArg>(options: OptionsAs<RequestOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  request<T, A extends AsArg = AsArg>(
    options: OptionsAs<RequestOptions, A>,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
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
  get<A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  get<T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
  get(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('GET', url, options, callback);
  }

  /** POST to `url`. @example await client.post(url, { formParams: { a: 1 } }); */
  post<A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  post<T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
  post(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('POST', url, options, callback);
  }

  /** PUT to `url`. @example await client.put(url, { body: 'text' }); */
  put<A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  put<T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
  put(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('PUT', url, options, callback);
  }

  /** PATCH `url`. @example await client.patch(url, { body: '{"a":1}' }); */
  patch<A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  patch<T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
  patch(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('PATCH', url, options, callback);
  }

  /** DELETE `url`. @example await client.delete(url); */
  delete<A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  delete<T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
  delete(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('DELETE', url, options, callback);
  }

  /** HEAD `url`: the response has headers and an empty body. @example (await client.head(url)).headers */
  head<A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  head<T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
  head(url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>): Promise<unknown> {
    return this.shorthand('HEAD', url, options, callback);
  }

  /** OPTIONS `url`. @example (await client.options(url)).headers.allow */
  options<A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  options<T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
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
