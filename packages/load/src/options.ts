/**
 * What a load run is asked to do, its defaults, and the one place options are checked: every
 * wrong value is reported naming the option, the value and what it wants. The CLI and the
 * library both go through `resolveOptions`.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@http-kit/core';

/** The kinds of load. */
export const LoadMode = {
  /** Keep-alive requests, one in flight per connection. */
  Http: 'http',
  /** Keep-alive requests, `pipeline` in flight per connection. */
  Pipeline: 'pipeline',
  /** Each connection parks a request and sends the next one as soon as it is answered. */
  LongPoll: 'longpoll',
  /** Each connection holds one text/event-stream response and counts its events. */
  Sse: 'sse',
  /** WebSockets: idle, echo or listen (`wsMode`). */
  WebSocket: 'websocket',
} as const;
export type LoadMode = (typeof LoadMode)[keyof typeof LoadMode];

/** What each WebSocket does once open. */
export const WebSocketMode = {
  /** Holds the connection; answers pings. */
  Idle: 'idle',
  /** Sends messages of `messageSize` bytes, `inFlight` outstanding, and times each echo. */
  Echo: 'echo',
  /** Counts the messages the server sends (broadcasts). */
  Listen: 'listen',
} as const;
export type WebSocketMode = (typeof WebSocketMode)[keyof typeof WebSocketMode];

/** One request to send; several rotate over the connections. */
export interface RequestSpec {
  method?: string;
  /** Path and query; the URL's when absent. */
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** http://host:port/path (ws:// for websocket mode works too). */
  url: string;
  mode?: LoadMode;
  /** Connections (default 10). */
  connections?: number;
  /** Seconds of measured load after every connection is open (default 10). */
  duration?: number;
  /** Requests (or echo messages) per second in all, open model; 0: closed model (default). */
  rate?: number;
  /** Requests in flight per connection in pipeline mode (default 10). */
  pipeline?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Requests to rotate through instead of method/headers/body (or a JSON file of them: `requestsFile`). */
  requests?: RequestSpec[];
  /** A JSON file holding an array of RequestSpec. */
  requestsFile?: string;
  /**
   * http, pipeline and longpoll modes: requests (polls) each connection sends in all, then it
   * stays open and idle (idle keep-alive connections for a soak); 0 (default): no limit.
   */
  requestsPerConnection?: number;
  /** A response not complete this many ms after it was due counts as a `timeout` error and the connection is replaced (default 10000; 0: none; long polls: none). */
  timeout?: number;
  /** In longpoll mode: the response header carrying the server's event time (epoch ms) (default 'x-event-time'). */
  stampHeader?: string;
  wsMode?: WebSocketMode;
  /** Echo message size in bytes (default 64). */
  messageSize?: number;
  /** Echo messages outstanding per WebSocket (default 1). */
  inFlight?: number;
  /** ms a connection may take to open (TCP connect; WebSocket: its 101; SSE: its response head) (default 10000). */
  openTimeout?: number;
  /** Connections being opened at once (default 200). */
  connectConcurrency?: number;
  /** Connections opened per second at most (default 0: as fast as connectConcurrency allows). */
  connectRate?: number;
  /**
   * Source addresses to connect from, rotated; 'auto' (default): the system's choice, moving on to
   * 127.0.0.2, 127.0.0.3, ... when a loopback target runs out of ephemeral ports.
   */
  localAddresses?: string[] | 'auto';
  /** Seconds the whole run may take beyond opening and the duration before it is cut (default 30). */
  graceSeconds?: number;
  /**
   * ms the server has to close its side once a connection is closed (HTTP, SSE: FIN; WebSocket:
   * close frame, then FIN), at the run's end and at each session's end; past it the socket is
   * destroyed (default 1500). `LoadResult.closing` says how many closed in time and when the last did.
   */
  closeTimeout?: number;
  /**
   * Sessions: each connection ends itself after a random number of answers from min to max
   * (responses, long-poll answers, echoes, SSE events), as a client leaving, and opens again as a
   * new client; a number n is [n, n]. Default: none (connections live for the whole run).
   */
  sessionRequests?: number | [number, number];
  /** Of the sessions that end, the fraction dropped without a clean close: HTTP destroyed at once, WebSocket without a close frame (default 0). */
  dropFraction?: number;
  /** Of the sessions that end, the fraction ended with a TCP reset (RST); counted apart from dropFraction, the two add up to 1 at most (default 0). */
  resetFraction?: number;
  /** longpoll: the fraction of polls given up while parked: the connection is dropped `abortDelay` ms after the poll left, and opens again (default 0). */
  abortFraction?: number;
  /** longpoll: ms from a poll's send to its abort, random from min to max (default [0, 100]). */
  abortDelay?: number | [number, number];
  /** sse: ms before a stream the server ended is opened again, until the server sends `retry:` (default 3000, as browsers). */
  sseRetry?: number;
  /** sse: the most a reopen waits; each failed reopen doubles the wait up to this, with jitter (default 30000). */
  sseRetryMax?: number;
  /**
   * Closed model: ms a connection waits between an answer and its next request (echo message,
   * poll), random from min to max, as a user reading before the next click (default 0).
   */
  thinkTime?: number | [number, number];
  /** The fraction of sockets (each new one drawn at random) that read slowly: at most `slowReadRate` bytes a second (default 0). */
  slowFraction?: number;
  /** A slow socket's read rate, bytes per second (default 4096). */
  slowReadRate?: number;
}

/** Options with every default filled in and every value checked. */
export interface ResolvedOptions {
  url: URL;
  host: string;
  port: number;
  mode: LoadMode;
  connections: number;
  duration: number;
  rate: number;
  pipeline: number;
  requests: RequestSpec[];
  requestsPerConnection: number;
  timeout: number;
  stampHeader: string;
  wsMode: WebSocketMode;
  messageSize: number;
  inFlight: number;
  openTimeout: number;
  connectConcurrency: number;
  connectRate: number;
  localAddresses: string[] | 'auto';
  graceSeconds: number;
  closeTimeout: number;
  /** [min, max] answers per session; [0, 0]: no sessions. */
  sessionRequests: [number, number];
  dropFraction: number;
  resetFraction: number;
  abortFraction: number;
  abortDelay: [number, number];
  sseRetry: number;
  sseRetryMax: number;
  slowFraction: number;
  slowReadRate: number;
  /** [min, max] ms; [0, 0]: none. */
  thinkTime: [number, number];
}

const MODES: readonly string[] = Object.values(LoadMode);
const WS_MODES: readonly string[] = Object.values(WebSocketMode);
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function count(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, integer = true): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value)))
    throw new InvalidArgumentError(
      `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}${typeof value === 'string' ? ' (a string)' : ''}`,
    );
  return value;
}

function checkRequest(spec: RequestSpec, where: string): RequestSpec {
  if (spec === null || typeof spec !== 'object')
    throw new InvalidArgumentError(`${where} must be an object {method, path, headers, body}, got ${JSON.stringify(spec)}`);
  if (spec.method !== undefined && (typeof spec.method !== 'string' || !METHOD.test(spec.method)))
    throw new InvalidArgumentError(`${where}.method must be an HTTP method token such as GET, got ${JSON.stringify(spec.method)}`);
  if (spec.path !== undefined && (typeof spec.path !== 'string' || !spec.path.startsWith('/') || /[\s]/.test(spec.path)))
    throw new InvalidArgumentError(`${where}.path must start with / and hold no spaces, got ${JSON.stringify(spec.path)}`);
  if (spec.body !== undefined && typeof spec.body !== 'string')
    throw new InvalidArgumentError(`${where}.body must be a string, got ${typeof spec.body}`);
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (!METHOD.test(name) || typeof value !== 'string' || /[\r\n]/.test(value))
      throw new InvalidArgumentError(
        `${where}.headers: ${JSON.stringify(name)}: ${JSON.stringify(value)} is not a valid header (a token name, a string value without CR or LF)`,
      );
  }
  return spec;
}

/** Reads a JSON file holding an array of requests. */
function readRequests(file: string): RequestSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`requestsFile ${JSON.stringify(file)} cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(
      `requestsFile ${JSON.stringify(file)} is not JSON (${(error as Error).message}); it must hold an array of {method, path, headers, body}`,
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new InvalidArgumentError(
      `requestsFile ${JSON.stringify(file)} must hold a non-empty JSON array of {method, path, headers, body}`,
    );
  return parsed as RequestSpec[];
}

/** A fraction from 0 to 1. */
function fraction(name: string, value: unknown): number {
  return count(name, value, 0, 0, 1, false);
}

/** A [min, max] range of integers (a number n is [n, n]); `fallback` when absent. */
function range(name: string, value: unknown, fallback: [number, number], min: number): [number, number] {
  if (value === undefined) return fallback;
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2)
    throw new InvalidArgumentError(`${name} must be a number or a [min, max] pair, got ${JSON.stringify(value)}`);
  const low = count(`${name}[0]`, pair[0], 0, min);
  const high = count(`${name}[1]`, pair[1], 0, min);
  if (high < low) throw new InvalidArgumentError(`${name} must be [min, max] with min <= max, got ${JSON.stringify(value)}`);
  return [low, high];
}

/**
 * Checks `options` and fills in the defaults; throws InvalidArgumentError naming the first wrong one.
 *
 * @example
 * const resolved = resolveOptions({ url: 'http://127.0.0.1:8080/', connections: 100 });
 */
export function resolveOptions(options: LoadOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`options must be an object, got ${JSON.stringify(options)}`);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new InvalidArgumentError(`url must be an absolute URL such as http://127.0.0.1:8080/, got ${JSON.stringify(options.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'ws:')
    throw new InvalidArgumentError(
      `url must be http:// or ws:// (TLS is not supported), got ${JSON.stringify(url.protocol)} in ${options.url}`,
    );
  const mode = options.mode ?? (url.protocol === 'ws:' ? LoadMode.WebSocket : LoadMode.Http);
  if (!MODES.includes(mode)) throw new InvalidArgumentError(`mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const wsMode = options.wsMode ?? WebSocketMode.Echo;
  if (!WS_MODES.includes(wsMode))
    throw new InvalidArgumentError(`wsMode must be one of ${WS_MODES.join(', ')}, got ${JSON.stringify(wsMode)}`);
  const rate = count('rate', options.rate, 0, 0, 10_000_000, false);
  if (rate > 0 && (mode === LoadMode.LongPoll || mode === LoadMode.Sse || (mode === LoadMode.WebSocket && wsMode !== WebSocketMode.Echo)))
    throw new InvalidArgumentError(
      `rate applies to http, pipeline and websocket echo modes only; mode ${mode}${mode === LoadMode.WebSocket ? ` (${wsMode})` : ''} has the server set the pace`,
    );

  if (options.requests !== undefined && options.requestsFile !== undefined)
    throw new InvalidArgumentError('give requests or requestsFile, not both');
  const list = options.requestsFile !== undefined ? readRequests(options.requestsFile) : options.requests;
  if (list !== undefined && (!Array.isArray(list) || list.length === 0))
    throw new InvalidArgumentError('requests must be a non-empty array of {method, path, headers, body}');
  const base: RequestSpec = { method: options.method, headers: options.headers, body: options.body };
  const requests = (list ?? [base]).map((spec, i) =>
    checkRequest({ ...base, ...spec, headers: { ...base.headers, ...spec.headers } }, list === undefined ? 'request' : `requests[${i}]`),
  );

  const localAddresses = options.localAddresses ?? 'auto';
  if (
    localAddresses !== 'auto' &&
    (!Array.isArray(localAddresses) || localAddresses.length === 0 || localAddresses.some((a) => typeof a !== 'string' || a === ''))
  )
    throw new InvalidArgumentError(
      `localAddresses must be 'auto' or a non-empty array of IP addresses, got ${JSON.stringify(localAddresses)}`,
    );
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const dropFraction = fraction('dropFraction', options.dropFraction);
  const resetFraction = fraction('resetFraction', options.resetFraction);
  if (dropFraction + resetFraction > 1)
    throw new InvalidArgumentError(`dropFraction + resetFraction must be at most 1, got ${dropFraction} + ${resetFraction}`);
  const sessionRequests = range('sessionRequests', options.sessionRequests, [0, 0], 1);
  if ((dropFraction > 0 || resetFraction > 0) && sessionRequests[1] === 0)
    throw new InvalidArgumentError('dropFraction and resetFraction apply to sessions that end: give sessionRequests too');
  const abortFraction = fraction('abortFraction', options.abortFraction);
  if (abortFraction > 0 && mode !== LoadMode.LongPoll)
    throw new InvalidArgumentError(`abortFraction applies to longpoll mode only (polls given up while parked), got mode ${mode}`);
  const sseRetry = count('sseRetry', options.sseRetry, 3_000, 0, 86_400_000);
  const thinkTime = range('thinkTime', options.thinkTime, [0, 0], 0);
  if (thinkTime[1] > 0 && rate > 0)
    throw new InvalidArgumentError('thinkTime applies to the closed model only; with rate the requests leave when they fall due');
  return {
    url,
    host,
    port: url.port === '' ? 80 : Number(url.port),
    mode,
    connections: count('connections', options.connections, 10, 1, 1_000_000),
    duration: count('duration', options.duration, 10, 0, 31 * 86_400, false),
    rate,
    pipeline: count('pipeline', options.pipeline, mode === LoadMode.Pipeline ? 10 : 1, 1, 100_000),
    requests,
    requestsPerConnection: count('requestsPerConnection', options.requestsPerConnection, 0, 0, Number.MAX_SAFE_INTEGER),
    timeout: count('timeout', options.timeout, mode === LoadMode.LongPoll || mode === LoadMode.Sse ? 0 : 10_000, 0, 86_400_000),
    stampHeader: (options.stampHeader ?? 'x-event-time').toLowerCase(),
    wsMode,
    messageSize: count('messageSize', options.messageSize, 64, 0, 64 << 20),
    inFlight: count('inFlight', options.inFlight, 1, 1, 100_000),
    openTimeout: count('openTimeout', options.openTimeout, 10_000, 1, 86_400_000),
    connectConcurrency: count('connectConcurrency', options.connectConcurrency, 200, 1, 100_000),
    connectRate: count('connectRate', options.connectRate, 0, 0, 10_000_000, false),
    localAddresses,
    graceSeconds: count('graceSeconds', options.graceSeconds, 30, 0, 86_400, false),
    closeTimeout: count('closeTimeout', options.closeTimeout, 1_500, 1, 86_400_000),
    sessionRequests,
    dropFraction,
    resetFraction,
    abortFraction,
    abortDelay: range('abortDelay', options.abortDelay, [0, 100], 0),
    sseRetry,
    sseRetryMax: Math.max(sseRetry, count('sseRetryMax', options.sseRetryMax, 30_000, 0, 86_400_000)),
    slowFraction: fraction('slowFraction', options.slowFraction),
    slowReadRate: count('slowReadRate', options.slowReadRate, 4_096, 1, 1 << 30),
    thinkTime,
  };
}

/** Whether `host` is a loopback address, where other 127.x source addresses can be used. */
export function isLoopbackV4(host: string): boolean {
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
