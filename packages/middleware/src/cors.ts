/**
 * cors: Cross-Origin Resource Sharing. A preflight `OPTIONS` from an allowed origin is answered
 * 204 with what may be sent; other requests from an allowed origin get `Access-Control-Allow-Origin`
 * (and credentials, exposed headers) on their answer, channels' answers (SSE) included. An origin
 * not allowed gets no `Access-Control-*` header at all, so the browser refuses it.
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import { addResponseHook, type Handler, type Request, type Response, type ResponseHook } from '@http-kit/http1';
import { headersToEdit, mapResponse, varyWith, withHeader } from './answers.js';
import type { Middleware } from './compose.js';
import { checkOptions } from './options.js';

export interface CorsOptions {
  /**
   * The origins allowed: `'*'` (any, the default), a list of exact origins
   * (`'https://app.example'`), or a function `(origin, req) => boolean`.
   */
  origins?: '*' | readonly string[] | ((origin: string, req: Request) => boolean);
  /** Methods a preflight allows (default GET, HEAD, PUT, PATCH, POST, DELETE). */
  methods?: readonly string[];
  /** Request headers a preflight allows (default: those the preflight asks for). */
  headers?: readonly string[];
  /** Let the browser send cookies and read the answer with them (default false). */
  credentials?: boolean;
  /** How long a browser may cache a preflight's answer, seconds (default 600; 0 sends no Access-Control-Max-Age). */
  maxAge?: number;
  /** Response headers the page may read besides the safelisted ones (default none). */
  exposeHeaders?: readonly string[];
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];
/** The headers an allowed origin's answer gets from cors (any the program wrote in another case give way). */
const MARKED = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];
/** The same with Vary, for answers that vary by Origin. */
const MARKED_VARY = ['vary', ...MARKED];

function stringList(name: string, value: readonly string[] | undefined, fallback: readonly string[] | null): readonly string[] | null {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '' || /[\r\n,]/.test(item)))
    throw new InvalidArgumentError(`cors: ${name} must be an array of non-empty names, got ${describe(value)}`);
  return value;
}

/**
 * Answers CORS preflights and marks allowed cross-origin answers.
 *
 * @example
 * const app = compose(cors({ origins: ['https://app.example'], credentials: true, maxAge: 3600 }))(handler);
 */
export function cors(options?: CorsOptions): Middleware {
  const opts = checkOptions('cors', options, ['origins', 'methods', 'headers', 'credentials', 'maxAge', 'exposeHeaders']);
  const origins = opts.origins ?? '*';
  let allowed: (origin: string, req: Request) => boolean;
  if (origins === '*') allowed = () => true;
  else if (typeof origins === 'function') allowed = origins;
  else if (Array.isArray(origins) && origins.every((origin) => typeof origin === 'string')) {
    for (const origin of origins) {
      if (origin === '*' || origin.endsWith('/') || !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(origin))
        throw new InvalidArgumentError(
          `cors: each of origins must be scheme://host[:port] with no path, got ${JSON.stringify(origin)} (for any origin pass origins: '*')`,
        );
    }
    const list = origins.map((origin) => origin.toLowerCase());
    const set = new Set(list);
    // Browsers send the origin in lower case: then it is compared as it came, with no copy made.
    // A few origins are compared one by one: a fresh string's hash for the set costs more.
    const exact =
      list.length <= 8
        ? (origin: string) => {
            for (let i = 0; i < list.length; i++) if (list[i] === origin) return true;
            return false;
          }
        : (origin: string) => set.has(origin);
    allowed = (origin) => exact(origin) || set.has(origin.toLowerCase());
  } else {
    throw new InvalidArgumentError(`cors: origins must be '*', an array of origins or a function, got ${describe(origins)}`);
  }
  const methods = stringList('methods', opts.methods, DEFAULT_METHODS)!.join(', ');
  const allowHeaders = stringList('headers', opts.headers, null)?.join(', ') ?? null;
  const exposeHeaders = stringList('exposeHeaders', opts.exposeHeaders, [])!.join(', ');
  if (opts.credentials !== undefined && typeof opts.credentials !== 'boolean')
    throw new InvalidArgumentError(`cors: credentials must be true or false, got ${describe(opts.credentials)}`);
  const credentials = opts.credentials === true;
  const maxAge = opts.maxAge ?? 600;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0)
    throw new InvalidArgumentError(`cors: maxAge must be whole seconds (0 or more), got ${describe(maxAge)}`);
  // With any origin and no credentials the answer does not depend on Origin: '*' and no Vary.
  const literalStar = origins === '*' && !credentials;

  /** The CORS headers for an answer to `req` (not a preflight). */
  const mark = (response: Response, req: Request): Response => {
    const origin = req.headers.origin;
    const vary = literalStar ? undefined : varyWith(response.headers, 'Origin');
    if (origin === undefined || !allowed(origin, req)) return vary === undefined ? response : withHeader(response, 'vary', vary);
    // The program's own Vary stays as it is when the answer does not vary by Origin ('*').
    const headers = headersToEdit(response.headers, vary === undefined ? MARKED : MARKED_VARY);
    if (vary !== undefined) headers.vary = vary;
    headers['access-control-allow-origin'] = literalStar ? '*' : origin;
    if (credentials) headers['access-control-allow-credentials'] = 'true';
    else if (headers['access-control-allow-credentials'] !== undefined) delete headers['access-control-allow-credentials'];
    if (exposeHeaders !== '') headers['access-control-expose-headers'] = exposeHeaders;
    else if (headers['access-control-expose-headers'] !== undefined) delete headers['access-control-expose-headers'];
    return { status: response.status ?? 200, headers, body: response.body };
  };
  const hook: ResponseHook = { response: (response, _streaming, req) => mark(response, req) };

  const preflight = (req: Request, origin: string): Response => {
    const headers: Record<string, string> = {};
    if (!literalStar) headers.vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
    if (!allowed(origin, req)) return { status: 204, headers };
    headers['access-control-allow-origin'] = literalStar ? '*' : origin;
    headers['access-control-allow-methods'] = methods;
    const asked = req.headers['access-control-request-headers'];
    const allowedHeaders = allowHeaders ?? asked;
    if (allowedHeaders !== undefined && allowedHeaders !== '') headers['access-control-allow-headers'] = allowedHeaders;
    if (allowHeaders === null && headers.vary === undefined) headers.vary = 'Access-Control-Request-Headers';
    if (credentials) headers['access-control-allow-credentials'] = 'true';
    if (maxAge > 0) headers['access-control-max-age'] = String(maxAge);
    return { status: 204, headers };
  };

  return (handler: Handler): Handler =>
    (req) => {
      const origin = req.headers.origin;
      if (req.requestMethod === 'options' && origin !== undefined && req.headers['access-control-request-method'] !== undefined)
        return preflight(req, origin);
      addResponseHook(req, hook);
      return mapResponse(handler(req), req, mark);
    };
}
