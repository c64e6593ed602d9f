/**
 * Runs a handler and makes a response of what it returned: a response object, a bare body
 * (200), null (404), the hand-off marker of a channel or protocol switch, or a Promise of one.
 */
import { describe } from '@http-kit/core';
import { InvalidHandlerResultError } from '../errors.js';
import { isBareBody, type Response } from './body-types.js';
import type { Request } from './request.js';

declare const kHandedOff: unique symbol;

/** What `asChannel` and `switchProtocol` return: the handler hands the answer over. Return it. */
export interface HandedOff {
  readonly [kHandedOff]: true;
}

/** The one hand-off marker. */
export const HANDED_OFF = Object.freeze({ handedOff: true }) as unknown as HandedOff;

/** What a handler may return: a response, a bare body (200), null or undefined (404), a hand-off. */
export type HandlerResult = Response | string | Uint8Array | HandedOff | null | undefined;
export type Handler = (request: Request) => HandlerResult | Promise<HandlerResult>;

/** Where a handler's outcome goes. */
export interface HandlerOutcome {
  respond(seq: number, result: HandlerResult): void;
  handlerFailed(seq: number, error: unknown): void;
}

/** Calls `handler` for request number `seq`; its result (now or later) goes to `outcome`. */
export function runHandler(handler: Handler, request: Request, outcome: HandlerOutcome, seq: number): void {
  let result: HandlerResult | Promise<HandlerResult>;
  try {
    result = handler(request);
  } catch (error) {
    outcome.handlerFailed(seq, error);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof (result as Promise<HandlerResult>).then === 'function') {
    (result as Promise<HandlerResult>).then(
      (value) => outcome.respond(seq, value),
      (error: unknown) => outcome.handlerFailed(seq, error),
    );
  } else {
    outcome.respond(seq, result as HandlerResult);
  }
}

/** The response a handler's result stands for (null: 404); throws on a value that is none. */
export function responseOf(result: HandlerResult): Response | null {
  if (result === null || result === undefined) return null;
  if (isBareBody(result)) return { status: 200, body: result };
  const problem = responseProblem(result);
  if (problem !== null) {
    throw new InvalidHandlerResultError(
      `A handler returned ${problem}: return a response {status, headers, body}, a string or bytes, null (404), or what asChannel returns`,
    );
  }
  return result as Response;
}

/**
 * What errorLogger says when a handler opened a channel (`asChannel`, `asyncResponse`,
 * `asEventStream`) or asked for a protocol switch, then returned something else than what that
 * call returned: the channel never opens, so the program must be told how to fix it.
 */
export function handOffNotReturned(channel: boolean, request: Request | null, result: unknown): string {
  const what = channel ? 'opened a channel (asChannel, asyncResponse or asEventStream)' : 'called switchProtocol';
  const made = channel ? 'the channel was closed' : 'the switch was dropped';
  const got = result === undefined ? 'undefined' : result === null ? 'null' : 'a response of its own';
  const outcome = result === null || result === undefined ? `${made} and the request answered 500` : `that response was sent and ${made}`;
  const fix = channel ? 'return asChannel(req, { ... })' : 'return switchProtocol(req, headers, createProtocol)';
  const target = request === null ? 'a request' : `${request.requestMethod.toUpperCase()} ${request.uri}`;
  return `The handler for ${target} ${what} but returned ${got}, not what that call returned: ${outcome}. Return it: \`${fix}\``;
}

/**
 * Why `value` is not a response object ({status, headers, body}, each optional, nothing else),
 * in words that name it; null when it is one. Shared by handlers' results and channels' sends.
 */
export function responseProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return describeValue(value);
  if (Array.isArray(value)) return `an array (${value.length} item${value.length === 1 ? '' : 's'})`;
  if (typeof (value as Promise<unknown>).then === 'function') return 'a Promise inside a response (await it first)';
  let known = 0;
  let unknown: string[] | null = null;
  for (const key in value) {
    if (key === 'status' || key === 'headers' || key === 'body') known++;
    else (unknown ??= []).push(key);
  }
  if (unknown !== null || known === 0) {
    const WebResponse = (globalThis as { Response?: abstract new (...args: never[]) => object }).Response;
    if (WebResponse !== undefined && value instanceof WebResponse)
      return 'a web Response (fetch API); return { status, headers, body } instead';
  }
  if (unknown !== null) {
    return `an object with ${unknown.length === 1 ? 'a key' : 'keys'} a response does not have (${unknown.map((key) => JSON.stringify(key)).join(', ')}; a response has status, headers and body)`;
  }
  if (known === 0) {
    const name = (value as object).constructor?.name;
    return name !== undefined && name !== 'Object' ? `a ${name} (not a response object)` : 'an empty object {}';
  }
  return null;
}

function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''} (call it?)`;
  return describe(value);
}
