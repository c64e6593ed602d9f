/**
 * What a handler may return as a response body, and how the writer tells the kinds apart.
 */
import type { Readable } from 'node:stream';
import { describe } from '@http-kit/core';
import { InvalidBodyError } from '../errors.js';
import type { HeaderFields, HeaderValue } from '../codec/header-types.js';

/** A file to send from disk: streamed, with Content-Length from `stat`. */
export class FileBody {
  constructor(
    readonly path: string,
    /** Optional byte range within the file (inclusive start, exclusive end). */
    readonly start?: number,
    readonly end?: number,
  ) {}
}

/**
 * A file as a response body, sent without loading it into memory.
 *
 * @example
 * return { status: 200, headers: { 'content-type': 'text/html' }, body: file('./index.html') };
 */
export function file(path: string): FileBody {
  return new FileBody(path);
}

export type ResponseBody =
  | string
  | Buffer
  | Uint8Array
  | FileBody
  | Readable
  | ReadableStream<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>
  | null
  | undefined;

export type { HeaderValue };
export type ResponseHeaders = HeaderFields;

/**
 * A Ring response: `{status, headers, body}`, each optional, nothing else.
 *
 * Written as three shapes so that a misspelt key is a compile error even where TypeScript makes
 * no excess-property check (the object a handler's arrow function returns): with a `status` key,
 * any object of these keys; without one, every other key must hold headers or a body, so
 * `{ staus: 201, body: 'x' }` (a number under an unknown key) is refused.
 *
 * @example
 * const created: Response = { status: 201, headers: { location: '/items/7' }, body: 'made' };
 */
export type Response =
  | { status: number | undefined; headers?: ResponseHeaders; body?: ResponseBody }
  | { status?: undefined; headers: ResponseHeaders; body?: ResponseBody; [other: string]: ResponseHeaders | ResponseBody }
  | { status?: undefined; headers?: undefined; body?: ResponseBody; [other: string]: ResponseBody };

export const BodyKind = {
  Empty: 0,
  Bytes: 1,
  Text: 2,
  File: 3,
  Stream: 4,
} as const;
/** One of the kinds in `BodyKind`. */
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

export function bodyKind(body: unknown): BodyKind {
  if (body === null || body === undefined) return BodyKind.Empty;
  if (typeof body === 'string') return BodyKind.Text;
  if (body instanceof Uint8Array) return BodyKind.Bytes;
  if (body instanceof FileBody) return BodyKind.File;
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return BodyKind.Stream;
  if (typeof (body as Iterable<unknown>)[Symbol.iterator] === 'function') return BodyKind.Stream;
  throw new InvalidBodyError(`Unsupported response body type: ${describe(body)} (a string, bytes, file(), a stream or an iterable)`);
}

/** Whether a handler's return value is a bare body rather than a response object. */
export function isBareBody(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}
