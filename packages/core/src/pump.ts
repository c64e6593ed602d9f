/**
 * Copies a body source (a Node Readable, a web ReadableStream, an async or sync iterable) to a
 * writer piece by piece, waiting whenever the writer's buffer is full, so a fast source never
 * piles up in memory. Server responses and client request bodies both go through it.
 *
 * A Node Readable is taken through 'data' events and paused while the writer is full, as
 * `pipe()` does: its chunks go on as they were pushed. Its async iterator would not do: each
 * step calls `read()`, which joins everything the stream buffered into a new Buffer (a stream
 * pushing one shared 1 MiB Buffer costs a fresh 2 MiB copy per step), and that copy then waits in
 * the socket of a client that does not read. Web streams and iterables hand over their chunks as
 * they are and go through `for await`.
 *
 * @example
 * const sent = await pumpBody(file, { write: (c, n) => socket.write(c), drained, stopped: () => socket.destroyed });
 */

/** Where a pumped body goes. */
export interface PumpTarget {
  /** Writes one non-empty piece of `size` bytes; false when the writer's buffer is full. */
  write(chunk: Uint8Array | string, size: number): boolean;
  /** Resolves when the writer can take more (or has gone). */
  drained(): Promise<void>;
  /** True once nothing more should be written (the peer has gone): the source is released. */
  stopped(): boolean;
}

type Source = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/**
 * Writes every piece of `source` to `target`. Resolves with the bytes written, or -1 when the
 * target stopped first (the source is then destroyed or cancelled). A source that fails rejects;
 * a `limit` >= 0 that the source exceeds rejects with `tooLong(limit)`.
 */
export function pumpBody(
  source: Source,
  target: PumpTarget,
  limit = -1,
  tooLong: (limit: number) => Error = (n) => new RangeError(`body is longer than ${n} bytes`),
): Promise<number> {
  return isNodeReadable(source) ? new ReadablePump(source, target, limit, tooLong).promise : pumpIterable(source, target, limit, tooLong);
}

async function pumpIterable(source: Source, target: PumpTarget, limit: number, tooLong: (limit: number) => Error): Promise<number> {
  let sent = 0;
  for await (const chunk of source) {
    if (target.stopped()) return -1; // leaving the loop destroys / cancels the source
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (size === 0) continue;
    sent += size;
    if (limit >= 0 && sent > limit) throw tooLong(limit);
    if (!target.write(chunk, size)) await target.drained();
    if (target.stopped()) return -1;
  }
  return sent;
}

/** What is used of a Node Readable (any copy of node:stream, or a stream of the same shape). */
interface NodeReadable {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy(error?: Error): unknown;
  readonly destroyed?: boolean;
  readonly readableEnded?: boolean;
  readonly errored?: Error | null;
}

function isNodeReadable(source: unknown): source is NodeReadable {
  const s = source as Partial<Record<keyof NodeReadable, unknown>> & { pipe?: unknown };
  return typeof s.on === 'function' && typeof s.pipe === 'function' && typeof s.pause === 'function' && typeof s.resume === 'function';
}

/** One Node Readable being pumped: 'data' in, paused while the target is full. */
class ReadablePump {
  readonly promise: Promise<number>;
  private resolve!: (sent: number) => void;
  private reject!: (error: unknown) => void;
  private sent = 0;
  private settled = false;
  // Listeners bound once per pump (not per chunk).
  private readonly onData = (chunk: Uint8Array | string): void => this.data(chunk);
  private readonly onEnd = (): void => this.finish(this.target.stopped() ? -1 : this.sent, null);
  private readonly onError = (error: Error): void => this.finish(0, error);
  private readonly onClose = (): void => this.finish(0, prematureClose());
  private readonly onDrained = (): void => this.drained();
  private readonly onDrainFailed = (error: unknown): void => {
    this.stream.destroy();
    this.finish(0, error);
  };

  constructor(
    private readonly stream: NodeReadable,
    private readonly target: PumpTarget,
    private readonly limit: number,
    private readonly tooLong: (limit: number) => Error,
  ) {
    this.promise = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (stream.destroyed === true) {
      // Ended or failed before the pump began: say which.
      if (stream.errored) this.finish(0, stream.errored);
      else this.finish(stream.readableEnded === true ? 0 : -1, stream.readableEnded === true ? null : prematureClose());
      return;
    }
    stream.on('error', this.onError);
    stream.on('end', this.onEnd);
    stream.on('close', this.onClose);
    stream.on('data', this.onData);
    stream.resume(); // flowing from the next turn, even if the stream was paused before
  }

  private data(chunk: Uint8Array | string): void {
    if (this.settled) return;
    const target = this.target;
    if (target.stopped()) return this.stop();
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (size === 0) return;
    this.sent += size;
    if (this.limit >= 0 && this.sent > this.limit) {
      const error = this.tooLong(this.limit);
      this.stream.destroy();
      return this.finish(0, error);
    }
    if (target.write(chunk, size)) return;
    // Full: the stream keeps what it has (up to its own high-water mark) until the target drains.
    this.stream.pause();
    target.drained().then(this.onDrained, this.onDrainFailed);
  }

  private drained(): void {
    if (this.settled) return;
    if (this.target.stopped()) return this.stop();
    this.stream.resume();
  }

  /** The target has gone: the source is released. */
  private stop(): void {
    this.finish(-1, null);
    this.stream.destroy();
  }

  private finish(sent: number, error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const stream = this.stream;
    stream.off('data', this.onData);
    stream.off('end', this.onEnd);
    stream.off('close', this.onClose);
    // 'error' stays listened to: a stream that fails after we let go must not become an uncaught error.
    if (error !== null) this.reject(error);
    else this.resolve(sent);
  }
}

function prematureClose(): Error {
  return Object.assign(new Error('The body stream closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
