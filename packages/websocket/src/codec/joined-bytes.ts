/**
 * Bytes gathered piece by piece and wanted as one Buffer at the end: a frame's payload cut by
 * TCP reads, a message's fragments. Small pieces are copied as they come into a block, so a peer
 * that sends a payload one byte per TCP segment, or a message in a million one-byte fragments,
 * costs about its bytes, not a Buffer view (and the socket chunk it pins) per piece. Large pieces
 * that fill most of their memory are kept as views, uncopied.
 *
 * Each kept part is either a view of at least VIEW_MIN bytes or a block region (a block is cut
 * only when it is full or a view comes between), so the parts' overhead is a few percent of the
 * bytes at worst, and memory at most about twice the bytes.
 *
 * @example
 * const payload = new JoinedBytes();
 * socket.on('data', (chunk) => {
 *   payload.add(chunk, announced - payload.length);
 *   if (payload.length === announced) deliver(payload.take());
 * });
 */

/** Pieces at least this long are kept as views (when they are at least half their memory). */
const VIEW_MIN = 4 * 1024;
/** The most a block is made for small pieces at once. */
const BLOCK = 16 * 1024;

const EMPTY: Buffer = Buffer.alloc(0);

export class JoinedBytes {
  /** Bytes added since the last take(). */
  length = 0;
  private parts: Buffer[] | null = null;
  /** Where small pieces are copied: [start, used) is not yet in `parts`. */
  private block: Buffer | null = null;
  private start = 0;
  private used = 0;

  /**
   * Adds `piece`. `expected` is how many more bytes are likely to come, this piece included (it
   * sizes the block; anything works). The piece's memory is not kept when it is copied.
   */
  add(piece: Buffer, expected: number): void {
    const n = piece.length;
    if (n === 0) return;
    this.length += n;
    // A view costs a list entry and keeps its whole ArrayBuffer alive: only for pieces that are
    // large and most of that memory.
    if (n >= VIEW_MIN && n * 2 >= piece.buffer.byteLength) {
      this.cut();
      (this.parts ??= []).push(piece);
      return;
    }
    let block = this.block;
    if (block === null || block.length - this.used < n) {
      this.cut();
      block = this.block = Buffer.allocUnsafe(Math.max(n, Math.min(BLOCK, expected)));
      this.start = this.used = 0;
    }
    piece.copy(block, this.used);
    this.used += n;
  }

  /** Everything added, as one Buffer (a view when it is in one part); starts over empty. */
  take(): Buffer {
    this.cut();
    const parts = this.parts;
    const length = this.length;
    this.clear();
    if (parts === null) return EMPTY;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
  }

  /** Lets go of everything added. */
  clear(): void {
    this.parts = null;
    this.block = null;
    this.start = this.used = 0;
    this.length = 0;
  }

  /** Moves the block's filled region to the parts; the block's rest may still be filled. */
  private cut(): void {
    if (this.used === this.start) return;
    (this.parts ??= []).push(this.block!.subarray(this.start, this.used));
    this.start = this.used;
  }
}
