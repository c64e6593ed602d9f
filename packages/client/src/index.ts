/**
 * @http-kit/client: a keep-alive HTTP/1.1 client whose promises never reject.
 *
 * @example
 * import { get } from '@http-kit/client';
 * const res = await get('http://127.0.0.1:8080/', { timeout: 2_000 });
 * if (res.error) console.error(res.error.code);
 * else console.log(res.status, res.headers['content-type'], res.body);
 */
import { HttpClient, type Callback, type OptionsAs, type ShorthandOptions } from './client.js';
import type { BodyFor, CallbackFailure, HttpResult, RequestOptions, ResponseAs } from './options.js';

export { HttpClient, createClient } from './client.js';
export type { ClientOptions, Callback, ShorthandOptions, OptionsAs } from './client.js';
export type {
  RequestOptions,
  RequestDefaults,
  TlsOptions,
  HttpResult,
  HttpResponse,
  HttpUpgrade,
  HttpFailure,
  CallbackFailure,
  BodyFor,
  BodyByAs,
  AnyBody,
  ClientErrorCode,
  BodyInput,
  ResponseAs,
  ParamValue,
  MultipartPart,
} from './options.js';
export {
  InvalidRequestError,
  ConnectError,
  ConnectTimeoutError,
  TlsError,
  TimeoutError,
  PoolTimeoutError,
  BadResponseError,
  HeadersTooLargeError,
  BodyTooLargeError,
  ConnectionClosedError,
  TooManyRedirectsError,
  RequestBodyError,
  ClientClosedError,
  ProxyError,
  AbortedError,
  BadJsonError,
} from './errors.js';
/** The base of every error above (and of the other packages'): `instanceof HttpKitError` holds across copies of the package. */
export { HttpKitError } from '@http-kit/core';

let shared: HttpClient | null = null;

/** The client the module-level functions use (created on first use). */
export function defaultClient(): HttpClient {
  return (shared ??= new HttpClient());
}

/**
 * Sends a request with the default client.
 *
 * @example
 * const res = await request({ url: 'http://127.0.0.1:8080/upload', method: 'PUT', body: fs.createReadStream('f') });
 */
export function request<A extends AsArg = AsArg>(options: OptionsAs<RequestOptions, A>): Promise<HttpResult<BodyFor<A>>>;
export function request<T, A extends AsArg = AsArg>(
  options: OptionsAs<RequestOptions, A>,
  callback: Callback<T, BodyFor<A>>,
): Promise<T | CallbackFailure>;
export function request(options: RequestOptions, callback?: Callback<unknown>): Promise<unknown> {
  return callback === undefined ? defaultClient().request(options) : defaultClient().request(options, callback);
}

type AsArg = ResponseAs | undefined;

/** A shorthand request function (`get`, `post`...): a literal `as` narrows the body's type; a callback types the result. */
export type Shorthand = {
  <A extends AsArg = AsArg>(url: string | URL, options?: OptionsAs<ShorthandOptions, A>): Promise<HttpResult<BodyFor<A>>>;
  <T, A extends AsArg = AsArg>(
    url: string | URL,
    options: OptionsAs<ShorthandOptions, A> | undefined,
    callback: Callback<T, BodyFor<A>>,
  ): Promise<T | CallbackFailure>;
};

/**
 * GET with the default client.
 *
 * @example
 * const { status, body } = await get('http://127.0.0.1:8080/', { as: 'text' });
 * await get('http://127.0.0.1:8080/', undefined, ({ status }) => console.log(status));
 */
export const get: Shorthand = ((url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>) =>
  defaultClient().get(url, options, callback as Callback<unknown>)) as Shorthand;
/** POST with the default client. @example await post(url, { formParams: { name: 'x' } }); */
export const post: Shorthand = ((url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>) =>
  defaultClient().post(url, options, callback as Callback<unknown>)) as Shorthand;
/** PUT with the default client. @example await put(url, { body: Buffer.from('data') }); */
export const put: Shorthand = ((url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>) =>
  defaultClient().put(url, options, callback as Callback<unknown>)) as Shorthand;
/** PATCH with the default client. @example await patch(url, { body: '{"a":1}' }); */
export const patch: Shorthand = ((url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>) =>
  defaultClient().patch(url, options, callback as Callback<unknown>)) as Shorthand;
/** DELETE with the default client (`del`, also exported as `delete`). @example await del(url); */
export const del: Shorthand = ((url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>) =>
  defaultClient().delete(url, options, callback as Callback<unknown>)) as Shorthand;
/** HEAD with the default client. @example (await head(url)).headers['content-length'] */
export const head: Shorthand = ((url: string | URL, options?: ShorthandOptions, callback?: Callback<unknown>) =>
  defaultClient().head(url, options, callback as Callback<unknown>)) as Shorthand;
/** OPTIONS with the default client. @example (await options(url)).headers.allow */
export const options: Shorthand = ((url: string | URL, opts?: ShorthandOptions, callback?: Callback<unknown>) =>
  defaultClient().options(url, opts, callback as Callback<unknown>)) as Shorthand;
export { del as delete };
