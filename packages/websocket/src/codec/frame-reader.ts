/**
 * Reads WebSocket frames (RFC 6455 5) off a connection's bytes, as they arrive and split
 * anywhere, and reports whole messages and control frames. It enforces the framing rules of
 * RFC 6455 5, 7.4 and 8.1 and the permessage-deflate ones of RFC 7692 6, and reports any breach
 * once, with the close code to answer with (1002 protocol, 1007 bad data, 1009 too big); then it
 * reads nothing more.
 *
 * One state per part of a frame (`ReadState`), one method per state, advanced in `push()`. A
 * payload that lies within one chunk is a view of it (unmasked in place); one split across
 * chunks, and the fragments of a message, are gathered by `JoinedBytes` (small pieces copied as
 * they come, large ones kept as views), so what an incomplete frame or message costs follows its
 * bytes, not how many TCP segments or fragments carried them. Limits: a frame whose header
 * announces more than maxMessageSize leaves room for fails before its payload is read (1009), and
 * a message in more than maxFragments frames fails at the header of the one past it (1009).
 *
 * Text is validated as it arrives (fail fast, Autobahn 6.4.x): a payload cut across chunks is
 * unmasked and checked piece by piece, a fragmented message fragment by fragment, a compressed one
 * on each piece zlib inflates, so the first bad byte fails the connection (1007) in the read that
 * brought it, before the rest of its frame or message is in. A text message in one frame and one
 * chunk, the common case, gets one native `isUtf8` over its payload.
 *
 * Compressed messages are inflated fragment by fragment, asynchronously: `push()` then returns
 * how many bytes it took (up to the end of that frame); the caller holds the rest and pushes it
 * again after `onResume()`.
 *
 * @example
 * const reader = new FrameReader(connection, { expectMasked: true, maxMessageSize: 16 << 20, deflate: null });
 * socket.on('data', (chunk) => {
 *   const taken = reader.push(chunk);
 *   if (taken < chunk.length) holdUntilResume(chunk.subarray(taken));
 * });
 */
import { constants, isUtf8 } from 'node:buffer';
import { describe, InvalidArgumentError } from '@http-kit/core';
import { isValidCloseCode } from './close-codes.js';
import { InflateError, MessageTooBigError, WebSocketErrorCode as E, WebSocketProtocolError, type WebSocketErrorCode } from './errors.js';
import { JoinedBytes } from './joined-bytes.js';
import { applyMask } from './mask.js';
import { MAX_CONTROL_PAYLOAD, Opcode, OpcodeKind, opcodeKind } from './opcodes.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import { Utf8Validator } from './utf8.js';

export interface FrameReaderEvents {
  /** A whole message: reassembled, unmasked, inflated, and valid UTF-8 when `isText`. */
  onMessage(data: Buffer, isText: boolean): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** A valid close frame (code 1005 when it carried none). The reader reads nothing more. */
  onCloseFrame(code: number, reason: string): void;
  /**
   * The peer broke the protocol: close with `code` (1002, 1007 or 1009) and `reason` (at most 123
   * bytes, the error's message). `error` says which failure, as a stable `code` (a
   * `WebSocketErrorCode`) with the same `closeCode`. The reader reads nothing more.
   */
  onProtocolError(code: number, reason: string, error: WebSocketProtocolError): void;
  /** An inflate that made `push()` take fewer bytes than given has finished: push the bytes it did not take. */
  onResume(): void;
}

export interface FrameReaderOptions {
  /** True on the server (a client's frames must be masked), false on the client (a server's must not be). */
  expectMasked: boolean;
  /** Bytes of a whole message, after inflation; Infinity for no limit (Buffer's own maximum still applies). */
  maxMessageSize: number;
  /** The negotiated permessage-deflate, or null: RSV1 is allowed only with it, on the first frame of a data message. */
  deflate: PerMessageDeflate | null;
  /** The most frames one message may come in (default MAX_FRAGMENTS); the frame past it fails with 1009. */
  maxFragments?: number;
}

/** Which part of a frame is being read. */
const enum ReadState {
  /** The first two bytes: FIN, RSV, opcode, MASK, 7-bit length. */
  Info = 0,
  Length16 = 1,
  Length64 = 2,
  Mask = 3,
  Payload = 4,
  /** A compressed fragment is in zlib; `push()` takes nothing until `onResume()`. */
  Inflating = 5,
  /** After a close frame or a protocol error: every byte is ignored. */
  Closed = 6,
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * The default of maxFragments, the most frames one message may come in. Autobahn's cases 9.3.1
 * and 9.4.1 send 4 MiB in 64-byte fragments (65,536 frames); browsers send a message in one
 * frame. A frame costs its header to parse however small its payload, and an empty one costs no
 * bytes at all: this bounds the work a message that never ends can make.
 */
export const MAX_FRAGMENTS = 65_536;

export class FrameReader {
  private state = ReadState.Info;
  private readonly events: FrameReaderEvents;
  private readonly expectMasked: boolean;
  private readonly deflate: PerMessageDeflate | null;
  /** maxMessageSize, capped at the largest Buffer. */
  private readonly limit: number;
  private readonly maxFragments: number;

  // The chunk being read and the position in it; `pushing` while inside push().
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private pushing = false;
  /** A push() took fewer bytes than it was given: `onResume()` is owed when the inflate ends. */
  private heldBack = false;
  // A header part cut by the end of a chunk is gathered in `held`; `take()` points `src` at the
  // part's bytes, in the chunk or in `held`.
  /** Made the first time a header part is split across chunks. */
  private held: Buffer | null = null;
  private heldBytes = 0;
  private src: Buffer = EMPTY;
  private srcOffset = 0;

  // The frame being read.
  private fin = false;
  private opcode = 0;
  private masked = false;
  private payloadLength = 0;
  /** The masking key as a big-endian 32-bit number (no Buffer per connection). */
  private mask = 0;
  /** A payload split across chunks, gathered; made at the first split. */
  private pieces: JoinedBytes | null = null;

  // The data message being read: its opcode (0 when none), whether compressed, its bytes so far
  // (on the wire when compressed), its frames so far, its fragments' payloads (made at the first
  // fragmented message).
  private messageOpcode = 0;
  private compressed = false;
  private messageBytes = 0;
  private frameCount = 0;
  private fragments: JoinedBytes | null = null;
  /**
   * The text message's UTF-8 state across payload pieces, fragments or inflated pieces; made the
   * first time text comes in more than one piece.
   */
  private utf8: Utf8Validator | null = null;
  private readonly inflated: ((error: (Error & { closeCode?: number }) | null, data: Buffer | null) => void) | null;
  /** Checks a compressed text message's inflated bytes as zlib makes them. */
  private readonly checkInflated: ((piece: Buffer) => WebSocketProtocolError | null) | null;

  constructor(events: FrameReaderEvents, options: FrameReaderOptions) {
    if (events === null || typeof events !== 'object')
      throw new InvalidArgumentError(`FrameReader: events must be an object, got ${describe(events)}`);
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`FrameReader: options must be an object, got ${describe(options)}`);
    if (typeof options.expectMasked !== 'boolean')
      throw new InvalidArgumentError(`FrameReader: expectMasked must be a boolean, got ${describe(options.expectMasked)}`);
    if (typeof options.maxMessageSize !== 'number' || !(options.maxMessageSize > 0)) {
      throw new InvalidArgumentError(
        `FrameReader: maxMessageSize must be a positive number or Infinity, got ${describe(options.maxMessageSize)}`,
      );
    }
    this.events = events;
    this.expectMasked = options.expectMasked;
    this.deflate = options.deflate ?? null;
    this.inflated = this.deflate === null ? null : (error, data) => this.onInflated(error, data);
    this.checkInflated = this.deflate === null ? null : (piece) => this.inflatedPiece(piece);
    this.limit = Math.min(options.maxMessageSize, constants.MAX_LENGTH);
    const maxFragments = options.maxFragments ?? MAX_FRAGMENTS;
    if (!(Number.isSafeInteger(maxFragments) && maxFragments >= 1))
      throw new InvalidArgumentError(
        `FrameReader: maxFragments must be a whole number of 1 or more, got ${describe(options.maxFragments)}`,
      );
    this.maxFragments = maxFragments;
  }

  /** After a close frame or a protocol error: everything later is ignored. */
  get isClosed(): boolean {
    return this.state === ReadState.Closed;
  }

  /**
   * Takes bytes as they arrive. Returns how many it took: all of them, except while a compressed
   * fragment is being inflated (then hold the rest and push it again after `onResume()`).
   * Payloads are unmasked in place and handed on as views of `chunk`: do not reuse its memory.
   */
  push(chunk: Buffer): number {
    if (this.pushing)
      throw new InvalidArgumentError('FrameReader: push() called from inside one of its own events; push the bytes after it returns');
    if (this.state === ReadState.Closed) return chunk.length;
    if (this.state === ReadState.Inflating) {
      if (chunk.length > 0) this.heldBack = true;
      return 0;
    }
    this.chunk = chunk;
    this.pos = 0;
    this.pushing = true;
    try {
      while (this.pos < chunk.length) {
        // (Casts: TypeScript cannot see that the methods below change the state.)
        switch (this.state as ReadState) {
          case ReadState.Info:
            this.readInfo();
            break;
          case ReadState.Length16:
            this.readLength16();
            break;
          case ReadState.Length64:
            this.readLength64();
            break;
          case ReadState.Mask:
            this.readMask();
            break;
          case ReadState.Payload:
            this.readPayload();
            break;
          case ReadState.Inflating:
            this.heldBack = true; // the loop only runs while bytes are left
            return this.pos;
          case ReadState.Closed:
            return chunk.length;
        }
      }
      return (this.state as ReadState) === ReadState.Closed ? chunk.length : this.pos;
    } finally {
      this.pushing = false;
      this.chunk = EMPTY;
      this.src = EMPTY;
    }
  }

  // -- one method per state -------------------------------------------------------------------

  private readInfo(): void {
    if (!this.take(2)) return;
    const b0 = this.src[this.srcOffset];
    const b1 = this.src[this.srcOffset + 1];
    if ((b0 & 0x30) !== 0) return this.fail(E.UnexpectedRsv, 'RSV2 or RSV3 set without an extension that defines them');
    const rsv1 = (b0 & 0x40) !== 0;
    const fin = (this.fin = (b0 & 0x80) !== 0);
    const opcode = (this.opcode = b0 & 0x0f);
    const masked = (this.masked = (b1 & 0x80) !== 0);
    const length = b1 & 0x7f;
    switch (opcodeKind(opcode)) {
      case OpcodeKind.Data:
        if (opcode === Opcode.Continuation) {
          if (this.messageOpcode === 0) return this.fail(E.UnexpectedContinuation, 'continuation frame with no message to continue');
          if (rsv1) return this.fail(E.UnexpectedRsv, 'RSV1 set on a continuation frame');
          if (++this.frameCount > this.maxFragments)
            return this.fail(E.TooManyFragments, `message in more than ${this.maxFragments} fragments (maxFragments)`);
        } else {
          if (this.messageOpcode !== 0) return this.fail(E.ExpectedContinuation, 'new data frame inside a fragmented message');
          if (rsv1 && this.deflate === null) return this.fail(E.UnexpectedRsv, 'RSV1 set without a negotiated permessage-deflate');
          this.messageOpcode = opcode;
          this.compressed = rsv1;
          this.frameCount = 1;
        }
        break;
      case OpcodeKind.Control:
        if (!fin) return this.fail(E.FragmentedControl, 'fragmented control frame');
        if (length > MAX_CONTROL_PAYLOAD) return this.fail(E.ControlTooLong, 'control frame payload over 125 bytes');
        if (rsv1) return this.fail(E.UnexpectedRsv, 'RSV1 set on a control frame');
        break;
      default:
        return this.fail(E.InvalidOpcode, `reserved opcode ${opcode}`);
    }
    if (masked !== this.expectMasked)
      return this.expectMasked
        ? this.fail(E.ExpectedMask, 'unmasked frame from a client')
        : this.fail(E.UnexpectedMask, 'masked frame from a server');
    if (length === 126) this.state = ReadState.Length16;
    else if (length === 127) this.state = ReadState.Length64;
    else this.lengthRead(length);
  }

  private readLength16(): void {
    if (!this.take(2)) return;
    this.lengthRead((this.src[this.srcOffset] << 8) | this.src[this.srcOffset + 1]);
  }

  private readLength64(): void {
    if (!this.take(8)) return;
    const high = this.src.readUInt32BE(this.srcOffset);
    if (high >= 0x80000000) return this.fail(E.InvalidLength, '64-bit payload length with the most significant bit set');
    this.lengthRead(high * 0x100000000 + this.src.readUInt32BE(this.srcOffset + 4));
  }

  private readMask(): void {
    if (!this.take(4)) return;
    this.mask = this.src.readUInt32BE(this.srcOffset);
    this.startPayload();
  }

  private readPayload(): void {
    const chunk = this.chunk;
    const pos = this.pos;
    const available = chunk.length - pos;
    const gathered = this.pieces === null ? 0 : this.pieces.length;
    const needed = this.payloadLength - gathered;
    if (gathered === 0 && available >= needed) {
      // The common case: the whole payload is in this chunk.
      this.pos = pos + needed;
      const payload = chunk.subarray(pos, pos + needed);
      if (this.masked) applyMask(payload, maskBytes(this.mask));
      return this.frameRead(payload);
    }
    // Cut by the end of the chunk: each piece is unmasked (at its offset in the payload) and, for
    // text, checked as it arrives, so bad text fails before the rest of its frame is sent.
    const n = available < needed ? available : needed;
    const piece = chunk.subarray(pos, pos + n);
    this.pos = pos + n;
    if (this.masked) applyMask(piece, maskBytes(this.mask), gathered);
    const checked = this.opcode < Opcode.Close && this.messageOpcode === Opcode.Text && !this.compressed;
    if (checked && !(this.utf8 ??= new Utf8Validator()).feed(piece)) return this.fail(E.InvalidUtf8, 'text message is not valid UTF-8');
    const pieces = (this.pieces ??= new JoinedBytes());
    pieces.add(piece, needed);
    if (pieces.length < this.payloadLength) return;
    this.frameRead(pieces.take(), checked);
  }

  // -- the frame's parts are read ---------------------------------------------------------------

  /**
   * Gathers `n` bytes of a header part: true when they are at `src[srcOffset]` (in the chunk,
   * or in `held` when the part was cut), false when the chunk ended first (they are kept).
   */
  private take(n: number): boolean {
    const chunk = this.chunk;
    if (this.heldBytes === 0 && chunk.length - this.pos >= n) {
      this.src = chunk;
      this.srcOffset = this.pos;
      this.pos += n;
      return true;
    }
    const copy = Math.min(n - this.heldBytes, chunk.length - this.pos);
    chunk.copy((this.held ??= Buffer.allocUnsafe(8)), this.heldBytes, this.pos, this.pos + copy);
    this.heldBytes += copy;
    this.pos += copy;
    if (this.heldBytes < n) return false;
    this.heldBytes = 0;
    this.src = this.held!;
    this.srcOffset = 0;
    return true;
  }

  private lengthRead(length: number): void {
    this.payloadLength = length;
    // A data frame that would take its message past the limit fails before its payload is read.
    if (this.opcode < Opcode.Close && length > this.limit - this.messageBytes) {
      return this.failWith(new MessageTooBigError(`message over maxMessageSize (${this.limit} bytes)`));
    }
    if (this.masked) this.state = ReadState.Mask;
    else this.startPayload();
  }

  private startPayload(): void {
    if (this.payloadLength === 0) this.frameRead(EMPTY);
    else this.state = ReadState.Payload;
  }

  /** A whole frame's payload, unmasked; `checked` when its text was validated piece by piece already. */
  private frameRead(payload: Buffer, checked = false): void {
    switch (this.opcode) {
      case Opcode.Close:
        return this.closeRead(payload);
      case Opcode.Ping:
        this.state = ReadState.Info;
        return this.events.onPing(payload);
      case Opcode.Pong:
        this.state = ReadState.Info;
        return this.events.onPong(payload);
    }
    this.messageBytes += payload.length;
    const isText = this.messageOpcode === Opcode.Text;
    if (this.compressed) {
      this.state = ReadState.Inflating;
      this.deflate!.decompress(payload, this.fin, this.inflated!, isText ? this.checkInflated : null);
      return;
    }
    const joined = this.fragments;
    const earlier = joined === null ? 0 : joined.length;
    // Each fragment is checked as it completes (if not piece by piece already), so bad text fails
    // in the fragment that holds it.
    if (isText && !checked) {
      if (this.fin && (this.utf8 === null || !this.utf8.midSequence)) {
        // No sequence open from an earlier fragment: the rest of the message is this payload, one
        // native check (the common case: a message in one frame).
        if (!isUtf8(payload)) return this.fail(E.InvalidUtf8, 'text message is not valid UTF-8');
      } else if (!(this.utf8 ??= new Utf8Validator()).feed(payload)) {
        return this.fail(E.InvalidUtf8, 'text message is not valid UTF-8');
      }
    }
    if (!this.fin) {
      if (payload.length > 0) (this.fragments ??= new JoinedBytes()).add(payload, this.limit - earlier);
      this.state = ReadState.Info;
      return;
    }
    if (isText && this.utf8 !== null && !this.utf8.end()) return this.fail(E.InvalidUtf8, 'text message ends inside a UTF-8 sequence');
    let message = payload;
    if (earlier > 0) {
      joined!.add(payload, payload.length);
      message = joined!.take();
    }
    this.endMessage();
    this.state = ReadState.Info;
    this.events.onMessage(message, isText);
  }

  private onInflated(error: (Error & { closeCode?: number }) | null, data: Buffer | null): void {
    if (this.state !== ReadState.Inflating) return;
    if (error !== null) {
      if (error.closeCode === 1009) this.failWith(new MessageTooBigError(`message over maxMessageSize (${this.limit} bytes)`));
      else if ((error as WebSocketProtocolError).code === E.InvalidUtf8) this.failWith(error as WebSocketProtocolError);
      else this.failWith(new InflateError('invalid compressed data', { cause: error }));
    } else if (!this.fin) {
      this.state = ReadState.Info;
    } else {
      const isText = this.messageOpcode === Opcode.Text;
      const message = data ?? EMPTY;
      // Its inflated pieces were checked as they came (inflatedPiece): what is left is the end.
      if (isText && this.utf8 !== null && !this.utf8.end()) {
        this.fail(E.InvalidUtf8, 'text message ends inside a UTF-8 sequence');
      } else {
        this.endMessage();
        this.state = ReadState.Info;
        this.events.onMessage(message, isText);
      }
    }
    // Called back later (zlib runs on the thread pool), and the caller holds bytes for us.
    if (!this.pushing && this.heldBack && this.state === ReadState.Info) {
      this.heldBack = false;
      this.events.onResume();
    }
  }

  /** A piece of a compressed text message as zlib inflates it: an error stops the inflate at once. */
  private inflatedPiece(piece: Buffer): WebSocketProtocolError | null {
    if (this.state !== ReadState.Inflating) return null;
    if ((this.utf8 ??= new Utf8Validator()).feed(piece)) return null;
    return new WebSocketProtocolError('text message is not valid UTF-8', E.InvalidUtf8);
  }

  private closeRead(payload: Buffer): void {
    let code = 1005;
    let reason = '';
    if (payload.length === 1) return this.fail(E.InvalidClosePayload, 'close frame with a 1-byte payload');
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) return this.fail(E.InvalidCloseCode, `invalid close code ${code}`);
      const reasonBytes = payload.subarray(2);
      if (!isUtf8(reasonBytes)) return this.fail(E.InvalidUtf8, 'close reason is not valid UTF-8');
      reason = reasonBytes.toString('utf8');
    }
    this.stop();
    this.events.onCloseFrame(code, reason);
  }

  private endMessage(): void {
    this.messageOpcode = 0;
    this.compressed = false;
    this.messageBytes = 0;
    this.frameCount = 0;
    this.fragments?.clear();
    this.utf8?.reset();
  }

  /** The peer broke the protocol in the way `code` names; `reason` goes in the close frame. */
  private fail(code: WebSocketErrorCode, reason: string): void {
    this.failWith(new WebSocketProtocolError(reason, code));
  }

  private failWith(error: WebSocketProtocolError): void {
    this.stop();
    this.events.onProtocolError(error.closeCode, error.message, error);
  }

  /** Reads nothing more, and lets go of what it held. */
  private stop(): void {
    this.state = ReadState.Closed;
    this.endMessage();
    this.pieces?.clear();
  }
}

/**
 * The scratch key applyMask reads, shared by every reader: written and read within one call of
 * readPayload, with no await or callback between, so no other reader can see it changed.
 */
const MASK = Buffer.alloc(4);

function maskBytes(key: number): Buffer {
  MASK.writeUInt32BE(key, 0);
  return MASK;
}
