/**
 * Buffer helpers the parser and the writers share.
 */

/** An empty buffer shared by everyone who needs one. */
export const EMPTY = Buffer.alloc(0);

/** Up to this length a JS copy loop beats a call into C++ (`latin1Write`). */
const SHORT_TEXT = 64;

/**
 * Writes `text` as latin1 at `offset` and returns the offset after it. Header-sized strings are
 * copied by a JS loop, which costs less than the native call; longer ones go to `latin1Write`.
 */
export function writeLatin1(buf: Buffer, text: string, offset: number): number {
  const length = text.length;
  if (length > SHORT_TEXT) return offset + buf.latin1Write(text, offset);
  for (let i = 0; i < length; i++) buf[offset + i] = text.charCodeAt(i);
  return offset + length;
}

/** Byte length of a body chunk given as a string (utf-8) or bytes. */
export function byteLength(chunk: string | Uint8Array): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
}

/**
 * A FIFO of byte chunks with a running byte count: the place bytes wait while a consumer is
 * not ready (pipelined requests behind a busy one, a body nobody has read yet).
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  /** Total bytes queued. */
  bytes = 0;

  get length(): number {
    return this.chunks.length - this.head;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** Puts a chunk back in front (the unread rest of one that was only partly consumed). */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.head > 0) this.chunks[--this.head] = chunk;
    else this.chunks.unshift(chunk);
    this.bytes += chunk.length;
  }

  shift(): Buffer | undefined {
    if (this.head >= this.chunks.length) return undefined;
    const chunk = this.chunks[this.head];
    this.chunks[this.head++] = undefined as unknown as Buffer;
    this.bytes -= chunk.length;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    }
    return chunk;
  }

  /** Everything queued as one buffer (copies only when there is more than one chunk). */
  drain(): Buffer {
    const live = this.chunks.slice(this.head);
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
    return live.length === 1 ? live[0] : Buffer.concat(live);
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
  }
}
