/**
 * multipart/form-data (RFC 7578) as bytes arrive: a state machine that finds the boundaries,
 * reads each part's headers (bounded) and hands its body on in pieces, never holding more than a
 * delimiter's length of it. It knows nothing of files or limits on parts: its owner does.
 */
import { HttpKitError } from '@http-kit/core';

/** A multipart body that is malformed (400) or over a limit (413); the message names the part. */
export class MultipartError extends HttpKitError {
  static override readonly code = 'HTTPKIT_MULTIPART';
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message, MultipartError.code);
  }
}

/** What the parser tells its owner, synchronously, in order. */
export interface PartEvents {
  partBegin(headers: Record<string, string>): void;
  partData(bytes: Buffer): void;
  partEnd(): void;
}

const State = {
  /** Before the first boundary: skipped. */
  Preamble: 0,
  /** Just after a delimiter: CRLF (a part follows) or `--` (the end). */
  AfterDelimiter: 1,
  Headers: 2,
  Body: 3,
  /** After the closing delimiter: the epilogue is ignored. */
  Done: 4,
} as const;
type State = (typeof State)[keyof typeof State];

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
/** Bytes of preamble (or transport padding) tolerated before the first boundary. */
const MAX_PREAMBLE = 64 * 1024;

/** The boundary of a `multipart/form-data` Content-Type, or a reason it has none that works. */
export function boundaryOf(contentType: string): string | { problem: string } {
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const boundary = match === null ? '' : (match[1] ?? match[2] ?? '');
  if (boundary === '') return { problem: 'the Content-Type has no boundary parameter' };
  if (boundary.length > 70 || !/^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary))
    return { problem: `the boundary ${JSON.stringify(boundary.slice(0, 80))} is not 1 to 70 allowed characters (RFC 2046)` };
  return boundary;
}

export class MultipartParser {
  private state: State = State.Preamble;
  /** "\r\n--boundary": every delimiter, the first one included (the body is read as if a CRLF preceded it). */
  private readonly delimiter: Buffer;
  /** Bytes held back from the last chunk: they may be the start of a delimiter. */
  private tail: Buffer = CRLF;
  private head: Buffer = EMPTY;
  private skipped = 0;

  constructor(
    boundary: string,
    private readonly maxHeaderSize: number,
    private readonly events: PartEvents,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** True once the closing delimiter has been read. */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Takes the next chunk of the body; throws MultipartError on malformed input. */
  push(chunk: Buffer): void {
    if (this.state === State.Done) return;
    let data = chunk;
    let pos = 0;
    if (this.tail.length > 0) {
      const held = this.tail;
      this.tail = EMPTY;
      if (this.state === State.Body) pos = this.bodyAfterTail(held, chunk);
      else data = Buffer.concat([held, chunk]); // rare: a boundary line cut in two
      if (pos < 0) return;
    }
    while (pos < data.length) {
      switch (this.state) {
        case State.Preamble: {
          const at = data.indexOf(this.delimiter, pos);
          if (at === -1) {
            this.skipped += data.length - pos;
            if (this.skipped > MAX_PREAMBLE)
              throw new MultipartError(400, `Malformed multipart body: no boundary in its first ${MAX_PREAMBLE} bytes`);
            this.holdTail(data, pos);
            return;
          }
          pos = at + this.delimiter.length;
          this.state = State.AfterDelimiter;
          break;
        }
        case State.AfterDelimiter: {
          const byte = data[pos];
          if (byte === 0x20 || byte === 0x09) {
            pos++; // transport padding before the CRLF
            if (++this.skipped > MAX_PREAMBLE)
              throw new MultipartError(400, 'Malformed multipart body: padding after a boundary never ends');
            break;
          }
          if (data.length - pos < 2) {
            this.tail = Buffer.from(data.subarray(pos));
            return;
          }
          if (byte === 0x2d && data[pos + 1] === 0x2d) {
            this.state = State.Done;
            return;
          }
          if (byte !== 0x0d || data[pos + 1] !== 0x0a)
            throw new MultipartError(
              400,
              'Malformed multipart body: a boundary is followed by neither CRLF nor "--" (a part containing the boundary?)',
            );
          pos += 2;
          this.state = State.Headers;
          this.head = EMPTY;
          break;
        }
        case State.Headers: {
          const before = this.head.length;
          const text = before === 0 ? data.subarray(pos) : Buffer.concat([this.head, data.subarray(pos)]);
          // A part with no headers at all starts with the blank line.
          const end = text[0] === 0x0d && text[1] === 0x0a ? -2 : text.indexOf(HEAD_END);
          if (end === -1) {
            if (text.length > this.maxHeaderSize)
              throw new MultipartError(400, `Malformed multipart body: a part's headers are over ${this.maxHeaderSize} bytes`);
            this.head = Buffer.from(text);
            return;
          }
          const headLength = end === -2 ? 0 : end;
          if (headLength > this.maxHeaderSize)
            throw new MultipartError(400, `Malformed multipart body: a part's headers are over ${this.maxHeaderSize} bytes`);
          const headers = parseHeaders(text.subarray(0, headLength));
          pos += (end === -2 ? 2 : end + 4) - before;
          this.head = EMPTY;
          this.state = State.Body;
          this.events.partBegin(headers);
          break;
        }
        case State.Body: {
          const at = data.indexOf(this.delimiter, pos);
          if (at === -1) {
            const keep = Math.min(this.delimiter.length - 1, data.length - pos);
            if (data.length - keep > pos) this.events.partData(data.subarray(pos, data.length - keep));
            this.holdTail(data, data.length - keep);
            return;
          }
          if (at > pos) this.events.partData(data.subarray(pos, at));
          pos = at + this.delimiter.length;
          this.skipped = 0;
          this.state = State.AfterDelimiter;
          this.events.partEnd();
          break;
        }
        default:
          return;
      }
    }
  }

  /**
   * In a part's body, the bytes held back from the last chunk meet the next one. Only a window of
   * a delimiter's length is joined to look for a delimiter that starts in the held bytes: the
   * chunk itself is never copied (a large upload would copy every byte once more). Returns where
   * to go on in `chunk` (the state may have moved past a delimiter), or -1 when all of it was
   * taken (held again).
   */
  private bodyAfterTail(tail: Buffer, chunk: Buffer): number {
    const window = Buffer.concat([tail, chunk.subarray(0, this.delimiter.length - 1)]);
    const at = window.indexOf(this.delimiter);
    if (at !== -1 && at < tail.length) {
      if (at > 0) this.events.partData(Buffer.from(tail.subarray(0, at)));
      this.skipped = 0;
      this.state = State.AfterDelimiter;
      this.events.partEnd();
      return at + this.delimiter.length - tail.length;
    }
    if (at === -1 && chunk.length < this.delimiter.length - 1) {
      // Still too little to tell: keep holding (never more than a delimiter's length).
      const keep = Math.min(this.delimiter.length - 1, window.length);
      if (window.length > keep) this.events.partData(Buffer.from(window.subarray(0, window.length - keep)));
      this.tail = Buffer.from(window.subarray(window.length - keep));
      return -1;
    }
    // No delimiter starts in the held bytes: they are the part's.
    this.events.partData(tail);
    return 0;
  }

  /** The body ended: it must have ended with the closing delimiter. */
  finish(): void {
    if (this.state !== State.Done)
      throw new MultipartError(
        400,
        this.state === State.Preamble
          ? 'Malformed multipart body: no boundary line (is the boundary in Content-Type the one in the body?)'
          : 'Malformed multipart body: it ended before the closing boundary (truncated)',
      );
  }

  /** Keeps the last bytes from `from` on (fewer than a delimiter), copied: the chunk is the socket's. */
  private holdTail(data: Buffer, from: number): void {
    const keep = Math.min(this.delimiter.length - 1, data.length - from);
    this.tail = keep <= 0 ? EMPTY : Buffer.from(data.subarray(data.length - keep));
  }
}

const MAX_PART_HEADERS = 32;

function parseHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  if (block.length === 0) return headers;
  const lines = block.toString('utf8').split('\r\n');
  if (lines.length > MAX_PART_HEADERS)
    throw new MultipartError(400, `Malformed multipart body: a part has over ${MAX_PART_HEADERS} header lines`);
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon)))
      throw new MultipartError(
        400,
        `Malformed multipart body: a part's header line ${JSON.stringify(line.slice(0, 60))} is not "name: value"`,
      );
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `form-data; name="x"; filename="y"` (and `filename*=UTF-8''...`) as its parameters. */
export function dispositionOf(value: string | undefined): { name: string; filename: string | null } | null {
  if (value === undefined || !/^\s*form-data\s*(;|$)/i.test(value)) return null;
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    params.set(m[1].toLowerCase(), raw);
  }
  const name = params.get('name');
  if (name === undefined) return null;
  let filename = params.get('filename') ?? null;
  const extended = params.get('filename*');
  if (extended !== undefined) {
    const match = /^utf-8''(.*)$/i.exec(extended);
    if (match !== null) {
      try {
        filename = decodeURIComponent(match[1]);
      } catch {
        // keep the plain filename
      }
    }
  }
  return { name, filename };
}
