/**
 * `@http-kit/middleware`: Ring-style middleware for the http-kit server. A middleware is a
 * function from a handler to a handler; `compose(a, b, c)(handler)` lets `a` see the request
 * first and the response last. A package of its own so that a server that needs none of it
 * loads none of it (zlib, the multipart parser, diagnostics).
 */
import './request-fields.js';

export { compose } from './compose.js';
export type { Middleware } from './compose.js';
export { randomRequestId, requestId } from './request-id.js';
export type { RequestIdOptions } from './request-id.js';
export { cors } from './cors.js';
export type { CorsOptions } from './cors.js';
export { trustProxy } from './trust-proxy.js';
export type { TrustProxyOptions } from './trust-proxy.js';
export { errorHandler } from './error-handler.js';
export { formParams, parseForm } from './form-params.js';
export type { FormParamsOptions } from './form-params.js';
export { compress, negotiateEncoding } from './compress.js';
export type { CompressOptions, Encoding } from './compress.js';
export { multipart, MultipartError } from './multipart.js';
export type { MultipartOptions, MultipartFile, MultipartPart } from './multipart.js';
export { requestLogger } from './request-logger.js';
export type { RequestLoggerOptions, LogFormat } from './request-logger.js';
export { stopOnSignals } from './graceful-stop.js';
export type { StopOnSignalsOptions } from './graceful-stop.js';
