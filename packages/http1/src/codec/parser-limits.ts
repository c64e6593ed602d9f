/**
 * The parser's configured limits, and the counting of bytes llhttp reads without a callback.
 * llhttp (llhttp-wasm 1.0.3 has no chunk-extension callbacks) skips padding, chunk extensions
 * and CRLFs silently, so their bytes are measured from the positions of the span and body
 * callbacks around them, where they can cost the most: a head's bytes in all (`maxHeadBytes`),
 * the bytes between pieces of body (a chunk-size line with its extensions, then the last chunk
 * and its trailers: `maxChunkLine`, trailers `maxHeaderBytes`) and a body's framing in all
 * (`maxFraming`).
 *
 * `HttpParser` is built on this class (through `SpanAssembler`): the counters are fields of the
 * parser itself, so counting costs no call to another object.
 */
import { ERROR } from './llhttp-module.js';

/** Which configured limit stopped the parse, if any. */
export const enum LimitExceeded {
  None = 0,
  Url = 1,
  /** The head's fields, or the trailers (their fields, or their bytes in all). */
  Headers = 2,
  /** A chunk-size line with its extensions (or the last chunk's) longer than `maxChunkLine`. */
  ChunkLine = 3,
  /** A body's framing (chunk-size lines, extensions, trailers) over `maxFraming` bytes. */
  Framing = 4,
}

export class ParserLimits {
  // Configured limits (0 = none).
  maxUrlLength = 0;
  maxHeaderBytes = 0;
  /**
   * Most bytes between two pieces of a body, or between the last piece and the trailers: the
   * CRLF ending a chunk, and the next chunk-size line with its extensions.
   */
  maxChunkLine = 0;
  /** Most bytes of a body's framing in all: every byte read after the head that is not body. */
  maxFraming = 0;
  /**
   * Most bytes of a head in all, from its target to its blank line, padding included (whitespace
   * llhttp skips before a value, which `maxHeaderBytes` does not see).
   */
  maxHeadBytes = 0;

  // The head being read (see countHead).
  private inHead = false;
  /** Where, in the chunk being parsed, the head's uncounted bytes start (-1: not known yet). */
  private headFrom = -1;
  /** Bytes of the head counted so far. */
  private headRead = 0;

  // Framing of the body being read (see countGap).
  /** Between the head and the end of the message: bytes that are not body are framing. */
  private inBody = false;
  /** Past the last chunk: the gap being counted is the trailers. */
  private inTrailers = false;
  /** Where, in the chunk being parsed, the bytes not yet counted start. */
  private gapFrom = 0;
  /** Bytes that were not body since the last piece of body (or the head, or the first trailer). */
  private gap = 0;
  /** Bytes that were not body since the head. */
  framingBytes = 0;

  limitExceeded: LimitExceeded = LimitExceeded.None;

  /** A new message: its head is being read. */
  protected resetCounts(): void {
    this.inBody = this.inTrailers = false;
    this.gap = this.framingBytes = 0;
    this.inHead = true;
    this.headFrom = -1;
    this.headRead = 0;
    this.limitExceeded = LimitExceeded.None;
  }

  /** Back to no message and no limits (a parser returned to the pool). */
  protected clearLimits(): void {
    this.limitExceeded = LimitExceeded.None;
    this.inBody = this.inHead = false;
    this.maxUrlLength = this.maxHeaderBytes = this.maxChunkLine = this.maxFraming = this.maxHeadBytes = 0;
  }

  /** A chunk starts: nothing of it counted yet (a head cut by the read goes on at its start). */
  protected countFromStart(): void {
    this.gapFrom = 0;
    this.headFrom = this.inHead ? 0 : -1;
  }

  /**
   * A span starts at `start` in this chunk: the head's first starts its counting, and the first
   * trailer field ends the last chunk's line (what came since the last piece of body).
   * ERROR.USER when that passes a limit, else 0.
   */
  protected countSpan(start: number): number {
    if (this.inHead && this.headFrom < 0) this.headFrom = start;
    if (this.inBody && !this.inTrailers) {
      const refused = this.countGap(start);
      if (refused !== 0) return refused;
      this.inTrailers = true;
      this.gap = 0;
    }
    return 0;
  }

  /** A piece of body at [start, start+length) in this chunk: what came since the last one was framing. */
  protected countBody(start: number, length: number): number {
    if (start !== this.gapFrom) {
      const refused = this.countGap(start);
      if (refused !== 0) return refused;
    }
    this.gap = 0;
    this.gapFrom = start + length;
    return 0;
  }

  /** The message is complete: what follows is not its framing. */
  protected messageEnded(): void {
    this.inBody = false;
  }

  /**
   * The rest of a chunk read inside a head or a body (padding, an extension, trailers) counts
   * too: ERROR.USER when that passes a limit, else 0.
   */
  protected countToEnd(length: number): number {
    if (this.inBody && this.countGap(length) !== 0) return ERROR.USER;
    return this.inHead ? this.countHead(length) : 0;
  }

  /**
   * The head ends a blank line after `spanEnd`, where its last field's span ended (or this
   * chunk's start): counts it, then counts framing from there (its CRLFs: a few bytes more).
   * ERROR.USER past `maxHeadBytes`, else 0.
   */
  protected headEnded(spanEnd: number): number {
    if (this.countHead(Math.max(spanEnd, this.headFrom) + 4) !== 0) return ERROR.USER;
    this.inHead = false;
    this.inBody = true;
    this.inTrailers = false;
    this.gapFrom = spanEnd;
    this.gap = this.framingBytes = 0;
    return 0;
  }

  /**
   * Counts the bytes of this chunk from `gapFrom` to `at` as framing and checks the limits;
   * returns ERROR.USER (with `limitExceeded` set) when one is passed, else 0.
   */
  private countGap(at: number): number {
    const skipped = at - this.gapFrom;
    this.gapFrom = at;
    this.gap += skipped;
    this.framingBytes += skipped;
    if (this.inTrailers) {
      if (this.maxHeaderBytes > 0 && this.gap > this.maxHeaderBytes) return this.exceed(LimitExceeded.Headers);
    } else if (this.maxChunkLine > 0 && this.gap > this.maxChunkLine) {
      return this.exceed(LimitExceeded.ChunkLine);
    }
    if (this.maxFraming > 0 && this.framingBytes > this.maxFraming) return this.exceed(LimitExceeded.Framing);
    return 0;
  }

  /** Counts the head's bytes of this chunk up to `at`; ERROR.USER past `maxHeadBytes`. */
  private countHead(at: number): number {
    if (this.headFrom < 0) return 0; // the head's first span is still to come: a method's few bytes
    this.headRead += at - this.headFrom;
    this.headFrom = at;
    return this.maxHeadBytes > 0 && this.headRead > this.maxHeadBytes ? this.exceed(LimitExceeded.Headers) : 0;
  }

  /**
   * A limit passed at the end of an execute (see countToEnd) stops the message: no more counting.
   * Returns what to call it, as llhttp words a callback's refusal.
   */
  protected stopAtLimit(): string {
    const reason =
      this.limitExceeded === LimitExceeded.ChunkLine
        ? 'Chunk extensions too large'
        : this.limitExceeded === LimitExceeded.Framing
          ? 'Chunked framing too large'
          : this.inHead
            ? 'Head too large'
            : 'Trailers too large';
    this.inBody = this.inHead = false;
    return reason;
  }

  protected exceed(limit: LimitExceeded): number {
    this.limitExceeded = limit;
    return ERROR.USER;
  }
}
