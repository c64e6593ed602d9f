/**
 * Support for the fuzz-*.test.ts files: a seeded PRNG (so a failing case reproduces from its
 * seed), a trap for process-level errors, and the statuses the server may answer with.
 *
 * Every fuzz file takes its seed from FUZZ_SEED when set, else from a fixed default, and puts
 * the seed in every assertion message: rerun a failure with `FUZZ_SEED=<seed> npx vitest run ...`.
 *
 * @example
 * const rng = new Rng(seedFor(0x5eed));
 * const cut = rng.int(0, bytes.length);
 */
import { afterAll, beforeAll } from 'vitest';
import { sleep } from './wait.js';

/** The seed for a file: FUZZ_SEED from the environment, or `fallback`. */
export function seedFor(fallback: number): number {
  const fromEnv = process.env.FUZZ_SEED;
  if (fromEnv === undefined || fromEnv === '') return fallback >>> 0;
  const seed = Number(fromEnv);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${fromEnv}`);
  return seed >>> 0;
}

/** mulberry32: small, fast, and good enough to pick mutations. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A new generator derived from this one, so one case's draws do not shift the next case's. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

/** Statuses the server sends itself when it refuses a request; each is followed by a close. */
export const REJECT_STATUSES: ReadonlySet<number> = new Set([400, 408, 413, 414, 417, 431, 501, 505]);
/** Every final status the fuzzed servers may answer with (handlers send 200; 404 and 500 come from the server). */
export const ALLOWED_STATUSES: ReadonlySet<number> = new Set([200, 404, 500, ...REJECT_STATUSES]);

export interface ProcessErrors {
  uncaught: unknown[];
  unhandled: unknown[];
}

/**
 * Records 'uncaughtException' and 'unhandledRejection' for the whole file; tests assert both
 * lists stay empty. (Vitest would fail the run anyway; this says which case did it.)
 */
export function trapProcessErrors(): ProcessErrors {
  const trapped: ProcessErrors = { uncaught: [], unhandled: [] };
  const onUncaught = (error: unknown) => trapped.uncaught.push(error);
  const onUnhandled = (reason: unknown) => trapped.unhandled.push(reason);
  beforeAll(() => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    // A rejection left unhandled in the last test is reported on a later tick.
    await sleep(20);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
  });
  return trapped;
}

/** Printable form of bytes for failure messages: JSON string of the latin1 text, cut to `max`. */
export function printableBytes(bytes: Buffer | string, max = 600): string {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...(${text.length} bytes)` : text);
}
