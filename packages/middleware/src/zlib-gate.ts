/**
 * The process-wide bound on zlib work running at once. Each compression job (a whole body, or one
 * chunk of a streamed one) takes a turn; the rest wait in order. zlib runs on libuv's thread pool
 * and every job in flight holds its input and output buffers, so a burst of large answers queues
 * here instead of piling up in memory and starving file reads that share the pool.
 */
import { availableParallelism } from 'node:os';

/** Default: libuv's thread pool size (UV_THREADPOOL_SIZE, 4 unless set), at least 2. */
export const DEFAULT_ZLIB_CONCURRENCY = Math.max(2, Number(process.env.UV_THREADPOOL_SIZE) || Math.min(4, availableParallelism() * 2));

class ZlibGate {
  limit = DEFAULT_ZLIB_CONCURRENCY;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /** Resolves once a turn is free; release() gives it back. */
  acquire(): Promise<void> | null {
    if (this.active < this.limit) {
      this.active++;
      return null;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined)
      next(); // the turn passes straight on
    else this.active--;
  }

  /** Jobs running and waiting, for tests and counters. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}

/** One per process: `Symbol.for`, so duplicate copies of the package share it too. */
const kGate = Symbol.for('http-kit.zlibGate');
const holder = globalThis as { [kGate]?: ZlibGate };
export const zlibGate: ZlibGate = (holder[kGate] ??= new ZlibGate());

/** Runs `job` in its turn. */
export async function inTurn<T>(job: () => Promise<T>): Promise<T> {
  const wait = zlibGate.acquire();
  if (wait !== null) await wait;
  try {
    return await job();
  } finally {
    zlibGate.release();
  }
}
