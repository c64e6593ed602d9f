/**
 * errorHandler: what a handler that throws (or whose Promise rejects) answers. Without it the
 * server logs the error and answers a plain-text 500; a JSON API wants JSON, a site a page.
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import type { Handler, HandlerResult, Request } from '@http-kit/http1';
import type { Middleware } from './compose.js';

/**
 * Answers a failing handler with `onError(error, req)` (a response, or a Promise of one). If
 * `onError` throws in turn, the server's own logged 500 answers. Log the error inside `onError`
 * when it should be logged: it no longer reaches the server's errorLogger.
 *
 * @example
 * const app = compose(errorHandler((error, req) => {
 *   console.error(req.id, error);
 *   return { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal"}' };
 * }))(handler);
 */
export function errorHandler(onError: (error: unknown, req: Request) => HandlerResult | Promise<HandlerResult>): Middleware {
  if (typeof onError !== 'function')
    throw new InvalidArgumentError(`errorHandler: onError must be a function (error, req) => response, got ${describe(onError)}`);
  return (handler: Handler): Handler =>
    (req) => {
      let result: ReturnType<Handler>;
      try {
        result = handler(req);
      } catch (error) {
        return onError(error, req);
      }
      if (result !== null && typeof result === 'object' && typeof (result as Promise<HandlerResult>).then === 'function')
        return (result as Promise<HandlerResult>).then(undefined, (error: unknown) => onError(error, req));
      return result;
    };
}
