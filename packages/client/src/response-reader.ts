/**
 * Reads one response at a time off a connection's bytes, with the llhttp binding in response
 * mode: skips 1xx interim responses, hands the final response's head and body chunks to a
 * `ResponseSink`, and reports how the read ended — complete, still going, switched to another
 * protocol by a 101 (and where in the last chunk that protocol's bytes start), or failed with
 * the error the caller gets (a malformed response, extra bytes after it, an oversized head, a
 * connection closed before the end).
 *
 * It also bounds what a response may cost in bytes that are not body, which llhttp reads
 * without a word: padding in a head (whitespace before a value, blank lines), chunk
 * extensions, oversized chunk-size lines, padded trailers. It counts every byte it feeds the
 * parser against the body bytes it gets back: a head may not read past maxHeaderSize (each
 * interim response its own), nor trailers (counted from the read after their first field, so
 * at most one read more), and a body's framing may not cost more than FRAMING_ALLOWANCE plus
 * twice the body plus a few bytes per chunk. And no more than MAX_INTERIM_RESPONSES 1xx come
 * before the final response. The checks run once per read, not per byte: a response may go
 * one read (64 KiB) past a limit before it fails.
 *
 * One reader (and one native parser) lives as long as its connection.
 */
import { HttpParser, LimitExceeded, ParseResult, PAUSE, TYPE_RESPONSE, type ParserEvents } from '@http-kit/http1/codec';
import type { HttpKitError } from '@http-kit/core';
import { BadResponseError, ConnectionClosedError, HeadersTooLargeError } from './errors.js';

/** Who receives the response being read. */
export interface ResponseSink {
  /** The head of the final response. Returns true when it has no body whatever its headers say (a response to HEAD). */
  onResponseHead(status: number, rawHeaders: string[], keepAlive: boolean): boolean;
  onResponseBody(chunk: Buffer): void;
  /** Trailer fields of a chunked body (names and values alternating), when it had any; before the read completes. */
  onResponseTrailers(rawTrailers: string[]): void;
}

/** Where the read of the current response stands. */
export const ReadState = {
  /** Waiting for (more of) the head. */
  Head: 0,
  Body: 1,
  /** The whole response has been read; `keepAlive` says whether the connection can carry another. */
  Complete: 2,
  /** A 101 ended HTTP on the connection: its bytes from `headEnd` of the last chunk on are another protocol's. */
  Switched: 3,
  /** See `error`. */
  Failed: 4,
} as const;
/** One of the states in `ReadState`. */
export type ReadState = (typeof ReadState)[keyof typeof ReadState];

// llhttp's status for 1xx: 100..199, except 101 (which ends HTTP on the connection).
function isInterim(status: number): boolean {
  return status >= 100 && status < 200 && status !== 101;
}

/** Interim (1xx) responses accepted before the final one: 100 Continue and 103 Early Hints come once or twice. */
export const MAX_INTERIM_RESPONSES = 10;

/**
 * What a body's framing (chunk-size lines, extensions, trailers: every byte fed that is not
 * body) may cost: this much, plus FRAMING_PER_BYTE per body byte, plus FRAMING_PER_CHUNK per
 * piece of body. Honest chunked framing stays below (a 1-byte chunk costs 5 bytes of it, of
 * the 6 it brings; a 1 KiB one 7 of 2 052), however many chunks; an endless extension, or
 * 1-byte chunks each with a long extension, do not: a body costs at most 64 KiB + 7 times its size.
 */
const FRAMING_ALLOWANCE = 64 * 1024;
const FRAMING_PER_BYTE = 2;
const FRAMING_PER_CHUNK = 4;

export class ResponseReader implements ParserEvents {
  private readonly parser: HttpParser;
  private sink: ResponseSink | null = null;
  private headRequest = false;
  private interim = false;
  /** Interim responses read before the final one. */
  private interims = 0;
  /** Bytes of the current response fed to the parser so far (interim responses included). */
  private fed = 0;
  /** `fed` at the end of the read that completed the final head: what the head (at most) took. */
  private headBytes = 0;
  /** Pieces of body handed on (a chunk, or its part in one read). */
  private bodyPieces = 0;
  /** `fed` at the end of the read in which the first trailer field arrived, 0 before. */
  private trailersAt = 0;
  private maxHeaderSize = 0;
  /** Why a callback stopped the parser (too many interim responses), or null. */
  private refusal: HttpKitError | null = null;
  state: ReadState = ReadState.Complete;
  keepAlive = false;
  /** Whether any byte of the current response arrived (a request that got none may be retried). */
  bytesSeen = false;
  bodyBytes = 0;
  /** After Switched: where the 101's head ended in the last chunk fed. */
  headEnd = 0;
  error: HttpKitError | null = null;

  constructor() {
    this.parser = HttpParser.acquire(TYPE_RESPONSE, this);
  }

  /** Expects a new response, for a request with `method`. */
  start(sink: ResponseSink, method: string, maxHeaderSize: number): void {
    this.sink = sink;
    this.headRequest = method === 'HEAD';
    this.parser.maxHeaderBytes = maxHeaderSize === Infinity ? 0 : maxHeaderSize;
    this.maxHeaderSize = maxHeaderSize;
    this.state = ReadState.Head;
    this.keepAlive = false;
    this.bytesSeen = false;
    this.bodyBytes = 0;
    this.interims = 0;
    this.fed = 0;
    this.headBytes = 0;
    this.bodyPieces = 0;
    this.trailersAt = 0;
    this.error = null;
  }

  /** Parses bytes the server sent. */
  feed(chunk: Buffer): ReadState {
    if (this.readEnded) {
      // Bytes while no response is expected: the server is not speaking HTTP/1.1 as we know it.
      return this.fail(new BadResponseError(`the server sent ${chunk.length} bytes while no response was expected`));
    }
    this.bytesSeen = true;
    this.fed += chunk.length;
    const parser = this.parser;
    const result = parser.execute(chunk);
    switch (result) {
      case ParseResult.Ok:
        // The message goes on in the next read: check what it cost so far.
        return this.state === ReadState.Head ? this.checkHead() : this.checkFraming();
      case ParseResult.Paused:
        // onMessageComplete paused: the response ended at `offset`.
        parser.resume();
        // After a 101 the bytes are another protocol's: not ours to judge.
        if (parser.statusCode === 101) return this.switched(parser.offset);
        if (parser.offset < chunk.length) {
          return this.fail(
            new BadResponseError(
              `the server sent ${chunk.length - parser.offset} bytes after a complete response (a body longer than its Content-Length?)`,
            ),
          );
        }
        return this.state;
      case ParseResult.Upgrade:
        return this.switched(parser.offset);
      default:
        return this.fail(this.parseError());
    }
  }

  /** The server closed the connection: ends a close-delimited body, fails anything else. */
  eof(cause?: unknown): ReadState {
    if (this.readEnded) return this.state;
    if (this.state === ReadState.Body && this.parser.needsEof() && cause === undefined) {
      const result = this.parser.finish();
      if (result !== ParseResult.Error) {
        this.keepAlive = false;
        this.state = ReadState.Complete;
        return this.state;
      }
    }
    const how = cause === undefined ? 'closed' : `reset (${(cause as { code?: string }).code ?? String(cause)})`;
    const message = !this.bytesSeen
      ? `the connection was ${how} before any response byte arrived`
      : this.state === ReadState.Head
        ? `the connection was ${how} in the middle of the response head`
        : `the connection was ${how} after ${this.bodyBytes} bytes of the response body, before its end`;
    return this.fail(new ConnectionClosedError(message, cause === undefined ? undefined : { cause }));
  }

  /** The read of the response has ended, however (a switch, not the order of ReadState's numbers). */
  private get readEnded(): boolean {
    switch (this.state) {
      case ReadState.Head:
      case ReadState.Body:
        return false;
      default: // Complete, Switched, Failed
        return true;
    }
  }

  /** Frees the native parser; the reader is unusable afterwards. */
  release(): void {
    this.sink = null;
    this.parser.release();
  }

  /** No more HTTP on this connection (whoever asked for the upgrade takes it from `headEnd`). */
  private switched(headEnd: number): ReadState {
    this.keepAlive = false;
    this.headEnd = headEnd;
    this.state = ReadState.Switched;
    return this.state;
  }

  /** Still in a head after a read: it may not have taken more than maxHeaderSize (each interim response its own). */
  private checkHead(): ReadState {
    if (this.fed <= (this.interims + 1) * this.maxHeaderSize) return this.state;
    return this.fail(
      new HeadersTooLargeError(
        `the response head is larger than maxHeaderSize (${this.maxHeaderSize} bytes): ${this.fed} bytes read without its end`,
      ),
    );
  }

  /** In a body after a read: what was fed beyond the head and the body is framing, and it is bounded; trailers by maxHeaderSize too. */
  private checkFraming(): ReadState {
    if (this.trailersAt === 0) {
      if (this.parser.rawTrailers.length > 0) this.trailersAt = this.fed;
    } else if (this.fed - this.trailersAt > this.maxHeaderSize) {
      return this.fail(
        new HeadersTooLargeError(
          `the response trailers are larger than maxHeaderSize (${this.maxHeaderSize} bytes): ${this.fed - this.trailersAt} bytes read past their first field without their end`,
        ),
      );
    }
    const body = this.bodyBytes;
    const framing = this.fed - this.headBytes - body;
    if (framing <= FRAMING_ALLOWANCE + FRAMING_PER_BYTE * body + FRAMING_PER_CHUNK * this.bodyPieces) return this.state;
    return this.fail(
      new BadResponseError(
        `the response's chunked framing costs too much: ${framing} bytes of chunk-size lines, extensions and trailers for ${body} bytes of body ` +
          `(at most ${FRAMING_ALLOWANCE} bytes, plus ${FRAMING_PER_BYTE} a body byte and ${FRAMING_PER_CHUNK} a chunk)`,
      ),
    );
  }

  private fail(error: HttpKitError): ReadState {
    this.error = error;
    this.keepAlive = false;
    this.state = ReadState.Failed;
    return this.state;
  }

  private parseError(): HttpKitError {
    const refusal = this.refusal;
    if (refusal !== null) {
      this.refusal = null;
      return refusal;
    }
    const parser = this.parser;
    if (parser.limitExceeded === LimitExceeded.Headers) {
      // Past the head, the spans are trailers (the parser counts them with the head).
      return new HeadersTooLargeError(
        this.state === ReadState.Body
          ? `the response trailers (with its head) are larger than maxHeaderSize (${parser.maxHeaderBytes} bytes)`
          : `the response head is larger than maxHeaderSize (${parser.maxHeaderBytes} bytes)`,
      );
    }
    return new BadResponseError(`malformed response: ${parser.errorReason} (${parser.errorName} at byte ${parser.offset} of a read)`);
  }

  // --- ParserEvents ---

  onMessageBegin(): number {
    return 0;
  }

  onHeadersComplete(parser: HttpParser, _upgrade: boolean, shouldKeepAlive: boolean): number {
    const status = parser.statusCode;
    if (isInterim(status)) {
      if (++this.interims > MAX_INTERIM_RESPONSES) {
        this.refusal = new BadResponseError(
          `the server sent more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses before the final one`,
        );
        return -1; // any other value than llhttp's is an error: execute stops
      }
      this.interim = true;
      return 0;
    }
    this.interim = false;
    this.headBytes = this.fed;
    // A 101 ends HTTP on the connection: the response is final, the connection is not reused.
    this.keepAlive = shouldKeepAlive && status !== 101;
    this.state = ReadState.Body;
    const noBody = this.sink!.onResponseHead(status, parser.rawHeaders, shouldKeepAlive) || this.headRequest;
    return noBody ? 1 : 0;
  }

  onBody(_parser: HttpParser, chunk: Buffer): number {
    this.bodyBytes += chunk.length;
    this.bodyPieces++;
    this.sink!.onResponseBody(chunk);
    return 0;
  }

  onMessageComplete(parser: HttpParser): number {
    if (this.interim) {
      this.interim = false;
      return 0;
    }
    const trailers = parser.rawTrailers;
    if (trailers.length > 0) this.sink!.onResponseTrailers(trailers);
    this.state = ReadState.Complete;
    return PAUSE;
  }
}
