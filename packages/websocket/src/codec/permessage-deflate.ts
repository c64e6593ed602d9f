/**
 * permessage-deflate (RFC 7692): negotiating its parameters in the handshake, and compressing
 * and inflating whole messages with node:zlib once it is on.
 *
 * A compressed message is the raw DEFLATE output of the message, flushed with Z_SYNC_FLUSH, with
 * the 00 00 ff ff that flush ends with removed (7.2.1); the receiver puts it back before its own
 * flush (7.2.2). With context takeover one zlib stream serves every message of a direction; with
 * "no context takeover" the stream is reset after each message.
 *
 * Window bits: zlib's deflate cannot use a 256-byte window and turns 8 into 9, but with a 512-byte
 * window it never looks back further than 250 bytes (window minus its 262-byte lookahead), so its
 * output is valid for a peer that inflates with 8 bits. We therefore accept 8 everywhere, deflate
 * with 9 when 8 was agreed, and inflate with exactly what was agreed.
 *
 * zlib runs on libuv's thread pool, so at most `concurrency` operations (default 10) run at once
 * in the process; the rest queue, in order. Each PerMessageDeflate has one lane per direction, so
 * its messages are compressed (and inflated) one at a time and answered in the order asked.
 *
 * @example
 * // server, in the upgrade handler
 * const agreed = negotiateServer(req.headers['sec-websocket-extensions'], options); // throws -> 400
 * if (agreed) responseHeaders['sec-websocket-extensions'] = agreed.response;
 * const deflate = agreed ? new PerMessageDeflate(agreed.params, true, options, maxMessageSize) : null;
 * // sending
 * if (deflate && data.length >= deflate.threshold) deflate.compress(data, (err, out) => send(out, rsv1 = true));
 */
import zlib from 'node:zlib';
import { describe, InvalidArgumentError } from '@http-kit/core';
import { InflateError, MessageTooBigError, type WebSocketProtocolError } from './errors.js';
import { checkInteger, checkOptions, type DeflateParams, type PerMessageDeflateOptions } from './deflate-negotiation.js';

export { negotiateServer, clientOffer, acceptServerResponse, EXTENSION_NAME } from './deflate-negotiation.js';
export type { DeflateParams, PerMessageDeflateOptions } from './deflate-negotiation.js';

/** What a Z_SYNC_FLUSH ends with, removed from every compressed message and added back to inflate it. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const DEFAULT_THRESHOLD = 1024;
const DEFAULT_CONCURRENCY = 10;

// ---------------------------------------------------------------------------------------------
// The process-wide limit on zlib operations

/** Something waiting for its turn to run one zlib operation. */
interface ZlibTurn {
  runTurn(): void;
}

class ZlibLimiter {
  private running = 0;
  private readonly waiting: ZlibTurn[] = [];
  private head = 0;

  constructor(private readonly concurrency: number) {}

  /** Runs `turn` now, or when a running operation releases its slot. */
  acquire(turn: ZlibTurn): void {
    if (this.running < this.concurrency) {
      this.running++;
      turn.runTurn();
    } else {
      this.waiting.push(turn);
    }
  }

  /** The operation that held a slot is over: hands it to the next in line. */
  release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head++];
      if (this.head === this.waiting.length) {
        this.waiting.length = 0;
        this.head = 0;
      }
      next.runTurn();
    } else {
      this.running--;
    }
  }
}

/** One limiter per concurrency value: with the default, one for the whole process. */
const limiters = new Map<number, ZlibLimiter>();

function limiterFor(concurrency: number): ZlibLimiter {
  let limiter = limiters.get(concurrency);
  if (limiter === undefined) limiters.set(concurrency, (limiter = new ZlibLimiter(concurrency)));
  return limiter;
}

// ---------------------------------------------------------------------------------------------
// Compressing and inflating

/** Where a direction's lane stands with the limiter. */
const enum Lane {
  Idle = 0,
  /** Queued in the limiter. */
  Waiting = 1,
  /** Holds a slot: its first operation is in zlib. */
  Running = 2,
}

type CompressCallback = (error: Error | null, data: Buffer) => void;
type DecompressCallback = (error: (Error & { closeCode?: number }) | null, data: Buffer | null) => void;
/**
 * Sees each piece of a message's inflated bytes as zlib makes it (the reader's UTF-8 check of a
 * text message); an error it returns stops the inflate at once and goes to the callback.
 */
export type InflatedPieceCheck = (piece: Buffer) => WebSocketProtocolError | null;

interface CompressOp {
  data: Buffer;
  callback: CompressCallback;
}

interface DecompressOp {
  data: Buffer;
  fin: boolean;
  callback: DecompressCallback;
  check: InflatedPieceCheck | null;
}

const EMPTY: Buffer = Buffer.alloc(0);

export class PerMessageDeflate {
  /** Messages smaller than this are better sent uncompressed. */
  readonly threshold: number;
  private readonly limiter: ZlibLimiter;
  private readonly level: number | undefined;
  private readonly memLevel: number | undefined;
  /** Our direction: the window we deflate with, and whether we reset after each message. */
  private readonly deflateBits: number;
  private readonly deflateNoContextTakeover: boolean;
  /** The peer's direction. */
  private readonly inflateBits: number;
  private readonly inflateNoContextTakeover: boolean;
  private readonly maxMessageSize: number;
  private closed = false;

  private deflate: zlib.DeflateRaw | null = null;
  private deflateChunks: Buffer[] = [];
  private deflateBytes = 0;
  private readonly compressQueue: CompressOp[] = [];
  private compressLane = Lane.Idle;
  private readonly compressTurn: ZlibTurn = { runTurn: () => this.runCompress() };

  private inflate: zlib.InflateRaw | null = null;
  /** Bytes written to `inflate`, to tell when zlib stopped taking them (see `inflated`). */
  private inflateWritten = 0;
  private inflateChunks: Buffer[] = [];
  private inflateBytes = 0;
  private readonly decompressQueue: DecompressOp[] = [];
  private decompressLane = Lane.Idle;
  private readonly decompressTurn: ZlibTurn = { runTurn: () => this.runDecompress() };

  /**
   * `params` as agreed (`negotiateServer(...).params` or `acceptServerResponse(...)`), `isServer`
   * which end we are, `maxMessageSize` the bound on an inflated message (Infinity for none).
   */
  constructor(params: DeflateParams, isServer: boolean, options: PerMessageDeflateOptions, maxMessageSize: number) {
    checkOptions('PerMessageDeflate', options);
    checkInteger('PerMessageDeflate', 'params.serverMaxWindowBits', params.serverMaxWindowBits, 8, 15);
    checkInteger('PerMessageDeflate', 'params.clientMaxWindowBits', params.clientMaxWindowBits, 8, 15);
    if (typeof maxMessageSize !== 'number' || !(maxMessageSize > 0)) {
      throw new InvalidArgumentError(
        `PerMessageDeflate: maxMessageSize must be a positive number or Infinity, got ${describe(maxMessageSize)}`,
      );
    }
    this.threshold = options.threshold ?? DEFAULT_THRESHOLD;
    this.limiter = limiterFor(options.concurrency ?? DEFAULT_CONCURRENCY);
    this.level = options.level;
    this.memLevel = options.memLevel;
    this.maxMessageSize = maxMessageSize;
    const ours = isServer ? 'server' : 'client';
    const theirs = isServer ? 'client' : 'server';
    // zlib cannot deflate with 8 bits; its 9-bit output fits an 8-bit window (see the top).
    this.deflateBits = Math.max(9, params[`${ours}MaxWindowBits`]);
    this.deflateNoContextTakeover = params[`${ours}NoContextTakeover`];
    this.inflateBits = params[`${theirs}MaxWindowBits`];
    this.inflateNoContextTakeover = params[`${theirs}NoContextTakeover`];
  }

  /**
   * Compresses one whole message; `callback(error, data)` gets it without the trailing
   * 00 00 ff ff, to send with RSV1 set on its first frame. Callbacks come in call order.
   */
  compress(data: Buffer, callback: CompressCallback): void {
    if (this.closed) {
      process.nextTick(callback, new Error('PerMessageDeflate: compress() after close()'), EMPTY);
      return;
    }
    this.compressQueue.push({ data, callback });
    if (this.compressLane === Lane.Idle) {
      this.compressLane = Lane.Waiting;
      this.limiter.acquire(this.compressTurn);
    }
  }

  /**
   * Inflates one message fragment by fragment: each fragment's payload in order, `fin` on the
   * last. `callback(null, null)` once a fragment is taken, `callback(null, message)` at `fin`.
   * An error has `closeCode` 1009 (`MessageTooBigError`) when the message inflates past
   * maxMessageSize, which stops inflating at once, or 1007 (`InflateError`) for bad data.
   * `check`, when given, sees the inflated bytes piece by piece as they come out; the error it
   * returns stops inflating at once too (so bad text fails before a large message is inflated).
   */
  decompress(data: Buffer, fin: boolean, callback: DecompressCallback, check: InflatedPieceCheck | null = null): void {
    if (this.closed) {
      process.nextTick(callback, new Error('PerMessageDeflate: decompress() after close()'), null);
      return;
    }
    this.decompressQueue.push({ data, fin, callback, check });
    if (this.decompressLane === Lane.Idle) {
      this.decompressLane = Lane.Waiting;
      this.limiter.acquire(this.decompressTurn);
    }
  }

  /** Releases the zlib streams. Operations not finished yet are dropped: their callbacks are not called. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A lane holding a slot gives it back now (its zlib callback is ignored from here on); a
    // waiting one gives it back when its turn comes (runCompress / runDecompress).
    if (this.compressLane === Lane.Running) this.limiter.release();
    if (this.decompressLane === Lane.Running) this.limiter.release();
    this.compressLane = this.compressLane === Lane.Waiting ? Lane.Waiting : Lane.Idle;
    this.decompressLane = this.decompressLane === Lane.Waiting ? Lane.Waiting : Lane.Idle;
    this.compressQueue.length = 0;
    this.decompressQueue.length = 0;
    this.deflate?.close();
    this.inflate?.close();
    this.deflate = null;
    this.inflate = null;
    this.deflateChunks = [];
    this.inflateChunks = [];
  }

  // -- compressing ------------------------------------------------------------------------------

  private runCompress(): void {
    if (this.closed) {
      this.compressLane = Lane.Idle;
      this.limiter.release();
      return;
    }
    this.compressLane = Lane.Running;
    const op = this.compressQueue[0];
    const deflate = this.deflate ?? this.createDeflate();
    deflate.write(op.data);
    deflate.flush(zlib.constants.Z_SYNC_FLUSH, (error?: Error | null) => this.compressed(deflate, error ?? null));
  }

  private createDeflate(): zlib.DeflateRaw {
    const deflate = zlib.createDeflateRaw({ windowBits: this.deflateBits, level: this.level, memLevel: this.memLevel });
    deflate.on('data', (chunk: Buffer) => {
      if (deflate !== this.deflate) return;
      this.deflateChunks.push(chunk);
      this.deflateBytes += chunk.length;
    });
    deflate.on('error', (error: Error) => this.compressed(deflate, error));
    this.deflate = deflate;
    return deflate;
  }

  private compressed(deflate: zlib.DeflateRaw, error: Error | null): void {
    if (deflate !== this.deflate) return; // closed, or failed already
    if (error !== null) {
      // A broken stream is dropped; the next message starts a new one.
      this.deflate = null;
      deflate.close();
    }
    if (this.compressLane !== Lane.Running) return;
    let out = EMPTY;
    if (error === null) {
      out = this.deflateChunks.length === 1 ? this.deflateChunks[0] : Buffer.concat(this.deflateChunks, this.deflateBytes);
      if (endsWithTrailer(out)) out = out.subarray(0, out.length - TRAILER.length);
      if (this.deflateNoContextTakeover) deflate.reset();
    }
    this.deflateChunks = [];
    this.deflateBytes = 0;
    const op = this.compressQueue.shift()!;
    this.nextCompress();
    op.callback(error, out);
  }

  private nextCompress(): void {
    this.limiter.release();
    if (this.compressQueue.length > 0) {
      this.compressLane = Lane.Waiting;
      this.limiter.acquire(this.compressTurn);
    } else {
      this.compressLane = Lane.Idle;
    }
  }

  // -- inflating --------------------------------------------------------------------------------

  private runDecompress(): void {
    if (this.closed) {
      this.decompressLane = Lane.Idle;
      this.limiter.release();
      return;
    }
    this.decompressLane = Lane.Running;
    const op = this.decompressQueue[0];
    const inflate = this.inflate ?? this.createInflate();
    inflate.write(op.data);
    this.inflateWritten += op.data.length;
    if (op.fin) {
      inflate.write(TRAILER);
      this.inflateWritten += TRAILER.length;
    }
    inflate.flush(zlib.constants.Z_SYNC_FLUSH, (error?: Error | null) => this.inflated(inflate, error ?? null));
  }

  private createInflate(): zlib.InflateRaw {
    const inflate = zlib.createInflateRaw({ windowBits: this.inflateBits });
    inflate.on('data', (chunk: Buffer) => {
      if (inflate !== this.inflate || this.decompressLane !== Lane.Running) return;
      this.inflateBytes += chunk.length;
      if (this.inflateBytes > this.maxMessageSize) {
        this.failInflate(new MessageTooBigError(`a compressed message inflates past maxMessageSize ${this.maxMessageSize}`));
        return;
      }
      const check = this.decompressQueue[0].check;
      const refused = check === null ? null : check(chunk);
      if (refused !== null) this.failInflate(refused);
      else this.inflateChunks.push(chunk);
    });
    inflate.on('error', (error: Error) => {
      if (inflate === this.inflate) this.failInflate(new InflateError(`invalid compressed data: ${error.message}`, { cause: error }));
    });
    this.inflate = inflate;
    this.inflateWritten = 0;
    return inflate;
  }

  private inflated(inflate: zlib.InflateRaw, error: Error | null): void {
    if (inflate !== this.inflate || this.decompressLane !== Lane.Running) return;
    if (error !== null) {
      this.failInflate(new InflateError(`invalid compressed data: ${error.message}`, { cause: error }));
      return;
    }
    // A sender may end a message with a final block (BFINAL set, RFC 7692 7.2.3.4): zlib then
    // takes no more input, here only our trailer. That stream is done; the next message gets a
    // new one. Anything else left over is data after the end of the DEFLATE stream.
    const unused = this.inflateWritten - inflate.bytesWritten;
    const op = this.decompressQueue[0];
    if (unused > (op.fin ? TRAILER.length : 0)) {
      this.failInflate(new InflateError('invalid compressed data: bytes after the final DEFLATE block'));
      return;
    }
    this.decompressQueue.shift();
    let message: Buffer | null = null;
    if (op.fin) {
      message = this.inflateChunks.length === 1 ? this.inflateChunks[0] : Buffer.concat(this.inflateChunks, this.inflateBytes);
      this.inflateChunks = [];
      this.inflateBytes = 0;
      if (unused > 0) {
        this.inflate = null;
        inflate.close();
      } else if (this.inflateNoContextTakeover) {
        inflate.reset();
      }
    }
    this.nextDecompress();
    op.callback(null, message);
  }

  /** Stops the message at once: the stream is dropped (a new one starts with the next message). */
  private failInflate(error: WebSocketProtocolError): void {
    this.inflate!.close();
    this.inflate = null;
    this.inflateChunks = [];
    this.inflateBytes = 0;
    if (this.decompressLane !== Lane.Running) return;
    const op = this.decompressQueue.shift()!;
    this.nextDecompress();
    op.callback(error, null);
  }

  private nextDecompress(): void {
    this.limiter.release();
    if (this.decompressQueue.length > 0) {
      this.decompressLane = Lane.Waiting;
      this.limiter.acquire(this.decompressTurn);
    } else {
      this.decompressLane = Lane.Idle;
    }
  }
}

function endsWithTrailer(data: Buffer): boolean {
  const n = data.length;
  return n >= 4 && data[n - 4] === 0x00 && data[n - 3] === 0x00 && data[n - 2] === 0xff && data[n - 1] === 0xff;
}
