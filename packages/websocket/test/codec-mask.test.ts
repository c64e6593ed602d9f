import { describe, it, expect } from 'vitest';
import { applyMask, randomMask } from '../src/codec/mask.js';

function maskedSlowly(data: Buffer, mask: Buffer, offset: number): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i] ^= mask[(offset + i) & 3];
  return out;
}

describe('applyMask', () => {
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

  it('XORs each byte with the key byte at its position, for every length, alignment and offset', () => {
    const backing = Buffer.alloc(300);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 31 + 7) & 0xff;
    for (const length of [0, 1, 3, 4, 5, 31, 32, 33, 64, 100, 257]) {
      for (let start = 0; start < 8; start++) {
        for (let offset = 0; offset < 4; offset++) {
          const data = Buffer.from(backing.subarray(0, start + length)).subarray(start); // unaligned views too
          const expected = maskedSlowly(data, mask, offset);
          applyMask(data, mask, offset);
          expect(data.equals(expected), `length ${length} start ${start} offset ${offset}`).toBe(true);
        }
      }
    }
  });

  it('is its own inverse, and unmasking in pieces with offsets equals unmasking at once', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog, again and again and again.');
    const whole = Buffer.from(data);
    applyMask(whole, mask);
    const pieces = Buffer.from(data);
    applyMask(pieces.subarray(0, 5), mask, 0);
    applyMask(pieces.subarray(5, 41), mask, 5);
    applyMask(pieces.subarray(41), mask, 41);
    expect(pieces.equals(whole)).toBe(true);
    applyMask(whole, mask);
    expect(whole.equals(data)).toBe(true);
  });

  it('masks a large payload like the byte loop does', () => {
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    const expected = maskedSlowly(data, mask, 0);
    applyMask(data, mask);
    expect(data.equals(expected)).toBe(true);
  });
});

describe('randomMask', () => {
  it('hands out 4-byte keys that stay as they were when the pool is replaced', () => {
    const first = randomMask();
    const copy = Buffer.from(first);
    const keys = new Set<string>();
    for (let i = 0; i < 5000; i++) keys.add(randomMask().toString('hex')); // goes through several pools
    expect(first.length).toBe(4);
    expect(first.equals(copy)).toBe(true);
    expect(keys.size).toBeGreaterThan(4990); // 32 random bits: collisions are rare
  });
});
