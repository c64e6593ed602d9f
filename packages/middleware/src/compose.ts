/**
 * Middleware as in Ring: a function from a handler to a handler. `compose(a, b, c)(handler)` is
 * `a(b(c(handler)))`: `a` sees the request first and the response last.
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import type { Handler } from '@http-kit/http1';

/** A function from a handler to a handler, usually made by a factory that takes options. */
export type Middleware = (handler: Handler) => Handler;

/**
 * Composes middleware into one: the first sees the request first and the response last.
 *
 * @example
 * const app = compose(requestLogger(), requestId(), cors({ origins: ['https://app.example'] }))(handler);
 * await runServer(app, { port: 8080 });
 */
export function compose(...middleware: Middleware[]): Middleware {
  middleware.forEach((one, index) => {
    if (typeof one !== 'function') {
      throw new InvalidArgumentError(
        `compose: argument ${index + 1} must be a middleware (a function from a handler to a handler), got ${describe(one)}${
          one !== null && typeof one === 'object' ? ' (options? call the factory: cors({...}), not cors)' : ''
        }`,
      );
    }
  });
  return (handler: Handler): Handler => {
    if (typeof handler !== 'function') {
      const isRequest = handler !== null && typeof handler === 'object' && 'requestMethod' in (handler as object);
      throw new InvalidArgumentError(
        isRequest
          ? 'compose(...) made a middleware, and the server called it with a request: give runServer compose(...)(handler), not compose(...)'
          : `compose(...): the handler must be a function, got ${describe(handler)}`,
      );
    }
    let wrapped = handler;
    for (let i = middleware.length - 1; i >= 0; i--) {
      const next = middleware[i](wrapped);
      if (typeof next !== 'function') {
        throw new InvalidArgumentError(
          `compose: middleware ${i + 1} returned ${describe(next)} instead of a handler; a middleware is (handler) => (req) => response (a factory such as cors() must be called)`,
        );
      }
      wrapped = next;
    }
    return wrapped;
  };
}
