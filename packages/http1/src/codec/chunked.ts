/**
 * Chunked transfer coding (RFC 9112 7.1) as bytes, for writers on both sides: a chunk is its
 * size line, the data and a CRLF, written in one go through anything that can cork.
 */

export const CRLF = Buffer.from('\r\n', 'latin1');
/** The last chunk of a chunked body, with no trailers. */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

import type { ChunkSink } from '@http-kit/core';

export type { ChunkSink };

/** The `size CRLF` line before a chunk of `size` bytes. */
export function chunkSizeLine(size: number): string {
  return size.toString(16) + '\r\n';
}

/** Writes one chunk (size line, data, CRLF) as one batch; returns what the last write returned. */
export function writeChunk(sink: ChunkSink, chunk: Uint8Array | string, size: number): boolean {
  sink.cork();
  sink.write(chunkSizeLine(size), 'latin1');
  sink.write(chunk);
  const ok = sink.write(CRLF);
  sink.uncork();
  return ok;
}
