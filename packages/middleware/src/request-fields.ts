/**
 * The fields the middleware add to the request map, declared on `Request` so handlers see them
 * typed once this package is imported.
 */
import type { Readable } from 'node:stream';

/** An uploaded file as `multipart()` leaves it: on disk until the answer is done. */
export interface MultipartFile {
  /** The file name the client gave (as sent; never use it as a path). */
  filename: string;
  /** The part's Content-Type (default `application/octet-stream`). */
  contentType: string;
  /** Bytes written. */
  size: number;
  /** Where the bytes are: a file in the temporary directory, removed once the answer is done. */
  tempfile: string;
}

/** One part of a multipart body, with `multipart({ streams: true })`: read its `body` before asking for the next part. */
export interface MultipartPart {
  /** The form field's name. */
  name: string;
  /** The file name, or null for a plain field. */
  filename: string | null;
  contentType: string;
  /** The part's headers, names in lower case. */
  headers: Record<string, string>;
  /** The part's bytes as they arrive (limits apply: a part over its limit errors the stream). */
  body: Readable;
}

declare module '@http-kit/http1' {
  interface Request {
    /** Set by `requestId()`: the request's id (the client's when valid, else a new UUID). */
    id?: string;
    /** Set by `formParams()`: the url-encoded form body; a repeated key is an array in order. */
    formParams?: Record<string, string | string[]>;
    /** Set by `multipart()`: fields as strings, files as `MultipartFile` (or, with `streams`, parts to read). */
    multipartParams?: Record<string, string | MultipartFile | Array<string | MultipartFile>>;
    /** Set by `multipart({ streams: true })`: the parts, one at a time, as the body arrives. */
    multipartParts?: AsyncIterable<MultipartPart>;
  }
}
