/**
 * Waiting in tests, every wait bounded: `sleep` pauses, `tick` yields one turn of the event loop,
 * `eventually` polls a condition until it holds, `within` bounds a promise. A wait that runs out
 * throws an error naming what was awaited, so a stuck test says what it was stuck on.
 *
 * @example
 * await eventually(() => server.connectionCount === 0, 2_000, 'the connection to close');
 * const page = await within(5_000, 'the page to load', browser.newPage());
 */
import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => delay(ms);

/** Resolves after the I/O of the current turn of the event loop (setImmediate). */
export const tick = (): Promise<void> => immediate();

/** How often `eventually` checks its condition. */
const POLL_MS = 5;

/**
 * Checks `predicate` every few ms until it holds; throws `timed out after <timeout> ms waiting
 * for <what>` once `timeout` ms have passed.
 */
export async function eventually(predicate: () => boolean, timeout = 3_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** Settles as `promise` does, or rejects after `ms` with what was being waited for. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
