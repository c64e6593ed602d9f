/**
 * Content-Encoding decoding with node:zlib: gzip, deflate (zlib-wrapped or, as some servers
 * send it, raw) and br. A buffered body is decoded in one call on the thread pool with the
 * output capped at `maxBody`; a streamed body goes through a zlib Transform.
 *
 * Like browsers, a stream cut short after its last full block is accepted (sync flush at the
 * end) rather than failing the whole response.
 */
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { kMaxLength } from 'node:buffer';

export const Coding = {
  Identity: 0,
  Gzip: 1,
  Deflate: 2,
  Brotli: 3,
} as const;
/** One of the codings in `Coding`. */
export type Coding = (typeof Coding)[keyof typeof Coding];

/** The coding of a Content-Encoding value we can decode, Identity for none, -1 for one we cannot. */
export function codingOf(contentEncoding: string | string[] | undefined): number {
  if (contentEncoding === undefined) return Coding.Identity;
  const value = (typeof contentEncoding === 'string' ? contentEncoding : contentEncoding.join(',')).trim().toLowerCase();
  switch (value) {
    case '':
    case 'identity':
      return Coding.Identity;
    case 'gzip':
    case 'x-gzip':
      return Coding.Gzip;
    case 'deflate':
      return Coding.Deflate;
    case 'br':
      return Coding.Brotli;
  }
  return -1;
}

/** Whether a deflate body starts with a zlib header (RFC 1950) rather than raw deflate data. */
function zlibWrapped(first: Buffer): boolean {
  return first.length < 2 || ((first[0] & 0x0f) === 8 && ((first[0] << 8) | first[1]) % 31 === 0);
}

const zlibOptions = (maxOutputLength: number): zlib.ZlibOptions => ({
  finishFlush: zlib.constants.Z_SYNC_FLUSH,
  maxOutputLength: Number.isFinite(maxOutputLength) ? Math.min(maxOutputLength + 1, kMaxLength) : undefined,
});

/**
 * Decodes a whole body. `done` gets the decoded bytes, or an error; a RangeError means the
 * output passed `maxOutput`.
 */
export function decodeBody(coding: number, body: Buffer, maxOutput: number, done: (error: Error | null, result: Buffer) => void): void {
  switch (coding) {
    case Coding.Gzip:
      zlib.gunzip(body, zlibOptions(maxOutput), done);
      return;
    case Coding.Deflate:
      if (zlibWrapped(body)) zlib.inflate(body, zlibOptions(maxOutput), done);
      else zlib.inflateRaw(body, zlibOptions(maxOutput), done);
      return;
    case Coding.Brotli:
      zlib.brotliDecompress(
        body,
        {
          finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
          maxOutputLength: Number.isFinite(maxOutput) ? Math.min(maxOutput + 1, kMaxLength) : undefined,
        },
        done,
      );
      return;
  }
  done(null, body);
}

/** A Transform decoding a streamed body; `first` is its first chunk (to tell zlib from raw deflate). */
export function createDecoder(coding: number, first: Buffer): Transform {
  const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (coding) {
    case Coding.Gzip:
      return zlib.createGunzip(options);
    case Coding.Deflate:
      return zlibWrapped(first) ? zlib.createInflate(options) : zlib.createInflateRaw(options);
    default:
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  }
}
