/**
 * Copies a body source (a Node Readable, a web ReadableStream, an async or sync iterable) to a
 * writer piece by piece, waiting whenever the writer's buffer is full, so a fast source never
 * piles up in memory. Server responses and client request bodies both go through it.
 *
 * @example
 * const sent = await pumpBody(file, { write: (c, n) => socket.write(c), drained, stopped: () => socket.destroyed });
 */

/** Where a pumped body goes. */
export interface PumpTarget {
  /** Writes one non-empty piece of `size` bytes; false when the writer's buffer is full. */
  write(chunk: Uint8Array | string, size: number): boolean;
  /** Resolves when the writer can take more (or has gone). */
  drained(): Promise<void>;
  /** True once nothing more should be written (the peer has gone): the source is released. */
  stopped(): boolean;
}

/**
 * Writes every piece of `source` to `target`. Resolves with the bytes written, or -1 when the
 * target stopped first (the source is then destroyed or cancelled by leaving the loop). A source
 * that fails rejects; a `limit` >= 0 that the source exceeds rejects with `tooLong(limit)`.
 */
export async function pumpBody(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  target: PumpTarget,
  limit = -1,
  tooLong: (limit: number) => Error = (n) => new RangeError(`body is longer than ${n} bytes`),
): Promise<number> {
  let sent = 0;
  for await (const chunk of source) {
    if (target.stopped()) return -1; // leaving the loop destroys / cancels the source
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (size === 0) continue;
    sent += size;
    if (limit >= 0 && sent > limit) throw tooLong(limit);
    if (!target.write(chunk, size)) await target.drained();
    if (target.stopped()) return -1;
  }
  return sent;
}
