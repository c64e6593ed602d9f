/**
 * requestId: every request gets an id, the client's own when it sent a valid one (a proxy or a
 * caller tracing a request across services), else a fresh UUID; `req.id` holds it and the
 * response carries it back, channels' answers included.
 */
import { randomUUID } from 'node:crypto';
import { describe, InvalidArgumentError } from '@http-kit/core';
import { addResponseHook, type Handler, type Request, type Response, type ResponseHook } from '@http-kit/http1';
import { mapResponse, withHeaders } from './answers.js';
import type { Middleware } from './compose.js';
import { checkOptions, functionOption } from './options.js';

export interface RequestIdOptions {
  /** The request and response header (default `'x-request-id'`). */
  header?: string;
  /** Makes an id when the request has no valid one (default `crypto.randomUUID()`). */
  generate?: () => string;
}

/** An incoming id is taken only when it is 1 to 200 of these characters: no header tricks, no log injection. */
const VALID_ID = /^[A-Za-z0-9._:@+=/-]{1,200}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Sets `req.id` (the incoming id when valid, else a new UUID) and the same header on the response.
 *
 * @example
 * const app = compose(requestId())((req) => `your request is ${req.id}`);
 * // curl -i -H 'x-request-id: abc-1' ... -> x-request-id: abc-1
 */
export function requestId(options?: RequestIdOptions): Middleware {
  const opts = checkOptions('requestId', options, ['header', 'generate']);
  const header = opts.header ?? 'x-request-id';
  if (typeof header !== 'string' || !HEADER_NAME.test(header))
    throw new InvalidArgumentError(`requestId: header must be a header name in lower case, got ${describe(header)}`);
  const generate = functionOption('requestId', 'generate', opts.generate) ?? randomUUID;
  const stamp = (response: Response, req: Request): Response => withHeaders(response, { [header]: req.id });
  const hook: ResponseHook = { response: (response, _streaming, req) => stamp(response, req) };
  return (handler: Handler): Handler =>
    (req) => {
      const incoming = req.headers[header];
      req.id = incoming !== undefined && VALID_ID.test(incoming) ? incoming : generate();
      addResponseHook(req, hook);
      return mapResponse(handler(req), req, stamp);
    };
}
