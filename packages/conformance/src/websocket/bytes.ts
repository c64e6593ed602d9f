/**
 * Payloads the cases send: incompressible bytes that are the same for the same seed (so a
 * failing case can be replayed), and UTF-8 text of an exact length.
 */
import { createCipheriv, createHash } from 'node:crypto';

/**
 * `n` bytes that look random to zlib (AES-128-CTR of zeros, keyed by `seed`): incompressible,
 * without repeats, and the same for the same seed.
 *
 * @example
 * pseudoRandom(16, 1).equals(pseudoRandom(16, 1)); // true
 */
export function pseudoRandom(n: number, seed: number = n): Buffer {
  const key = createHash('sha256').update(`conformance ${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}
