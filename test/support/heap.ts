/**
 * Heap checks for leak tests: `fullGc` collects garbage until finalizers and WeakRefs have had
 * their turn and returns the heap in use.
 *
 * gc() is not exposed in vitest's workers; v8.setFlagsFromString('--expose-gc') plus a fresh
 * context hands out the same function at run time.
 *
 * @example
 * const before = await fullGc();
 * // ... 10,000 cycles ...
 * expect((await fullGc()) - before).toBeLessThan(8 * 1024 * 1024);
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sleep } from './wait.js';

let gc: (() => void) | null = null;

/** Three full collections 10 ms apart; resolves to `process.memoryUsage().heapUsed` after them. */
export async function fullGc(): Promise<number> {
  if (gc === null) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(10); // let finalizers and weak callbacks run between passes
  }
  return process.memoryUsage().heapUsed;
}
