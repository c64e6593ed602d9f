/**
 * Our binding over llhttp's wasm build: `HttpParser` owns a native parser, copies each socket
 * chunk into wasm memory, and turns llhttp's callbacks into calls on a long-lived `ParserEvents`
 * object (no closures per message). The server, the client and the codec entry import it.
 *
 * One object, one file, in three parts that work on the same chunk in the same callbacks:
 *
 * - a parser's life: pool, execute, finish, resume, its results and events. Body bytes are handed
 *   on as views of the caller's chunk: no copy out of wasm memory. On an error, llhttp's error
 *   name, reason and byte offset are kept for the error response.
 * - spans: URL, status text, header and trailer fields, decoded as latin1 straight from the
 *   caller's chunk (a span's `at` pointer maps back to an offset in it) without a TextDecoder. A
 *   span cut by a read boundary is joined to its rest from the next chunk, never reported twice;
 *   the chunk is decoded a window at a time and each span cut from it with substring; common
 *   header names come out interned (header-names.ts).
 * - limits: the configured ones, and the counting of bytes llhttp reads without a callback.
 *   llhttp (llhttp-wasm 1.0.3 has no chunk-extension callbacks) skips padding, chunk extensions
 *   and CRLFs silently, so their bytes are measured from the positions of the span and body
 *   callbacks around them: a head's bytes in all (`maxHeadBytes`), the bytes between pieces of
 *   body (a chunk-size line with its extensions, then the last chunk and its trailers:
 *   `maxChunkLine`, trailers `maxHeaderBytes`) and a body's framing in all (`maxFraming`).
 *
 * The wasm instance, its input region and the callbacks into the running parser are
 * llhttp-instance.ts.
 *
 * @example
 * const parser = HttpParser.acquire(TYPE_REQUEST, events);
 * const result = parser.execute(chunk); // events.onHeadersComplete(...) etc. run meanwhile
 * if (result === ParseResult.Error) console.log(parser.errorName, parser.errorReason);
 */
import { internHeaderName } from './header-names.js';
import { cString, copyIn, init, readHead, runExecute, runFinish, SpanKind, wasm, type NativeCallbacks } from './llhttp-instance.js';
import { ERROR, METHOD_NAMES, METHOD_NAMES_UPPER, TYPE_REQUEST, TYPE_RESPONSE } from './llhttp-module.js';

export { TYPE_REQUEST, TYPE_RESPONSE, METHOD_NAMES, METHOD_NAMES_UPPER };

/** What the owner of a parser reacts to. Return values follow llhttp (0 = go on). */
export interface ParserEvents {
  onMessageBegin(parser: HttpParser): number;
  /** Return 0 to go on, 1 to read no body (a response to HEAD), 2 to stop for an upgrade, or `PAUSE`. */
  onHeadersComplete(parser: HttpParser, upgrade: boolean, shouldKeepAlive: boolean): number;
  onBody(parser: HttpParser, chunk: Buffer): number;
  onMessageComplete(parser: HttpParser): number;
}

/** Return this from a callback to stop `execute` right after the current event. */
export const PAUSE = ERROR.PAUSED;

/**
 * What `execute` (and `finish`) returned.
 *
 * @example
 * if (parser.execute(chunk) === ParseResult.Paused) keep(chunk.subarray(parser.offset));
 */
export const ParseResult = {
  Ok: 0,
  /** A callback paused; `parser.offset` is where the unread rest of the chunk starts. */
  Paused: 1,
  /** An upgrade (or CONNECT) request ended its head; `parser.offset` is where the new protocol's bytes start. */
  Upgrade: 2,
  Error: 3,
} as const;
export type ParseResult = (typeof ParseResult)[keyof typeof ParseResult];

/**
 * Which configured limit stopped the parse, if any (`parser.limitExceeded`).
 *
 * @example
 * if (parser.limitExceeded === LimitExceeded.Url) answer(414);
 */
export const LimitExceeded = {
  None: 0,
  Url: 1,
  /** The head's fields, or the trailers (their fields, or their bytes in all). */
  Headers: 2,
  /** A chunk-size line with its extensions (or the last chunk's) longer than `maxChunkLine`. */
  ChunkLine: 3,
  /** A body's framing (chunk-size lines, extensions, trailers) over `maxFraming` bytes. */
  Framing: 4,
} as const;
export type LimitExceeded = (typeof LimitExceeded)[keyof typeof LimitExceeded];

/** Bytes of a chunk decoded at once for header spans. */
const DECODE_WINDOW = 4096;
/** Bytes of framing each header line costs beyond its name and value (": " and CRLF). */
const HEADER_LINE_OVERHEAD = 4;
const NO_TRAILERS: string[] = [];

const pool: HttpParser[] = [];
const POOL_LIMIT = 4096;

export class HttpParser implements NativeCallbacks {
  /** The native parser (a pointer into wasm memory). */
  private readonly ptr: number;
  /** TYPE_REQUEST or TYPE_RESPONSE. */
  readonly type: number;
  events: ParserEvents;

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

  // The message being parsed, valid from onHeadersComplete on.
  method = 0;
  statusCode = 0;
  versionMajor = 1;
  versionMinor = 1;
  url = '';
  statusText = '';
  /** Header names and values, alternating, as sent (names keep their case). */
  rawHeaders: string[] = [];
  /** Trailer fields of a chunked body, the same way, once the message is complete. */
  rawTrailers: string[] = NO_TRAILERS;

  // Results of the last execute.
  /** Offset in the last chunk where parsing stopped (pause, upgrade or error). */
  offset = 0;
  errorCode = 0;
  errorName = '';
  errorReason = '';
  limitExceeded: LimitExceeded = LimitExceeded.None;
  /** Bytes that were not body since the head. */
  framingBytes = 0;

  // The chunk being parsed (set by execute, for the callbacks of that call).
  private chunk: Buffer | null = null;
  /** A window of the chunk decoded once, spans cut from it with substring (see decode()). */
  private windowText = '';
  private windowStart = 0;
  private windowEnd = 0;
  /** The chunk's first and past-the-end addresses in wasm memory. */
  private base = 0;
  private end = 0;

  // Spans.
  /** Where field and value spans go: the headers, then (after the head) the trailers (null until the first). */
  private fields: string[] | null = this.rawHeaders;
  private lastSpan: SpanKind = SpanKind.None;
  /** Where the last span ended in its chunk: -1 none, -2 at the chunk's end (it may go on in the next). */
  private lastSpanEnd = -1;
  private headerBytes = 0;
  /** Where the last span of this execute ended in the chunk (0: none yet). */
  private spanEnd = 0;

  // Counting the head (see countHead).
  private inHead = false;
  /** Where, in the chunk being parsed, the head's uncounted bytes start (-1: not known yet). */
  private headFrom = -1;
  /** Bytes of the head counted so far. */
  private headRead = 0;

  // Counting a body's framing (see countGap).
  /** Between the head and the end of the message: bytes that are not body are framing. */
  private inBody = false;
  /** Past the last chunk: the gap being counted is the trailers. */
  private inTrailers = false;
  /** Where, in the chunk being parsed, the bytes not yet counted start. */
  private gapFrom = 0;
  /** Bytes that were not body since the last piece of body (or the head, or the first trailer). */
  private gap = 0;

  private constructor(type: number, events: ParserEvents) {
    init();
    this.ptr = wasm.llhttp_alloc(type);
    this.type = type;
    this.events = events;
  }

  /** A parser for `type` (TYPE_REQUEST or TYPE_RESPONSE), from the pool when one is free. */
  static acquire(type: number, events: ParserEvents): HttpParser {
    const pooled = type === TYPE_REQUEST ? pool.pop() : undefined;
    if (pooled !== undefined) {
      pooled.events = events;
      return pooled;
    }
    return new HttpParser(type, events);
  }

  /** Resets the parser and returns it to the pool (request parsers) or frees it. */
  release(): void {
    // Message state is reset at the next message's first byte; llhttp's own state here, and the
    // limits, which the next owner sets.
    wasm.llhttp_reset(this.ptr);
    this.limitExceeded = LimitExceeded.None;
    this.inBody = this.inHead = false;
    this.maxUrlLength = this.maxHeaderBytes = this.maxChunkLine = this.maxFraming = this.maxHeadBytes = 0;
    this.events = NO_EVENTS;
    if (this.type === TYPE_REQUEST && pool.length < POOL_LIMIT) pool.push(this);
    else this.destroy();
  }

  /** Frees the native parser for good. */
  destroy(): void {
    wasm.llhttp_free(this.ptr);
  }

  get methodName(): string {
    return METHOD_NAMES[this.method];
  }

  /** Inside `execute` (its callbacks run now): the chunk is set for exactly that long. */
  get executing(): boolean {
    return this.chunk !== null;
  }

  /** Parses `chunk`; callbacks run meanwhile. See `ParseResult` and `offset`. */
  execute(chunk: Buffer): ParseResult {
    const length = chunk.length;
    const input = copyIn(chunk);
    // Kept for an execute called from one of this parser's own callbacks: the outer one's spans
    // go on reading its chunk afterwards.
    const previousChunk = this.chunk;
    const previousWindow = this.windowText;
    const previousWindowStart = this.windowStart;
    const previousWindowEnd = this.windowEnd;
    this.chunk = chunk;
    this.windowEnd = this.windowStart = 0;
    this.base = input;
    this.end = input + length;
    this.spanEnd = 0;
    // Nothing of this chunk counted yet (a head cut by the read goes on at its start).
    this.gapFrom = 0;
    this.headFrom = this.inHead ? 0 : -1;
    const code = runExecute(this, this.ptr, input, length);
    let result = this.result(code, input);
    if (result === ParseResult.Ok && this.countToEnd(length) !== 0) result = this.limitError();
    // Spans never outlive the chunk they point into; keep nothing but the strings.
    this.chunk = previousChunk;
    this.windowText = previousWindow;
    this.windowStart = previousWindowStart;
    this.windowEnd = previousWindowEnd;
    return result;
  }

  /** Tells the parser the peer closed; completes a close-delimited message. */
  finish(): ParseResult {
    const code = runFinish(this, this.ptr);
    return code === 0 ? ParseResult.Ok : this.result(code, 0);
  }

  /** Whether the message being read ends only when the connection closes. */
  needsEof(): boolean {
    return wasm.llhttp_message_needs_eof(this.ptr) === 1;
  }

  resume(): void {
    wasm.llhttp_resume(this.ptr);
  }

  private result(code: number, input: number): ParseResult {
    if (code === 0) {
      this.offset = this.end - input;
      return ParseResult.Ok;
    }
    const errorPos = wasm.llhttp_get_error_pos(this.ptr);
    this.offset = errorPos >= input ? errorPos - input : 0;
    if (code === ERROR.PAUSED) return ParseResult.Paused;
    if (code === ERROR.PAUSED_UPGRADE) return ParseResult.Upgrade;
    this.errorCode = code;
    this.errorName = cString(wasm.llhttp_errno_name(code));
    const reasonPtr = wasm.llhttp_get_error_reason(this.ptr);
    this.errorReason = reasonPtr === 0 ? this.errorName : cString(reasonPtr);
    return ParseResult.Error;
  }

  /**
   * A limit passed at the end of an execute (see countToEnd): reported as llhttp reports a
   * callback's refusal, and the message stops (no more counting).
   */
  private limitError(): ParseResult {
    this.errorCode = ERROR.USER;
    this.errorName = 'HPE_USER';
    this.errorReason =
      this.limitExceeded === LimitExceeded.ChunkLine
        ? 'Chunk extensions too large'
        : this.limitExceeded === LimitExceeded.Framing
          ? 'Chunked framing too large'
          : this.inHead
            ? 'Head too large'
            : 'Trailers too large';
    this.inBody = this.inHead = false;
    return ParseResult.Error;
  }

  // --- callbacks from wasm (internal) ----------------------------------------------------

  /** @internal */
  messageBegin(): number {
    // No text yet.
    this.url = '';
    this.statusText = '';
    this.rawHeaders = [];
    this.rawTrailers = NO_TRAILERS;
    this.fields = this.rawHeaders;
    this.lastSpan = SpanKind.None;
    this.lastSpanEnd = -1;
    this.headerBytes = 0;
    // The head is being read.
    this.inBody = this.inTrailers = false;
    this.gap = this.framingBytes = 0;
    this.inHead = true;
    this.headFrom = -1;
    this.headRead = 0;
    this.limitExceeded = LimitExceeded.None;
    this.errorCode = 0;
    this.errorName = '';
    this.errorReason = '';
    return this.events.onMessageBegin(this);
  }

  /** @internal Appends a span, joining it to the previous one when a read boundary cut it. */
  span(kind: SpanKind, at: number, length: number): number {
    const start = at - this.base;
    // A span continues the previous one of its kind only when that one ran to the end of the
    // previous chunk and this one starts at the beginning of this chunk.
    const continued = this.lastSpan === kind && this.lastSpanEnd === -2 && start === 0;
    const cut = at + length === this.end; // may go on in the next chunk
    this.lastSpan = kind;
    this.lastSpanEnd = cut ? -2 : start + length;
    this.spanEnd = start + length;
    this.headerBytes += length;
    // The head's first span starts its counting; the first trailer field ends the last chunk's
    // line (what came since the last piece of body).
    if (this.inHead && this.headFrom < 0) this.headFrom = start;
    if (this.inBody && !this.inTrailers) {
      const refused = this.countGap(start);
      if (refused !== 0) return refused;
      this.inTrailers = true;
      this.gap = 0;
    }
    if (kind === SpanKind.Field) {
      const interned = continued || cut ? null : internHeaderName(this.chunk!, start, length);
      return this.field(interned ?? this.decode(start, length), continued);
    }
    const text = this.decode(start, length);
    switch (kind) {
      case SpanKind.Url:
        this.url = continued ? this.url + text : text;
        if (this.maxUrlLength > 0 && this.url.length > this.maxUrlLength) return this.exceed(LimitExceeded.Url);
        break;
      case SpanKind.Status:
        this.statusText = continued ? this.statusText + text : text;
        break;
      case SpanKind.Value: {
        const headers = (this.fields ??= this.rawTrailers = []);
        if (continued) headers[headers.length - 1] += text;
        else headers[headers.length - 1] = text;
        break;
      }
    }
    if (this.maxHeaderBytes > 0 && this.headerBytes > this.maxHeaderBytes) return this.exceed(LimitExceeded.Headers);
    return 0;
  }

  /** @internal */
  headersComplete(upgrade: boolean, shouldKeepAlive: boolean): number {
    const ptr = this.ptr;
    // The head's header list is handed over as it is, and later fields are trailers.
    this.lastSpan = SpanKind.None;
    trimTrailingWhitespace(this.rawHeaders);
    this.fields = null;
    readHead(ptr, this);
    if (this.type === TYPE_RESPONSE) this.statusCode = wasm.llhttp_get_status_code(ptr);
    if (this.headEnded(this.spanEnd) !== 0) return ERROR.USER;
    return this.events.onHeadersComplete(this, upgrade, shouldKeepAlive);
  }

  /** @internal */
  body(at: number, length: number): number {
    const start = at - this.base;
    // What came since the last piece of body was framing.
    if (start !== this.gapFrom) {
      const refused = this.countGap(start);
      if (refused !== 0) return refused;
    }
    this.gap = 0;
    this.gapFrom = start + length;
    return this.events.onBody(this, this.chunk!.subarray(start, start + length));
  }

  /** @internal */
  messageComplete(): number {
    // What follows is not this message's framing; its trailers (if any) are final.
    this.inBody = false;
    if (this.rawTrailers.length > 0) trimTrailingWhitespace(this.rawTrailers);
    return this.events.onMessageComplete(this);
  }

  // --- spans -----------------------------------------------------------------------------

  /** The chunk's bytes at [start, start+length) as latin1. */
  private decode(start: number, length: number): string {
    const end = start + length;
    if (start < this.windowStart || end > this.windowEnd) {
      // One native decode of a window around the head instead of one per URL, name and value;
      // bounded, so a long body in the same chunk is neither decoded nor kept alive by the
      // substrings a handler holds on to.
      this.windowStart = start;
      this.windowEnd = Math.min(this.chunk!.length, start + Math.max(DECODE_WINDOW, length));
      this.windowText = this.chunk!.latin1Slice(start, this.windowEnd);
    }
    return this.windowText.substring(start - this.windowStart, end - this.windowStart);
  }

  /** A header (or trailer) name: a new entry, or the rest of one a read boundary cut. */
  private field(text: string, continued: boolean): number {
    const headers = (this.fields ??= this.rawTrailers = []);
    if (continued) {
      headers[headers.length - 2] += text;
    } else {
      // A field right after a field means the first one had an empty value.
      if ((headers.length & 1) === 1) headers.push('');
      headers.push(text, '');
      this.headerBytes += HEADER_LINE_OVERHEAD;
    }
    if (this.maxHeaderBytes > 0 && this.headerBytes > this.maxHeaderBytes) return this.exceed(LimitExceeded.Headers);
    return 0;
  }

  // --- limits: bytes llhttp reads without a callback -------------------------------------

  /**
   * The rest of a chunk read inside a head or a body (padding, an extension, trailers) counts
   * too: ERROR.USER when that passes a limit, else 0.
   */
  private countToEnd(length: number): number {
    if (this.inBody && this.countGap(length) !== 0) return ERROR.USER;
    return this.inHead ? this.countHead(length) : 0;
  }

  /**
   * The head ends a blank line after `spanEnd`, where its last field's span ended (or this
   * chunk's start): counts it, then counts framing from there (its CRLFs: a few bytes more).
   * ERROR.USER past `maxHeadBytes`, else 0.
   */
  private headEnded(spanEnd: number): number {
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

  private exceed(limit: LimitExceeded): number {
    this.limitExceeded = limit;
    return ERROR.USER;
  }
}

/** llhttp drops a value's leading whitespace but keeps trailing OWS, which is not part of it (RFC 9110 5.5). */
function trimTrailingWhitespace(headers: string[]): void {
  for (let i = 1; i < headers.length; i += 2) {
    const value = headers[i];
    const last = value.charCodeAt(value.length - 1);
    if (last === 32 || last === 9) headers[i] = value.trimEnd();
  }
}

const NO_EVENTS: ParserEvents = {
  onMessageBegin: () => 0,
  onHeadersComplete: () => 0,
  onBody: () => 0,
  onMessageComplete: () => 0,
};
