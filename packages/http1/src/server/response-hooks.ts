/**
 * What middleware may ask of an answer the handler hands over (a long poll, a stream, SSE, a
 * WebSocket): a middleware sees only the handler's return value, and for a channel that is the
 * hand-off marker, so it registers a hook on the request instead. The channel applies the hooks
 * to its answer (headers, each chunk, the end of the stream) and tells them when it ends.
 * Middleware for plain responses stays a plain function of the response.
 */
import type { CloseReason } from '@http-kit/core';
import type { Response } from './body-types.js';
import { answersWatched, publishAnswerEnd } from './diagnostics.js';
import { HANDED_OFF } from './dispatch.js';
import type { Request } from './request.js';

/** How an answer ended, as the hooks are told. */
export interface AnswerEnd {
  /** Why it ended: 'server-closed' when it was sent whole, else the reason the connection or channel ended. */
  reason: CloseReason;
  /** The status, when the one ending it knows (a channel: what it answered; 101 for a WebSocket); else 0. */
  status: number;
  /** The WebSocket close code, when there was one. */
  code?: number;
  /**
   * The body bytes written, when the server counted them itself (a file body, a streamed body);
   * absent for a whole body (its size is known from the response) and for channels.
   */
  bodyBytes?: number;
}

/**
 * One middleware's hook on a channel's answer. Every method is optional and synchronous (a
 * channel's `send` answers at once), and gets the request, so one hook object can serve every
 * request (state of its own per request goes on the request, under a symbol of its own).
 */
export interface ResponseHook {
  /**
   * The channel answers: `streaming` false for a whole answer (a long poll), true for the head of
   * a stream (SSE, `send(head, false)`). Returns the response to send instead (or the same one).
   */
  response?(response: Response, streaming: boolean, request: Request): Response;
  /** One chunk of a streamed answer; returns the bytes to send instead (empty: nothing now). */
  chunk?(data: string | Uint8Array, request: Request): string | Uint8Array;
  /** The stream ends (the program closed it, or its timeout passed): bytes to send before the end, or null. */
  end?(request: Request): Uint8Array | null;
  /**
   * The answer is done, however: sent whole, or its connection, channel or WebSocket ended. Told
   * once per request, for every answer (a returned one too), so a hook may free what it holds.
   */
  ended?(end: AnswerEnd, request: Request): void;
}

/** `Symbol.for`, so duplicate copies of the package share one list per request. */
const kHooks: unique symbol = Symbol.for('http-kit.responseHooks');

type HookedRequest = Request & { [kHooks]?: ResponseHook[] };

/**
 * Adds `hook` to the answers `req` may get from a channel. Middleware registers before it calls
 * the handler it wraps, so the outermost registers first; the hooks run innermost first, as the
 * middleware's own post-processing of a returned response would.
 *
 * @example
 * const hook = { response: (res) => ({ ...res, headers: { ...res.headers, 'x-a': '1' } }) };
 * const addHeader = (handler) => (req) => {
 *   addResponseHook(req, hook); // for channels' answers
 *   return handler(req); // (and the same edit on what it returns)
 * };
 */
export function addResponseHook(req: Request, hook: ResponseHook): void {
  const hooked = req as HookedRequest;
  const hooks = hooked[kHooks];
  if (hooks === undefined) hooked[kHooks] = [hook];
  else hooks.push(hook);
}

/** @internal The hooks on `req`, outermost first (null when none). */
export function responseHooksOf(req: Request): readonly ResponseHook[] | null {
  const hooks = (req as HookedRequest)[kHooks];
  return hooks === undefined || hooks === ENDED ? null : hooks;
}

/** @internal Applies the hooks to a channel's answer, innermost first. */
export function hookResponse(hooks: readonly ResponseHook[], response: Response, streaming: boolean, request: Request): Response {
  for (let i = hooks.length - 1; i >= 0; i--) {
    const edit = hooks[i].response;
    if (edit !== undefined) response = edit.call(hooks[i], response, streaming, request);
  }
  return response;
}

/** @internal Passes one chunk through the hooks from `from` outwards. */
export function hookChunk(
  hooks: readonly ResponseHook[],
  data: string | Uint8Array,
  request: Request,
  from = hooks.length - 1,
): string | Uint8Array {
  for (let i = from; i >= 0; i--) {
    const edit = hooks[i].chunk;
    if (edit !== undefined) data = edit.call(hooks[i], data, request);
  }
  return data;
}

/** @internal What the hooks add at the end of a stream, each hook's bytes passed through the hooks outside it. */
export function hookEnd(hooks: readonly ResponseHook[], request: Request): Array<string | Uint8Array> {
  const tail: Array<string | Uint8Array> = [];
  for (let i = hooks.length - 1; i >= 0; i--) {
    const end = hooks[i].end;
    if (end === undefined) continue;
    const bytes = end.call(hooks[i], request);
    if (bytes !== null && bytes.byteLength > 0) tail.push(hookChunk(hooks, bytes, request, i - 1));
  }
  return tail;
}

/** @internal How an answer written whole ends (the session tells its hooks so). */
export const ANSWER_SENT: AnswerEnd = Object.freeze({ reason: 'server-closed', status: 0 });

/** What the hook list becomes once the answer has ended: told once. */
const ENDED: readonly ResponseHook[] = Object.freeze([]);

/**
 * @internal Tells the hooks on `req` that its answer ended (the HTTP session when an answer is
 * written or its connection closes, HttpChannel, and the WebSocket channel of
 * @http-kit/websocket). Only the first call for a request counts. A hook that throws is reported
 * to `log.logError` and the others still run. Also publishes the diagnostics event of the end.
 */
export function answerEnded(req: Request, end: AnswerEnd, log: { logError(message: string, error: unknown): void }): void {
  const hooked = req as HookedRequest;
  const hooks = hooked[kHooks];
  if (hooks === ENDED) return;
  if (hooks === undefined && !answersWatched()) return; // nobody to tell: nothing marked on the request
  hooked[kHooks] = ENDED as ResponseHook[];
  publishAnswerEnd(req, end.reason, end.status, end.code);
  if (hooks === undefined) return;
  for (const hook of hooks) {
    if (hook.ended === undefined) continue;
    try {
      hook.ended(end, req);
    } catch (error) {
      log.logError('A response hook failed as its answer ended', error);
    }
  }
}

/**
 * Whether a handler's result is the hand-off marker (`asChannel`, `asEventStream`,
 * `switchProtocol`): middleware passes it through unchanged.
 *
 * @example
 * const result = await handler(req);
 * if (isHandedOff(result)) return result;
 */
export function isHandedOff(result: unknown): boolean {
  return result === HANDED_OFF;
}
