/**
 * requestLogger: one line per request, written when its answer is done (the last byte handed to
 * the socket, or the connection gone), with method, target, status, body bytes and duration. A
 * channel's line comes when its stream or long poll ends; a WebSocket gets a line at the upgrade
 * and one at its close. `'combined'` is nginx's combined format with the duration added; `'json'`
 * is one JSON object a line.
 */
import { performance } from 'node:perf_hooks';
import { describe, InvalidArgumentError } from '@http-kit/core';
import {
  addResponseHook,
  FileBody,
  isHandedOff,
  type AnswerEnd,
  type Handler,
  type HandlerResult,
  type Request,
  type Response,
  type ResponseBody,
  type ResponseHook,
} from '@http-kit/http1';
import { asResponse, headerOf } from './answers.js';
import type { Middleware } from './compose.js';
import { checkOptions, functionOption } from './options.js';

export type LogFormat = 'combined' | 'json';

export interface RequestLoggerOptions {
  /** Where each line goes (default: `process.stdout`, one line each). */
  log?: (line: string) => void;
  /** `'combined'` (the default) or `'json'`. */
  format?: LogFormat;
}

/** What the logger knows of one request, on the request. */
interface Entry {
  start: number;
  status: number;
  /** Body bytes handed to the connection; -1 while unknown (a file, until the server says at its end). */
  bytes: number;
}

const kEntry = Symbol('requestLogger.entry');
type Logged = Request & { [kEntry]?: Entry };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let clockSecond = -1;
let clockText = '';

/** nginx's $time_local (in UTC), made once a second. */
function timeLocal(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== clockSecond) {
    const d = new Date(second * 1000);
    const two = (n: number) => (n < 10 ? `0${n}` : String(n));
    clockText = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
    clockSecond = second;
  }
  return clockText;
}

/** A header value as nginx writes it into a quoted log field: quotes and controls escaped. */
/** A quote, a backslash or a control character: what would break the line or its fields. */
function needsEscape(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f) return true;
  }
  return false;
}
const ESCAPED_ALL = /["\\\x00-\x1f\x7f]/g;

function quoted(value: string | undefined): string {
  if (value === undefined || value === '') return '"-"';
  if (!needsEscape(value)) return `"${value}"`;
  return `"${value.replace(ESCAPED_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

function target(req: Request): string {
  return req.queryString === null ? req.uri : `${req.uri}?${req.queryString}`;
}

/** A method as logged, upper case, without a new string per request for the usual ones (the parser's names are constants). */
function methodText(method: string): string {
  switch (method) {
    case 'get':
      return 'GET';
    case 'post':
      return 'POST';
    case 'head':
      return 'HEAD';
    case 'put':
      return 'PUT';
    case 'patch':
      return 'PATCH';
    case 'delete':
      return 'DELETE';
    case 'options':
      return 'OPTIONS';
    default:
      return method.toUpperCase();
  }
}

/** Milliseconds with three decimals ("0.412"), without Number#toFixed (the costly part of a line). */
function millis(ms: number): string {
  const us = Math.round(ms * 1000);
  const whole = Math.floor(us / 1000);
  const frac = us - whole * 1000;
  return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/** One line's text; `websocket` is 'open' at a WebSocket's upgrade, 'close' at its close. */
type Format = (req: Request, entry: Entry, end: AnswerEnd | null, websocket?: 'open' | 'close') => string;

const combined: Format = (req, entry, end, websocket) => {
  const now = performance.now();
  const ms = millis(now - entry.start);
  const bytes = entry.bytes < 0 ? '-' : String(entry.bytes);
  let extra = '';
  if (websocket !== undefined) extra = ` websocket-${websocket}${end?.code !== undefined ? ` ${end.code}` : ''}`;
  if (end !== null && end.reason !== 'server-closed') extra += ` ${end.reason}`;
  // The method and protocol are the parser's, known clean: only the target is escaped.
  const path = target(req);
  const line = needsEscape(path) ? quoted(path).slice(1, -1) : path;
  // Few pieces, each kept with its spaces: every piece joined is a string made.
  const text = `${linePrefix(req.remoteAddr, now)}${methodText(req.requestMethod)} ${line}${protocolAndStatus(req.protocol, entry.status)}${bytes}${refererAndAgent(req.headers.referer, req.headers['user-agent'])}${ms}`;
  return extra === '' ? text : text + extra;
};

// The start of a line (address and time) changes once a second or with the client: kept.
let prefixAddr = '';
let prefixSecond = -1;
let prefixText = '';
/** Wall-clock milliseconds less performance.now(), measured again at each new second (a clock set meanwhile is seen within one). */
let wallOffset = Date.now() - performance.now();

/** `1.2.3.4 - - [07/Dec/2026:17:58:00 +0000] "` at `now` (performance.now()): no second clock read per line. */
function linePrefix(remoteAddr: string, now: number): string {
  const second = Math.floor((wallOffset + now) / 1000);
  if (remoteAddr !== prefixAddr || second !== prefixSecond) {
    const wall = Date.now();
    wallOffset = wall - now;
    prefixText = `${remoteAddr} - - [${timeLocal(wall)}] "`;
    prefixAddr = remoteAddr;
    prefixSecond = Math.floor(wall / 1000);
  }
  return prefixText;
}

// Most lines repeat the protocol and status, and a connection its Referer and User-Agent: the last pieces are kept.
let lastProtocol = '';
let lastStatus = -1;
let lastProtocolStatus = '';

/** ` HTTP/1.1" 200 `. */
function protocolAndStatus(protocol: string, status: number): string {
  if (protocol !== lastProtocol || status !== lastStatus) {
    lastProtocolStatus = ` ${protocol}" ${status === 0 ? '-' : String(status)} `;
    lastProtocol = protocol;
    lastStatus = status;
  }
  return lastProtocolStatus;
}

let lastReferer: string | undefined;
let lastAgent: string | undefined;
let lastRefererAgent = ' "-" "-" ';

/** ` "referer" "user agent" `, quoted and escaped as nginx does. */
function refererAndAgent(referer: string | undefined, agent: string | undefined): string {
  if (referer !== lastReferer || agent !== lastAgent) {
    lastRefererAgent = ` ${quoted(referer)} ${quoted(agent)} `;
    lastReferer = referer;
    lastAgent = agent;
  }
  return lastRefererAgent;
}

const json: Format = (req, entry, end, websocket) =>
  JSON.stringify({
    time: new Date().toISOString(),
    id: req.id,
    remoteAddr: req.remoteAddr,
    method: methodText(req.requestMethod),
    target: target(req),
    protocol: req.protocol,
    status: entry.status === 0 ? null : entry.status,
    bytes: entry.bytes < 0 ? null : entry.bytes,
    durationMs: Math.round((performance.now() - entry.start) * 1000) / 1000,
    userAgent: req.headers['user-agent'],
    referer: req.headers.referer,
    websocket,
    closeCode: end?.code,
    // How the answer ended when it was not sent whole: 'client-closed', 'timeout', ...
    outcome: end === null || end.reason === 'server-closed' ? undefined : end.reason,
  });

/** Counts the bytes of a streamed body as the server takes them. */
async function* counted(source: AsyncIterable<Uint8Array | string>, entry: Entry): AsyncGenerator<Uint8Array | string> {
  for await (const chunk of source) {
    entry.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    yield chunk;
  }
}

/** The response with its body counted into `entry` (a stream is wrapped; a whole body measured). */
function measure(response: Response, entry: Entry, req: Request): Response {
  entry.status = response.status ?? 200;
  const body: ResponseBody = response.body;
  entry.bytes = 0;
  if (body === null || body === undefined || req.requestMethod === 'head' || entry.status === 204 || entry.status === 304) return response;
  if (typeof body === 'string') entry.bytes = Buffer.byteLength(body);
  else if (body instanceof Uint8Array) entry.bytes = body.byteLength;
  else if (body instanceof FileBody) {
    const length = Number(headerOf(response.headers, 'content-length'));
    entry.bytes = Number.isInteger(length) ? length : -1;
  } else if (
    typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
    typeof (body as Iterable<unknown>)[Symbol.iterator] === 'function'
  ) {
    return { status: response.status ?? 200, headers: response.headers, body: counted(body as AsyncIterable<Uint8Array | string>, entry) };
  } else entry.bytes = -1;
  return response;
}

/**
 * Logs one line per request once its answer is done.
 *
 * @example
 * const app = compose(requestLogger({ format: 'json', log: (line) => logFile.write(`${line}\n`) }))(handler);
 * // {"time":"...","method":"GET","target":"/","status":200,"bytes":5,"durationMs":0.412,...}
 */
export function requestLogger(options?: RequestLoggerOptions): Middleware {
  const opts = checkOptions('requestLogger', options, ['log', 'format']);
  const log = functionOption('requestLogger', 'log', opts.log) ?? ((line: string) => process.stdout.write(`${line}\n`));
  const format = opts.format ?? 'combined';
  if (format !== 'combined' && format !== 'json')
    throw new InvalidArgumentError(`requestLogger: format must be 'combined' or 'json', got ${describe(format)}`);
  const write = format === 'json' ? json : combined;

  const hook: ResponseHook = {
    response(response, streaming, req) {
      const entry = (req as Logged)[kEntry];
      if (entry === undefined) return response;
      if (streaming) {
        entry.status = response.status ?? 200;
        entry.bytes = 0;
        return response;
      }
      return measure(response, entry, req);
    },
    chunk(data, req) {
      const entry = (req as Logged)[kEntry];
      if (entry !== undefined) entry.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      return data;
    },
    ended(end, req) {
      const entry = (req as Logged)[kEntry];
      if (entry === undefined) return;
      if (entry.status === 0) entry.status = end.status; // a channel's timeout answer, which no hook saw
      if (entry.bytes < 0 && end.bodyBytes !== undefined) entry.bytes = end.bodyBytes; // a file: the server counted it
      if (req.websocket && end.status === 101) {
        log(write(req, entry, end, 'close'));
        return;
      }
      // A connection gone before any answer: no status was sent.
      log(write(req, entry, end));
    },
  };

  const settle = (result: HandlerResult, req: Request, entry: Entry): HandlerResult => {
    if (isHandedOff(result)) {
      if (req.websocket) {
        // The upgrade's line now; the close comes through the hook.
        entry.status = 101;
        entry.bytes = 0;
        log(write(req, entry, null, 'open'));
      }
      return result;
    }
    return measure(asResponse(result), entry, req);
  };

  return (handler: Handler): Handler =>
    (req) => {
      const entry: Entry = { start: performance.now(), status: 0, bytes: 0 };
      (req as Logged)[kEntry] = entry;
      addResponseHook(req, hook);
      let result: ReturnType<Handler>;
      try {
        result = handler(req);
      } catch (error) {
        entry.status = 500; // what the server answers for it
        throw error;
      }
      if (result !== null && typeof result === 'object' && typeof (result as Promise<HandlerResult>).then === 'function') {
        return (result as Promise<HandlerResult>).then(
          (value) => settle(value, req, entry),
          (error: unknown) => {
            entry.status = 500;
            throw error;
          },
        );
      }
      return settle(result as HandlerResult, req, entry);
    };
}
