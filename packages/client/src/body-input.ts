/**
 * The options that give a request its body (`body`, `json`, `formParams`, `multipart`), turned
 * into what is sent: bytes, or a stream sent as it is read, and the Content-Type they imply.
 * At most one of them: `json` beside another is refused, the others go by precedence (json,
 * multipart, formParams, body).
 */
import type { Readable } from 'node:stream';
import { InvalidRequestError } from './errors.js';
import { encodeMultipart, type MultipartPart } from './multipart.js';

/** What a query or form parameter may be: repeated when an array. */
export type ParamValue = string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>;

/** A request body: bytes, or a stream sent as it is read (chunked when its length is unknown). */
export type BodyInput = string | Uint8Array | Readable | AsyncIterable<Uint8Array | string>;

/** The ways to give a request a body. */
export interface BodyOptions {
  body?: BodyInput | null;
  /**
   * A value sent as a JSON body: `JSON.stringify(json)`, with `Content-Type: application/json`
   * unless `headers` set one. `undefined` means none (`null` sends `null`); refused with `body`,
   * `formParams` or `multipart`. Resent by a 307/308 like any buffered body.
   *
   * @example
   * const res = await post(url, { json: { name: 'x' }, as: 'json' });
   */
  json?: unknown;
  /** Sent as an `application/x-www-form-urlencoded` body. */
  formParams?: Record<string, ParamValue>;
  /** Sent as a `multipart/form-data` body. */
  multipart?: MultipartPart[];
}

/** A prepared request's body. */
export interface PreparedBody {
  body: Buffer | null;
  bodyStream: Readable | AsyncIterable<Uint8Array | string> | null;
  /** Whether the same request can be sent again (for a retry or a 307/308). */
  replayable: boolean;
}

/** Fills `into` with the body `opts` give (none when they give none); returns the Content-Type it implies, or null. */
export function prepareBody(into: PreparedBody, opts: BodyOptions): string | null {
  let body: Buffer | null = null;
  let stream: Readable | AsyncIterable<Uint8Array | string> | null = null;
  let contentType: string | null = null;
  if (opts.json !== undefined) {
    body = jsonBody(opts);
    contentType = 'application/json';
  } else if (opts.multipart !== undefined) {
    const encoded = encodeMultipart(opts.multipart);
    if (Buffer.isBuffer(encoded.body)) body = encoded.body;
    else stream = encoded.body;
    contentType = encoded.contentType;
  } else if (opts.formParams !== undefined) {
    body = Buffer.from(encodeParams(opts.formParams), 'utf8');
    contentType = 'application/x-www-form-urlencoded';
  } else if (opts.body !== undefined && opts.body !== null) {
    const input = opts.body;
    if (typeof input === 'string') body = Buffer.from(input, 'utf8');
    else if (input instanceof Uint8Array)
      body = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    else if (typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
      stream = input as AsyncIterable<Uint8Array | string>;
    else
      throw new InvalidRequestError(
        `unsupported body type ${Object.prototype.toString.call(input)}: a string, a Uint8Array, a Readable or an async iterable`,
      );
  }
  into.body = body;
  into.bodyStream = stream;
  into.replayable = stream === null;
  return contentType;
}

/** The bytes of the `json` option; refuses the other body options beside it, and values JSON cannot carry. */
function jsonBody(opts: BodyOptions): Buffer {
  const other =
    opts.body !== undefined && opts.body !== null
      ? 'body'
      : opts.formParams !== undefined
        ? 'formParams'
        : opts.multipart !== undefined
          ? 'multipart'
          : null;
  if (other !== null) throw new InvalidRequestError(`json and ${other} both give the request body: pass one of them`);
  let text: string | undefined;
  try {
    text = JSON.stringify(opts.json);
  } catch (error) {
    // A cycle, a BigInt, a throwing toJSON.
    throw new InvalidRequestError(`json cannot be serialised: ${(error as Error).message}`, { cause: error });
  }
  // A function or a symbol: JSON.stringify has no text for it (and would drop it silently in an object).
  if (text === undefined) throw new InvalidRequestError(`json cannot be serialised: JSON has no text for a ${typeof opts.json}`);
  return Buffer.from(text, 'utf8');
}

/** `a=1&b=x+y&b=z`: form encoding (as URLSearchParams does it), for form bodies and query strings. */
export function encodeParams(params: Record<string, ParamValue>): string {
  const search = new URLSearchParams();
  for (const name in params) {
    const value = params[name];
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') for (const item of value) search.append(name, String(item));
    else search.append(name, String(value));
  }
  return search.toString();
}
