/**
 * Timeouts and size limits: the options that bound a request, their defaults, and their
 * checks. A value that cannot be one is refused with the client's own error (it becomes
 * `result.error`, HTTPKIT_INVALID_REQUEST), naming the option and the value.
 */
import { describe } from '@http-kit/core';
import { InvalidRequestError } from './errors.js';

/** The options that bound a request in time and size: given per request, or as a client's defaults. */
export interface RequestLimits {
  /**
   * The deadline (ms) for the whole exchange: waiting for a pool slot, connecting, sending,
   * the head, the body — a streamed body until its last byte is read — the trailers, every
   * redirect and the retry. Past it the request fails (a streamed body is destroyed) with the
   * error of the part it cut: HTTPKIT_POOL_TIMEOUT, HTTPKIT_CONNECT_TIMEOUT or HTTPKIT_TIMEOUT.
   * Also the default of `connectTimeout` and `idleTimeout`. `Infinity` for none (a stream meant
   * to last: bound it with `idleTimeout` instead). Default 60 000.
   */
  timeout?: number;
  /** Ms to get a connection: waiting for a pool slot (HTTPKIT_POOL_TIMEOUT past it), then connecting and the TLS handshake. Default: `timeout`. */
  connectTimeout?: number;
  /** Ms without a byte from the server while a response is awaited or read (a streamed body's slow consumer does not count). Default: `timeout`. */
  idleTimeout?: number;
  /** Ms an idle pooled connection is kept; -1 closes it after each response. Default 30 000 (less when the server says `Keep-Alive: timeout=N`). */
  keepalive?: number;
  /**
   * Cap in bytes on the body, as received and once decompressed; past it the request fails (a
   * streamed body is destroyed) with HTTPKIT_BODY_TOO_LARGE. Default 64 MiB for a buffered body;
   * none for `as: 'stream'` (backpressure bounds its memory) unless set here or on the client.
   */
  maxBody?: number;
  /** Cap on the response's head (status line and headers, interim responses each) and on its trailers, in bytes. Default 65 536. */
  maxHeaderSize?: number;
}

export const DEFAULT_TIMEOUT = 60_000;
export const DEFAULT_KEEPALIVE = 30_000;
export const DEFAULT_MAX_HEADER_SIZE = 64 * 1024;
/**
 * The default cap on a buffered body. A buffered body is held whole (and copied once when its
 * pieces are joined, or inflated), so without a cap a hostile server decides how much memory a
 * request takes. 64 MiB is far above what an API answer or a page weighs, and well within what
 * a process can hold a few of; larger bodies are read with `as: 'stream'` or an explicit maxBody.
 */
export const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

/** A prepared request's limits, checked, defaults applied. */
export interface PreparedLimits {
  connectTimeout: number;
  idleTimeout: number;
  /**
   * How the caller set connectTimeout and idleTimeout, as a timeout's message names them:
   * 'idleTimeout', or 'timeout → idleTimeout' when `timeout` gave it (the caller never wrote
   * idleTimeout and should not have to guess where it came from).
   */
  connectTimeoutName: string;
  idleTimeoutName: string;
  /** The deadline of the whole exchange (ms from the call), Infinity for none. */
  timeout: number;
  keepalive: number;
  /** Send `Connection: close` (keepalive -1). */
  closeConnection: boolean;
  maxBody: number;
  maxHeaderSize: number;
}

/**
 * Fills `into` from the request's limits, else the client's, else the defaults; `streamed` when
 * the response body is handed over as a stream (no cap unless one is set).
 */
export function prepareLimits(into: PreparedLimits, opts: RequestLimits, defaults: RequestLimits, streamed: boolean): void {
  // Each value is checked under the name the caller wrote: `timeout: 0` is refused as timeout,
  // not as the connectTimeout it would have become. A request's own option wins over the
  // client's; a specific limit over `timeout` at the same level.
  const timeout = opts.timeout ?? defaults.timeout;
  into.timeout = timeout === undefined ? DEFAULT_TIMEOUT : positiveMs(timeout, 'timeout', ' (Infinity for none)');
  if (opts.connectTimeout !== undefined) setConnect(into, opts.connectTimeout, 'connectTimeout');
  else if (opts.timeout !== undefined) setConnect(into, into.timeout, CONNECT_FROM_TIMEOUT);
  else if (defaults.connectTimeout !== undefined) setConnect(into, defaults.connectTimeout, 'connectTimeout');
  else
    setConnect(
      into,
      defaults.timeout === undefined ? DEFAULT_TIMEOUT : into.timeout,
      defaults.timeout === undefined ? 'connectTimeout' : CONNECT_FROM_TIMEOUT,
    );
  if (opts.idleTimeout !== undefined) setIdle(into, opts.idleTimeout, 'idleTimeout');
  else if (opts.timeout !== undefined) setIdle(into, into.timeout, IDLE_FROM_TIMEOUT);
  else if (defaults.idleTimeout !== undefined) setIdle(into, defaults.idleTimeout, 'idleTimeout');
  else
    setIdle(
      into,
      defaults.timeout === undefined ? DEFAULT_TIMEOUT : into.timeout,
      defaults.timeout === undefined ? 'idleTimeout' : IDLE_FROM_TIMEOUT,
    );
  const keepalive = keepaliveMs(opts.keepalive ?? defaults.keepalive ?? DEFAULT_KEEPALIVE);
  into.keepalive = keepalive;
  into.closeConnection = keepalive < 0;
  const maxBody = opts.maxBody ?? defaults.maxBody;
  into.maxBody = maxBody === undefined ? (streamed ? Infinity : DEFAULT_MAX_BODY) : byteLimit(maxBody, 'maxBody', 0);
  const maxHeaderSize = opts.maxHeaderSize ?? defaults.maxHeaderSize;
  into.maxHeaderSize = maxHeaderSize === undefined ? DEFAULT_MAX_HEADER_SIZE : byteLimit(maxHeaderSize, 'maxHeaderSize', 1);
}

const CONNECT_FROM_TIMEOUT = 'timeout → connectTimeout';
const IDLE_FROM_TIMEOUT = 'timeout → idleTimeout';

function setConnect(into: PreparedLimits, value: number, name: string): void {
  into.connectTimeout = name === CONNECT_FROM_TIMEOUT ? value : positiveMs(value, name);
  into.connectTimeoutName = name;
}

function setIdle(into: PreparedLimits, value: number, name: string): void {
  into.idleTimeout = name === IDLE_FROM_TIMEOUT ? value : positiveMs(value, name);
  into.idleTimeoutName = name;
}

/**
 * A timeout option: a positive number of ms, Infinity for none. Like core's positiveOption (and
 * describing the value the same way), but failing with the client's own error, which becomes
 * `result.error` (HTTPKIT_INVALID_REQUEST). `> 0` as it always was: a numeric string from an
 * environment variable still passes.
 */
function positiveMs(value: number, name: string, hint = ''): number {
  if (value > 0) return +value;
  throw new InvalidRequestError(`${name} must be a positive number of ms${hint}, got ${describe(value)}`);
}

/**
 * The keep-alive option: ms from 0 on (Infinity: until the server closes it), or -1 for
 * `Connection: close`. A numeric string passes, as for the timeouts; anything else ("ten", NaN)
 * would leave an idle connection with a timer that never fires, so it is refused.
 */
function keepaliveMs(value: number): number {
  const ms = typeof value === 'number' || (typeof value === 'string' && (value as string).trim() !== '') ? +value : Number.NaN;
  if (ms >= 0 || ms === -1) return ms;
  throw new InvalidRequestError(`keepalive must be a number of ms (0 or more), or -1 for Connection: close, got ${describe(value)}`);
}

/** A size limit: a number of bytes from `min` on, Infinity for none. */
function byteLimit(value: number, name: string, min: number): number {
  if (typeof value === 'number' && value >= min) return value;
  throw new InvalidRequestError(`${name} must be a number of bytes (${min} or more, Infinity for none), got ${describe(value)}`);
}
