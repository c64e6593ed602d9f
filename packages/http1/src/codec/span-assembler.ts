/**
 * The text of a message from llhttp's spans: its URL, status text, header and trailer fields,
 * decoded as latin1 straight from the caller's chunk (a span's `at` pointer maps back to an
 * offset in it) without a TextDecoder.
 *
 * - A span cut by a read boundary (a URL, a header name or value split across TCP reads) is
 *   joined to its rest from the next chunk, never reported twice.
 * - The chunk is decoded a window at a time and each span cut from it with substring; common
 *   header names come out interned (see header-names.ts).
 * - Header and URL bytes are counted against `maxHeaderBytes` and `maxUrlLength` as they come.
 *
 * `HttpParser` is built on this class: the spans land in fields of the parser itself.
 */
import { internHeaderName } from './header-names.js';
import { SpanKind } from './llhttp-instance.js';
import { LimitExceeded, ParserLimits } from './parser-limits.js';

/** Bytes of a chunk decoded at once for header spans. */
const DECODE_WINDOW = 4096;

/** Bytes of framing each header line costs beyond its name and value (": " and CRLF). */
const HEADER_LINE_OVERHEAD = 4;

const NO_TRAILERS: string[] = [];

export class SpanAssembler extends ParserLimits {
  // The message being parsed, valid from onHeadersComplete on.
  url = '';
  statusText = '';
  /** Header names and values, alternating, as sent (names keep their case). */
  rawHeaders: string[] = [];
  /** Trailer fields of a chunked body, the same way, once the message is complete. */
  rawTrailers: string[] = NO_TRAILERS;
  /** Where field and value spans go: the headers, then (after the head) the trailers (null until the first). */
  private fields: string[] | null = this.rawHeaders;

  // The chunk being parsed (set by execute, for the span callbacks of that call).
  protected chunk: Buffer | null = null;
  /** A window of the chunk decoded once, spans cut from it with substring (see decode()). */
  protected windowText = '';
  protected windowStart = 0;
  protected windowEnd = 0;
  /** The chunk's first and past-the-end addresses in wasm memory. */
  protected base = 0;
  protected end = 0;
  private lastSpan = SpanKind.None;
  /** Where the last span ended in its chunk: -1 none, -2 at the chunk's end (it may go on in the next). */
  private lastSpanEnd = -1;
  private headerBytes = 0;
  /** Where the last span of this execute ended in the chunk (0: none yet). */
  protected spanEnd = 0;

  /** A new message: no text yet. */
  protected resetSpans(): void {
    this.url = '';
    this.statusText = '';
    this.rawHeaders = [];
    this.rawTrailers = NO_TRAILERS;
    this.fields = this.rawHeaders;
    this.lastSpan = SpanKind.None;
    this.lastSpanEnd = -1;
    this.headerBytes = 0;
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
    const refused = this.countSpan(start);
    if (refused !== 0) return refused;
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

  /** The head is over: its header list is handed over as it is, and later fields are trailers. */
  protected endHeaders(): void {
    this.lastSpan = SpanKind.None;
    trimTrailingWhitespace(this.rawHeaders);
    this.fields = null;
  }

  /** The message is over: its trailers (if any) are final. */
  protected endTrailers(): void {
    if (this.rawTrailers.length > 0) trimTrailingWhitespace(this.rawTrailers);
  }

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
}

/** llhttp drops a value's leading whitespace but keeps trailing OWS, which is not part of it (RFC 9110 5.5). */
function trimTrailingWhitespace(headers: string[]): void {
  for (let i = 1; i < headers.length; i += 2) {
    const value = headers[i];
    const last = value.charCodeAt(value.length - 1);
    if (last === 32 || last === 9) headers[i] = value.trimEnd();
  }
}
