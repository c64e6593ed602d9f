/**
 * Our binding over llhttp's wasm build: `HttpParser` owns a native parser, copies each socket
 * chunk into wasm memory, and turns llhttp's callbacks into calls on a long-lived `ParserEvents`
 * object (no closures per message). This is the module the server, the client and the codec
 * entry import; the parser is built in layers, one job a file, all of them one object:
 *
 * - llhttp-instance.ts: the wasm instance, its input region and the callbacks into the parser;
 * - parser-limits.ts: the configured limits, and the bytes llhttp reads without a callback;
 * - span-assembler.ts: URL, status text, headers and trailers, joined across reads and decoded
 *   as latin1 straight from the caller's chunk;
 * - here: a parser's life (pool, execute, finish, resume), its results and events. Body bytes
 *   are handed on as views of the caller's chunk: no copy out of wasm memory. On an error,
 *   llhttp's error name, reason and byte offset are kept for the error response.
 *
 * @example
 * const parser = HttpParser.acquire(TYPE_REQUEST, events);
 * const result = parser.execute(chunk); // events.onHeadersComplete(...) etc. run meanwhile
 * if (result === ParseResult.Error) console.log(parser.errorName, parser.errorReason);
 */
import { cString, copyIn, init, readHead, runExecute, runFinish, wasm, type NativeCallbacks } from './llhttp-instance.js';
import { ERROR, METHOD_NAMES, METHOD_NAMES_UPPER, TYPE_REQUEST, TYPE_RESPONSE } from './llhttp-module.js';
import { SpanAssembler } from './span-assembler.js';

export { TYPE_REQUEST, TYPE_RESPONSE, METHOD_NAMES, METHOD_NAMES_UPPER };
export { LimitExceeded } from './parser-limits.js';

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

export const enum ParseResult {
  Ok = 0,
  /** A callback paused; `parser.offset` is where the unread rest of the chunk starts. */
  Paused = 1,
  /** An upgrade (or CONNECT) request ended its head; `parser.offset` is where the new protocol's bytes start. */
  Upgrade = 2,
  Error = 3,
}

const pool: HttpParser[] = [];
const POOL_LIMIT = 4096;

export class HttpParser extends SpanAssembler implements NativeCallbacks {
  /** The native parser (a pointer into wasm memory). */
  private readonly ptr: number;
  /** TYPE_REQUEST or TYPE_RESPONSE. */
  readonly type: number;
  events: ParserEvents;

  // The message being parsed, valid from onHeadersComplete on (its text: see SpanAssembler).
  method = 0;
  statusCode = 0;
  versionMajor = 1;
  versionMinor = 1;

  // Results of the last execute.
  /** Offset in the last chunk where parsing stopped (pause, upgrade or error). */
  offset = 0;
  errorCode = 0;
  errorName = '';
  errorReason = '';

  private constructor(type: number, events: ParserEvents) {
    super();
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
    // Message state is reset at the next message's first byte; llhttp's own state here.
    wasm.llhttp_reset(this.ptr);
    this.clearLimits();
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

  get methodNameUpper(): string {
    return METHOD_NAMES_UPPER[this.method];
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
    this.countFromStart();
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

  resumeAfterUpgrade(): void {
    wasm.llhttp_resume_after_upgrade(this.ptr);
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

  /** A limit passed at the end of an execute: reported as llhttp reports a callback's refusal. */
  private limitError(): ParseResult {
    this.errorCode = ERROR.USER;
    this.errorName = 'HPE_USER';
    this.errorReason = this.stopAtLimit();
    return ParseResult.Error;
  }

  // --- callbacks from wasm (internal; span() is SpanAssembler's) ---

  /** @internal */
  messageBegin(): number {
    this.resetSpans();
    this.resetCounts();
    this.errorCode = 0;
    this.errorName = '';
    this.errorReason = '';
    return this.events.onMessageBegin(this);
  }

  /** @internal */
  headersComplete(upgrade: boolean, shouldKeepAlive: boolean): number {
    const ptr = this.ptr;
    this.endHeaders();
    readHead(ptr, this);
    if (this.type === TYPE_RESPONSE) this.statusCode = wasm.llhttp_get_status_code(ptr);
    if (this.headEnded(this.spanEnd) !== 0) return ERROR.USER;
    return this.events.onHeadersComplete(this, upgrade, shouldKeepAlive);
  }

  /** @internal */
  body(at: number, length: number): number {
    const start = at - this.base;
    const refused = this.countBody(start, length);
    if (refused !== 0) return refused;
    return this.events.onBody(this, this.chunk!.subarray(start, start + length));
  }

  /** @internal */
  messageComplete(): number {
    this.messageEnded();
    this.endTrailers();
    return this.events.onMessageComplete(this);
  }
}

const NO_EVENTS: ParserEvents = {
  onMessageBegin: () => 0,
  onHeadersComplete: () => 0,
  onBody: () => 0,
  onMessageComplete: () => 0,
};
