/**
 * Streaming UTF-8 validation for text that arrives in pieces: a frame's payload as TCP reads cut
 * it, a message's fragments, inflated output as zlib makes it. Each piece is checked as it comes,
 * so bad text fails in the piece that holds its first bad byte (fail fast, as Autobahn's 6.4.x
 * ask), while a sequence cut across pieces is fine: the sequence in progress is carried over.
 * The bulk of a piece goes to Node's `isUtf8` (simdutf, which has its own ASCII fast path); only
 * the bytes around a cut, and pieces too short to be worth a native call, go through the
 * byte-wise state machine below (ASCII skipped in a tight loop there too).
 *
 * Well-formed means RFC 3629: no overlong forms, no surrogates (U+D800-DFFF), nothing above
 * U+10FFFF. The state machine checks the second byte of a sequence against the range its lead
 * allows (Unicode table 3-7), so those are all caught at the byte that makes them invalid.
 *
 * @example
 * const v = new Utf8Validator();
 * v.feed(Buffer.from([0xe2, 0x82])); // true: a cut sequence so far
 * v.feed(Buffer.from([0xac]));       // true: '€' complete
 * v.end();                           // true: nothing left open
 */
import { isUtf8 } from 'node:buffer';

/** Pieces of at most this many bytes go byte by byte: a native call would cost more than the loop. */
const BYTEWISE_MAX = 24;

// By lead byte: how many continuation bytes follow (0 for ASCII, -1 when it cannot start a
// sequence: a continuation byte, C0, C1, F5-FF).
const NEEDED = new Int8Array(256);
// By lead byte: the range its first continuation byte must fall in.
const LOW = new Uint8Array(256);
const HIGH = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  NEEDED[b] = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
  LOW[b] = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  HIGH[b] = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
}

export class Utf8Validator {
  /** Continuation bytes still expected by the sequence in progress. */
  private needed = 0;
  /** The range the next continuation byte must fall in. */
  private low = 0x80;
  private high = 0xbf;
  private failed = false;

  /** Checks the next bytes of the text. False once anything so far is not UTF-8 (until `reset`). */
  feed(bytes: Uint8Array): boolean {
    if (this.failed) return false;
    const length = bytes.length;
    let i = 0;
    if (length <= BYTEWISE_MAX) {
      for (; i < length; i++) {
        const byte = bytes[i];
        if (byte < 0x80 && this.needed === 0) continue;
        if (!this.step(byte)) return false;
      }
      return true;
    }
    // Finish a sequence cut by the previous piece.
    while (this.needed > 0 && i < length) {
      if (!this.step(bytes[i])) return false;
      i++;
    }
    if (i === length) return true;
    // A sequence left open at the end is validated by the state machine; the rest in bulk.
    const tail = openTail(bytes, i);
    // (A piece that is all complete sequences, the usual case, is checked without a view of it.)
    if (tail > i && !isUtf8(i === 0 && tail === length ? bytes : bytes.subarray(i, tail))) return this.fail();
    for (let j = tail; j < length; j++) if (!this.step(bytes[j])) return false;
    return true;
  }

  /**
   * True while a sequence begun in an earlier piece is waiting for its continuation bytes; false
   * when the next byte starts afresh (so a piece that ends the text may go to `isUtf8` whole).
   */
  get midSequence(): boolean {
    return this.needed > 0;
  }

  /** The text has ended: false when it is not UTF-8 or stops inside a sequence. */
  end(): boolean {
    return !this.failed && this.needed === 0;
  }

  /** Ready for a new text. */
  reset(): void {
    this.needed = 0;
    this.low = 0x80;
    this.high = 0xbf;
    this.failed = false;
  }

  private step(byte: number): boolean {
    if (this.needed === 0) {
      const needed = NEEDED[byte];
      if (needed < 0) return this.fail();
      this.needed = needed;
      this.low = LOW[byte];
      this.high = HIGH[byte];
      return true;
    }
    if (byte < this.low || byte > this.high) return this.fail();
    this.needed--;
    this.low = 0x80;
    this.high = 0xbf;
    return true;
  }

  private fail(): false {
    this.failed = true;
    return false;
  }
}

/**
 * Where a sequence that the end of `bytes` cuts short begins (`bytes.length` when none does):
 * the last lead byte among the final three, if its sequence runs past the end. Anything else
 * odd at the end (a stray continuation byte) is left to the bulk check, which rejects it.
 */
function openTail(bytes: Uint8Array, start: number): number {
  const length = bytes.length;
  for (let i = length - 1; i >= start && i >= length - 3; i--) {
    const byte = bytes[i];
    if ((byte & 0xc0) !== 0x80) {
      // A lead byte (or ASCII). An invalid lead is also handed to the state machine: it fails there.
      const needed = NEEDED[byte];
      return needed < 0 || i + needed >= length ? i : length;
    }
  }
  return length;
}
