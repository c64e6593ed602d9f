/**
 * An HDR-style latency histogram in microseconds: log-linear buckets with 1,024 steps per power
 * of two above 2,048 µs (exact below), so any recorded value is known to within 1/1024 of itself
 * (three significant digits) from 1 µs to an hour, in one fixed array of 24,576 counts (192 KiB)
 * whatever the number of samples. Percentiles follow the nearest-rank rule on the recorded
 * values: the p-th percentile is the bucket holding the ceil(p/100 * n)-th smallest sample, read
 * as the highest value that bucket can hold (never above the largest value recorded).
 *
 * Histograms merge by adding counts, so worker processes send theirs (`toJSON`, sparse) and the
 * parent adds them up.
 *
 * @example
 * const h = new Histogram();
 * h.record(1_250); // µs
 * h.percentile(99); // 1250
 */

/** Values below this are counted exactly, one bucket per microsecond. */
const LINEAR = 2048;
/** Steps per power of two above LINEAR. */
const HALF = 1024;
const HALF_BITS = 10;
/** The largest value tracked (one hour in µs); larger values count as this. */
export const HISTOGRAM_MAX_US = 3_600_000_000;
/** Powers of two above LINEAR needed to reach HISTOGRAM_MAX_US (2^32 > 3.6e9). */
const MAGNITUDES = 21;
const SLOTS = LINEAR + MAGNITUDES * HALF;

/** The bucket of value `v` (a non-negative integer, at most HISTOGRAM_MAX_US). */
function indexOf(v: number): number {
  if (v < LINEAR) return v;
  // v >> shift lies in [HALF, 2 * HALF): shift = floor(log2(v)) - HALF_BITS.
  const shift = 31 - Math.clz32(v) - HALF_BITS;
  return LINEAR + (shift - 1) * HALF + ((v >>> shift) - HALF);
}

/** The highest value bucket `index` holds. */
function highestOf(index: number): number {
  if (index < LINEAR) return index;
  const shift = ((index - LINEAR) >> HALF_BITS) + 1;
  const step = (index - LINEAR) & (HALF - 1);
  return (HALF + step + 1) * 2 ** shift - 1;
}

/** The sparse form a histogram travels in: [bucket, count] pairs, and the exact extremes. */
export interface HistogramJSON {
  counts: number[];
  count: number;
  min: number;
  max: number;
  sum: number;
}

/** The figures usually reported, in µs. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  private readonly counts = new Float64Array(SLOTS);
  count = 0;
  /** Smallest and largest values recorded (exact), in µs. */
  min = Number.POSITIVE_INFINITY;
  max = 0;
  private sum = 0;

  /**
   * Counts one value in µs (rounded; negative counts as 0, above an hour as an hour).
   *
   * @example
   * histogram.record((performance.now() - sentAt) * 1000);
   */
  record(us: number): void {
    let v = Math.round(us);
    if (!(v > 0)) v = 0;
    else if (v > HISTOGRAM_MAX_US) v = HISTOGRAM_MAX_US;
    this.counts[indexOf(v)]++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /**
   * The value at percentile `p` (0-100] in µs, 0 when empty.
   *
   * @example
   * histogram.percentile(99.9);
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    const counts = this.counts;
    for (let i = 0; i < SLOTS; i++) {
      seen += counts[i];
      if (seen >= rank) return Math.min(highestOf(i), this.max);
    }
    return this.max;
  }

  /** p50, p90, p99, p99.9, max, mean and count in µs. */
  summary(): LatencySummary {
    return {
      count: this.count,
      min: this.count === 0 ? 0 : this.min,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }

  /**
   * The percentile curve: [percentile, µs] at log-spaced points toward 100 (50, 75, 87.5, ...),
   * the form HdrHistogram plots.
   */
  curve(): Array<[number, number]> {
    const points: Array<[number, number]> = [];
    if (this.count === 0) return points;
    for (let tail = 1; tail >= 1e-6 && tail * this.count >= 0.5; tail /= 2) {
      const p = 100 * (1 - tail);
      points.push([p, this.percentile(p === 0 ? 0.0001 : p)]);
    }
    points.push([100, this.max]);
    return points;
  }

  /** Adds `other`'s counts to this one. */
  add(other: Histogram | HistogramJSON): void {
    const json = other instanceof Histogram ? other.toJSON() : other;
    for (let i = 0; i < json.counts.length; i += 2) this.counts[json.counts[i]] += json.counts[i + 1];
    this.count += json.count;
    this.sum += json.sum;
    if (json.count > 0) {
      this.min = Math.min(this.min, json.min);
      this.max = Math.max(this.max, json.max);
    }
  }

  /** Forgets every value. */
  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }

  /** The sparse form (non-empty buckets only), for IPC and --json. */
  toJSON(): HistogramJSON {
    const counts: number[] = [];
    if (this.count > 0) for (let i = 0; i < SLOTS; i++) if (this.counts[i] !== 0) counts.push(i, this.counts[i]);
    return { counts, count: this.count, min: this.count === 0 ? 0 : this.min, max: this.max, sum: this.sum };
  }

  /** A histogram from its sparse form. */
  static fromJSON(json: HistogramJSON): Histogram {
    const h = new Histogram();
    h.add(json);
    return h;
  }
}
