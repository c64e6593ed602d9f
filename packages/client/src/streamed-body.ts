/**
 * A response body handed over as a stream (`as: 'stream'`): the Readable the caller reads,
 * fed with what the connection reads — as it is, or through a zlib decoder into a stream that
 * counts the decoded bytes against `maxBody`. It tells its source when the consumer is behind
 * (write returns false), has caught up (resumeReading) or has gone (consumerGone).
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { Coding, createDecoder } from './decompress.js';
import { BadResponseError, BodyTooLargeError } from './errors.js';

/** Who feeds a streamed body (the exchange, which reads through its connection). */
export interface BodySource {
  /** The consumer wants more after `write` returned false. */
  resumeReading(): void;
  /** The consumer destroyed the stream before its end: stop reading, drop the connection. */
  consumerGone(): void;
}

export class StreamedBody {
  /** What the caller reads. */
  readonly readable: Readable;
  private source: BodySource | null;
  /** An identity body: what is read is pushed as it is. */
  private readonly raw: RawBody | null = null;
  /** A coded body: the decoder (made at the first chunk) writes into it. */
  private readonly out: DecodedBody | null = null;
  private decoder: Transform | null = null;

  constructor(
    source: BodySource,
    private readonly coding: number,
    maxBody: number,
  ) {
    this.source = source;
    if (coding === Coding.Identity) {
      this.readable = this.raw = new RawBody(this);
    } else {
      this.readable = this.out = new DecodedBody(maxBody);
      this.out.on('close', this.onGone);
    }
  }

  /** Hands on a chunk of the body as received; false when the consumer is behind (pause reading until resumeReading). */
  write(chunk: Buffer): boolean {
    if (this.raw !== null) return this.raw.push(chunk);
    let decoder = this.decoder;
    if (decoder === null) {
      const out = this.out!;
      decoder = this.decoder = createDecoder(this.coding, chunk);
      decoder.on('error', (error) =>
        out.destroy(new BadResponseError(`cannot decode the response body: ${error.message}`, { cause: error })),
      );
      decoder.on('drain', this.onResume);
      decoder.pipe(out);
    }
    return decoder.write(chunk);
  }

  /** The body was read entirely. */
  end(): void {
    this.source = null;
    if (this.raw !== null) this.raw.push(null);
    else if (this.decoder !== null) this.decoder.end();
    else this.out!.end();
    this.decoder = null;
  }

  /** The response failed after it was handed over: the consumer gets `error`. */
  fail(error: Error): void {
    this.source = null;
    this.decoder?.destroy();
    this.decoder = null;
    this.readable.destroy(error);
  }

  /** @internal The consumer reads again. */
  readonly onResume = (): void => {
    this.source?.resumeReading();
  };

  /** @internal The readable was destroyed: by its consumer before the end, or after end/fail (then no one is told). */
  readonly onGone = (): void => {
    const source = this.source;
    this.source = null;
    this.decoder?.destroy();
    this.decoder = null;
    source?.consumerGone();
  };
}

/** An identity body: pushes what the connection reads, asks for more when the consumer reads. */
class RawBody extends Readable {
  constructor(private readonly body: StreamedBody) {
    super();
  }

  override _read(): void {
    this.body.onResume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.body.onGone();
    callback(error);
  }
}

/**
 * A decoded body: what the decoder writes, passed on to the consumer and counted, so that
 * `maxBody` caps the decompressed size as it does for a buffered body.
 */
class DecodedBody extends Transform {
  private bytes = 0;

  constructor(private readonly maxBody: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBody) {
      // Destroys this stream with the error; its 'close' drops the connection (consumerGone).
      callback(new BodyTooLargeError(`the decompressed response body is larger than maxBody (${this.maxBody} bytes)`));
      return;
    }
    callback(null, chunk);
  }
}
