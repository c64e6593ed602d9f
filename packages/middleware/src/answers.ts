/**
 * What the middleware share about answers: a handler's result (now or as a Promise) mapped to a
 * response, header lookups that ignore case (a response's header names are as the program wrote
 * them), and `Vary` kept as a list.
 */
import { isHandedOff, type HandlerResult, type HeaderValue, type Request, type Response, type ResponseHeaders } from '@http-kit/http1';

/** A handler's result, now or later. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Calls `edit(response, req)` with the response `result` stands for, now or once it resolves: a
 * bare body is a 200, null a 404 (the server's own), and the hand-off marker of a channel passes
 * through untouched. `edit` is the middleware's own function, so nothing is made per request.
 */
export function mapResponse(
  result: MaybePromise<HandlerResult>,
  req: Request,
  edit: (response: Response, req: Request) => MaybePromise<HandlerResult>,
): MaybePromise<HandlerResult> {
  if (result !== null && typeof result === 'object' && typeof (result as Promise<HandlerResult>).then === 'function') {
    return (result as Promise<HandlerResult>).then((value) => (isHandedOff(value) ? value : edit(asResponse(value), req)));
  }
  if (isHandedOff(result)) return result as HandlerResult;
  return edit(asResponse(result as HandlerResult), req);
}

const NOT_FOUND_HEADERS = { 'content-type': 'text/plain' };

/** The response object a result that is not a hand-off stands for. */
export function asResponse(result: HandlerResult): Response {
  if (result === null || result === undefined) return { status: 404, headers: { ...NOT_FOUND_HEADERS }, body: 'Not Found' };
  if (typeof result === 'string' || result instanceof Uint8Array) return { status: 200, body: result };
  return result as Response;
}

/** The value of header `name` (lower case) in `headers`, whatever case it was written in; repeated lines joined with ", ". */
export function headerOf(headers: ResponseHeaders | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return joinValue(direct);
  for (const key in headers) {
    const value = headers[key];
    if (value !== undefined && key.length === name.length && key.toLowerCase() === name) return joinValue(value);
  }
  return undefined;
}

function joinValue(value: HeaderValue): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * A copy of `headers` (none: an empty object) to set some of `names` (lower case) on: a header
 * named as one of them in another case is left out, so the caller's own line is the only one.
 * Headers named exactly so are copied, to be overwritten in place (removing them is the caller's
 * choice). The program's object is never changed (a response may be a shared constant). Copied a
 * property at a time: a spread copy (`{ ...old }`) is as fast to make, but each property added to
 * it afterwards cost V8 (Node 20) about 550 ns, against 22 ns for the whole copy made this way.
 */
export function headersToEdit(old: ResponseHeaders | undefined, names: readonly string[]): ResponseHeaders {
  const headers: ResponseHeaders = {};
  if (old === undefined || old === null) return headers;
  copy: for (const key in old) {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (key.length === name.length && key !== name && sameName(key, name)) continue copy;
    }
    headers[key] = old[key];
  }
  return headers;
}

/** Whether `key` is `lower` (a lower-case name of the same length) in any case, without a lower-cased copy. */
function sameName(key: string, lower: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * A copy of `response` with `changes` made to its headers: each name (lower case) replaces the
 * header of that name in any case, and `undefined` removes it. The program's objects are never
 * changed (a response may be a shared constant).
 */
export function withHeaders(response: Response, changes: Record<string, HeaderValue | undefined>): Response {
  const old = response.headers;
  const headers: ResponseHeaders = {};
  if (old !== undefined && old !== null) {
    for (const key in old) {
      // Names are usually written in lower case already: then no lower-cased copy is made.
      if (Object.hasOwn(changes, key)) continue;
      if (hasUpperCase(key) && Object.hasOwn(changes, key.toLowerCase())) continue;
      headers[key] = old[key];
    }
  }
  for (const key in changes) {
    const value = changes[key];
    if (value !== undefined) headers[key] = value;
  }
  return { status: response.status ?? 200, headers, body: response.body };
}

/**
 * `withHeaders` for one header, `name` in lower case: no object of changes to make and walk
 * (the common case, on every request of requestId and cors).
 */
export function withHeader(response: Response, name: string, value: HeaderValue): Response {
  const old = response.headers;
  const headers: ResponseHeaders = {};
  if (old !== undefined && old !== null) {
    for (const key in old) {
      if (key.length === name.length && key !== name && sameName(key, name)) continue;
      headers[key] = old[key];
    }
  }
  headers[name] = value;
  return { status: response.status ?? 200, headers, body: response.body };
}

function hasUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/** `Vary` with `token` added once (the value to set). */
export function varyWith(headers: ResponseHeaders | undefined, token: string): string {
  const vary = headerOf(headers, 'vary');
  if (vary === undefined || vary.trim() === '') return token;
  const lower = token.toLowerCase();
  for (const part of vary.split(',')) {
    const item = part.trim().toLowerCase();
    if (item === lower || item === '*') return vary;
  }
  return `${vary}, ${token}`;
}
