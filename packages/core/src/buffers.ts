/**
 * Buffer helpers the parser and the writers share.
 */

/** An empty buffer shared by everyone who needs one. */
export const EMPTY = Buffer.alloc(0);

/**
 * Decodes bytes as latin1 (one char per byte, as HTTP header bytes are defined) straight from
 * the buffer, without a TextDecoder or an intermediate copy.
 */
export function latin1(buf: Buffer, start: number, end: number): string {
  return buf.latin1Slice(start, end);
}

/** Writes `text` as latin1 at `offset` and returns the offset after it. */
export function writeLatin1(buf: Buffer, text: string, offset: number): number {
  return offset + buf.latin1Write(text, offset);
}

/** Byte length of a body chunk given as a string (utf-8) or bytes. */
export function byteLength(chunk: string | Uint8Array): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
}

/** Views any Uint8Array as a Buffer without copying. */
export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
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
