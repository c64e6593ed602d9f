import { describe, it, expect } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { Utf8Validator } from '../src/codec/utf8.js';

/** Feeds `bytes` cut at `cuts`; returns the index of the piece that failed (-1: none; pieces.length: at end()). */
function failingPiece(bytes: Buffer, cuts: number[]): number {
  const v = new Utf8Validator();
  const points = [0, ...cuts, bytes.length];
  for (let k = 0; k + 1 < points.length; k++) {
    if (!v.feed(bytes.subarray(points[k], points[k + 1]))) return k;
  }
  return v.end() ? -1 : points.length - 1;
}

const VALID = Buffer.from('aé€𝄞 ascii 😀 ✓ ÿ 中文 \u{10FFFF}\u{FFFF}\u{E000}\u{D7FF}', 'utf8');

describe('Utf8Validator', () => {
  it('accepts valid multi-byte text cut at every point, and at every pair of points', () => {
    for (let i = 0; i <= VALID.length; i++) expect(failingPiece(VALID, [i]), `cut at ${i}`).toBe(-1);
    for (let i = 0; i <= VALID.length; i++) for (let j = i; j <= VALID.length; j++) expect(failingPiece(VALID, [i, j])).toBe(-1);
    const v = new Utf8Validator();
    for (const byte of VALID) expect(v.feed(Buffer.from([byte]))).toBe(true);
    expect(v.end()).toBe(true);
  });

  // Each: bytes, and the index of the byte that makes them invalid.
  const INVALID: Array<[string, number[], number]> = [
    ['overlong 2-byte (C0 80)', [0x61, 0xc0, 0x80, 0x62], 1],
    ['overlong 2-byte (C1 BF)', [0x61, 0xc1, 0xbf], 1],
    ['overlong 3-byte (E0 80 80)', [0x61, 0xe0, 0x80, 0x80], 2],
    ['overlong 3-byte (E0 9F BF)', [0xe0, 0x9f, 0xbf], 1],
    ['overlong 4-byte (F0 80 80 80)', [0x62, 0x62, 0xf0, 0x80, 0x80, 0x80], 3],
    ['overlong 4-byte (F0 8F BF BF)', [0xf0, 0x8f, 0xbf, 0xbf], 1],
    ['surrogate U+D800 (ED A0 80)', [0x61, 0xed, 0xa0, 0x80], 2],
    ['surrogate U+DFFF (ED BF BF)', [0xed, 0xbf, 0xbf, 0x61], 1],
    ['above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80], 1],
    ['lead F5', [0x61, 0xf5, 0x80, 0x80, 0x80], 1],
    ['byte FF', [0x61, 0x62, 0xff], 2],
    ['stray continuation', [0x61, 0x80, 0x61], 1],
    ['stray continuation after a complete sequence', [0xc3, 0xa9, 0xa9], 2],
    ['lead then ASCII', [0xe2, 0x82, 0x41], 2],
    ['two leads', [0xc3, 0xc3, 0xa9], 1],
  ];

  for (const [name, bytes, bad] of INVALID) {
    it(`fails ${name} in the piece that holds the bad byte, wherever it is cut`, () => {
      const data = Buffer.from(bytes);
      expect(isUtf8(data)).toBe(false);
      for (let i = 0; i <= data.length; i++) {
        // Two pieces: [0, i) and [i, end). The bad byte at `bad` is in piece 0 when bad < i.
        expect(failingPiece(data, [i]), `cut at ${i}`).toBe(bad < i ? 0 : 1);
      }
      // Bigger, with valid text around it, cut just after the bad byte.
      const padded = Buffer.concat([VALID, data, VALID]);
      expect(failingPiece(padded, [VALID.length + bad + 1])).toBe(0);
      expect(failingPiece(padded, [VALID.length + bad])).toBe(1);
    });
  }

  it('fails text truncated inside a sequence only at the end', () => {
    for (const bytes of [[0xc3], [0xe2, 0x82], [0xf0, 0x9d, 0x84], [0x61, 0xf4, 0x8f, 0xbf]]) {
      const data = Buffer.from(bytes);
      for (let i = 0; i <= data.length; i++) expect(failingPiece(data, [i])).toBe(2); // end() is "piece" 2
    }
  });

  it('stays failed until reset', () => {
    const v = new Utf8Validator();
    expect(v.feed(Buffer.from([0xff]))).toBe(false);
    expect(v.feed(Buffer.from('abc'))).toBe(false);
    expect(v.end()).toBe(false);
    v.reset();
    expect(v.feed(Buffer.from('abc'))).toBe(true);
    expect(v.end()).toBe(true);
  });

  it('agrees with buffer.isUtf8 on random bytes cut at random points', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    const interesting = [
      0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4,
      0xf5, 0xff,
    ];
    for (let round = 0; round < 3000; round++) {
      const length = Math.floor(random() * 12);
      const data = Buffer.alloc(length);
      for (let i = 0; i < length; i++) data[i] = interesting[Math.floor(random() * interesting.length)];
      const cuts = [Math.floor(random() * (length + 1)), Math.floor(random() * (length + 1))].sort((a, b) => a - b);
      expect(failingPiece(data, cuts) === -1, data.toString('hex')).toBe(isUtf8(data));
    }
  });

  it('fails long texts (the bulk check, past the byte-wise size) in the piece holding the first bad byte, cut at random points', () => {
    let seed = 777;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    const odd = [0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff];
    for (let round = 0; round < 2000; round++) {
      // Valid text with, now and then, a byte that may break it.
      const parts: Buffer[] = [];
      const count = 2 + Math.floor(random() * 30);
      for (let k = 0; k < count; k++) {
        const start = Math.floor(random() * VALID.length);
        parts.push(VALID.subarray(start, start + Math.floor(random() * 12)));
        if (random() < 0.08) parts.push(Buffer.from([odd[Math.floor(random() * odd.length)]]));
      }
      const data = Buffer.concat(parts);
      // Where it fails, byte by byte (the state machine alone): the first bad byte, or the end.
      const bytewise = failingPiece(
        data,
        Array.from({ length: Math.max(0, data.length - 1) }, (_, i) => i + 1),
      );
      const cuts = [Math.floor(random() * (data.length + 1)), Math.floor(random() * (data.length + 1))].sort((a, b) => a - b);
      const points = [0, ...cuts, data.length];
      const expected =
        bytewise === -1 ? -1 : bytewise >= data.length ? points.length - 1 : points.findIndex((p, k) => k > 0 && bytewise < p) - 1;
      expect(failingPiece(data, cuts), `${data.toString('hex')} cut at ${cuts}`).toBe(expected);
      expect(bytewise === -1).toBe(isUtf8(data));
    }
  });
});
