/**
 * Masking (RFC 6455 5.3): every byte of a client's payload is XORed with one of four key bytes,
 * in turn. Large payloads are done a 32-bit word at a time; the keys a client needs come from a
 * pool filled by the CSPRNG in one call per 2048 frames.
 *
 * @example
 * const mask = randomMask();
 * applyMask(payload, mask);  // masks in place
 * applyMask(payload, mask);  // and unmasks
 */
import { randomFillSync } from 'node:crypto';

/** Below this many bytes a plain byte loop costs less than setting up the word view. */
const WORD_THRESHOLD = 32;

// The key rotated to the word's phase, read as a native-endian 32-bit word through these views.
// Scratch shared by every connection: written and read within one applyMask call, which is
// synchronous (no await or callback between), so no other caller can see it half written.
const keyBytes = new Uint8Array(4);
const keyWord = new Uint32Array(keyBytes.buffer);

/**
 * XORs `data` in place with `mask` (4 bytes). `offset` is the position of `data[0]` within the
 * payload the mask applies to, for unmasking a payload piece by piece.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, offset = 0): void {
  const length = data.length;
  let i = 0;
  if (length >= WORD_THRESHOLD) {
    // Bytes up to the first 4-byte aligned address, then whole words, then the tail.
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i] ^= mask[(offset + i) & 3];
    for (let k = 0; k < 4; k++) keyBytes[k] = mask[(offset + i + k) & 3];
    const key = keyWord[0];
    const words = (length - i) >>> 2;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= key;
    i += words << 2;
  }
  for (; i < length; i++) data[i] ^= mask[(offset + i) & 3];
}

const POOL_SIZE = 8192;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * A fresh 4-byte masking key. Keys are views of a pool filled by `crypto.randomFillSync`; an
 * exhausted pool is replaced, never refilled, so a key handed out earlier never changes.
 */
export function randomMask(): Buffer {
  if (poolOffset + 4 > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_SIZE));
    poolOffset = 0;
  }
  const mask = pool.subarray(poolOffset, poolOffset + 4);
  poolOffset += 4;
  return mask;
}
