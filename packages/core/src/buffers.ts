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

/** Chunks up to this long are copied together as they are queued. */
const JOIN_BELOW = 512;
/** The block they are copied into. */
const JOIN_BLOCK = 4096;

/**
 * A FIFO of byte chunks with a running byte count: the place bytes wait while a consumer is
 * not ready (pipelined requests behind a busy one, a body nobody has read yet).
 *
 * Small chunks pushed one after another are copied into one block and queued as one view of it,
 * so a peer that sends one byte per TCP segment costs about its bytes while they wait, not a
 * Buffer (~440 bytes) per segment. A view already handed out by `shift()` is never extended.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  /** Total bytes queued. */
  bytes = 0;
  /** The block small chunks are copied into (null when none is being filled). */
  private block: Buffer | null = null;
  /** Where the last queued chunk starts in `block` when it is a view of it; -1 when it is not. */
  private joinStart = -1;
  private blockUsed = 0;

  get length(): number {
    return this.chunks.length - this.head;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    this.bytes += n;
    if (n > JOIN_BELOW) {
      this.chunks.push(chunk);
      this.joinStart = -1;
      return;
    }
    let block = this.block;
    if (block !== null && this.joinStart >= 0 && block.length - this.blockUsed >= n) {
      // Extend the last queued chunk, a view of the block not yet handed out.
      chunk.copy(block, this.blockUsed);
      this.blockUsed += n;
      this.chunks[this.chunks.length - 1] = block.subarray(this.joinStart, this.blockUsed);
      return;
    }
    if (block === null || block.length - this.blockUsed < n) {
      block = this.block = Buffer.allocUnsafe(JOIN_BLOCK);
      this.blockUsed = 0;
    }
    chunk.copy(block, this.blockUsed);
    this.joinStart = this.blockUsed;
    this.blockUsed += n;
    this.chunks.push(block.subarray(this.joinStart, this.blockUsed));
  }

  /** Puts a chunk back in front (the unread rest of one that was only partly consumed). */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.head >= this.chunks.length) this.joinStart = -1; // the queue was empty: its last chunk is this one
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
      this.forgetBlock(); // the last chunk is handed out: it must not grow any more
    }
    return chunk;
  }

  /** Everything queued as one buffer (copies only when there is more than one chunk). */
  drain(): Buffer {
    const live = this.chunks.slice(this.head);
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
    this.forgetBlock();
    return live.length === 1 ? live[0] : Buffer.concat(live);
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
    this.forgetBlock();
  }

  /** Nothing queued is a view being filled: the block is let go (what was handed out keeps its bytes). */
  private forgetBlock(): void {
    this.block = null;
    this.joinStart = -1;
    this.blockUsed = 0;
  }
}
