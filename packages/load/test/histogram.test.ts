// The histogram against a sorted array of the same samples: every reported percentile is the
// nearest-rank sample's value to within the bucket width (1/1024 of it), merging adds exactly,
// and the sparse form survives a round trip.
import { describe, expect, it } from 'vitest';
import { Histogram, HISTOGRAM_MAX_US } from '@http-kit/load';

/** A small deterministic generator (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Nearest rank: the ceil(p/100 * n)-th smallest. */
function reference(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

const PERCENTILES = [1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

function samples(seed: number, n: number): number[] {
  const random = rng(seed);
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    // Most fast, a long tail over six decades, a few exact small values.
    if (r < 0.7) values.push(Math.round(200 + random() * 3_000));
    else if (r < 0.98) values.push(Math.round(10 ** (3 + random() * 5)));
    else values.push(Math.floor(random() * 2048));
  }
  return values;
}

describe('Histogram', () => {
  it('reports each percentile as the nearest-rank sample, to within 1/1024 of it', () => {
    for (const seed of [1, 7, 12345]) {
      const values = samples(seed, 20_000);
      const h = new Histogram();
      for (const v of values) h.record(v);
      const sorted = values.slice().sort((a, b) => a - b);
      for (const p of PERCENTILES) {
        const want = reference(sorted, p);
        const got = h.percentile(p);
        expect(got, `p${p} seed ${seed}`).toBeGreaterThanOrEqual(want);
        expect(got, `p${p} seed ${seed}`).toBeLessThanOrEqual(want + Math.floor(want / 1024));
      }
      expect(h.count).toBe(values.length);
      expect(h.min).toBe(sorted[0]);
      expect(h.max).toBe(sorted[sorted.length - 1]);
      expect(h.summary().mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
    }
  });

  it('is exact below 2048 µs and clamps what it cannot hold', () => {
    const h = new Histogram();
    for (let v = 0; v < 2048; v++) h.record(v);
    expect(h.percentile(50)).toBe(1023);
    expect(h.percentile(100)).toBe(2047);
    h.record(-5);
    h.record(Number.NaN);
    h.record(HISTOGRAM_MAX_US * 10);
    expect(h.count).toBe(2051);
    expect(h.max).toBe(HISTOGRAM_MAX_US);
    expect(h.min).toBe(0);
  });

  it('merges by adding counts: the merge of two equals one histogram of both', () => {
    const a = samples(3, 5_000);
    const b = samples(4, 7_000);
    const ha = new Histogram();
    const hb = new Histogram();
    const both = new Histogram();
    for (const v of a) ha.record(v), both.record(v);
    for (const v of b) hb.record(v), both.record(v);
    const merged = Histogram.fromJSON(JSON.parse(JSON.stringify(ha.toJSON())));
    merged.add(hb);
    expect(merged.summary()).toEqual(both.summary());
    expect(merged.toJSON()).toEqual(both.toJSON());
  });

  it('gives an empty summary and curve when nothing was recorded', () => {
    const h = new Histogram();
    expect(h.summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    expect(h.curve()).toEqual([]);
    h.record(10);
    expect(h.curve().at(-1)).toEqual([100, 10]);
  });
});
