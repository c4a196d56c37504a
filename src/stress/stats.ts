/**
 * Latency statistics in constant memory: a log-linear histogram in the manner
 * of HdrHistogram. Values are kept in whole microseconds. Below
 * 2^(precisionBits + 1) µs every microsecond has its own bucket (exact); above,
 * each power of two is split into 2^precisionBits equal buckets, so a bucket
 * is never wider than 1/2^precisionBits of its values. With the default of 10
 * bits, values up to 2.048 ms are exact to the microsecond and every value
 * above is within 0.1% (one part in 1024). A percentile is reported as the
 * highest value of the bucket that holds it (never below what was measured),
 * clamped to the measured minimum and maximum; `max` and `mean` are exact.
 * Percentiles are nearest-rank: the smallest value with at least p% of the
 * samples at or below it.
 */

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** Rounds a millisecond figure for reports: 3 significant decimals are noise here. */
export const roundMs = (value: number): number => Math.round(value * 100) / 100;

/** Four significant digits: bin edges span microseconds to seconds. */
const significant = (value: number): number => Number(value.toPrecision(4));

/** The percentiles every latency figure of a report carries. */
export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface HistogramBin {
  fromMs: number;
  toMs: number;
  count: number;
}

const LARGEST_US = 2 ** 42; // about 50 days: anything longer is clamped

export class Histogram {
  readonly precisionBits: number;
  private readonly half: number;
  private counts: Float64Array;
  private total = 0;
  private sum = 0;
  private lowest = Infinity;
  private highest = -Infinity;

  constructor(precisionBits = 10) {
    if (!Number.isInteger(precisionBits) || precisionBits < 1 || precisionBits > 14) throw new RangeError(`precisionBits ${precisionBits} is not in 1..14`);
    this.precisionBits = precisionBits;
    this.half = 2 ** precisionBits;
    // Room for values up to ~16 times the exact range; grows on demand.
    this.counts = new Float64Array(this.half * 6);
  }

  get count(): number {
    return this.total;
  }

  /** Records one value in milliseconds; NaN (not measured) is ignored, negatives count as 0. */
  record(ms: number): void {
    if (Number.isNaN(ms)) return;
    const value = Math.max(0, ms);
    const index = this.indexOf(Math.min(LARGEST_US, Math.round(value * 1000)));
    if (index >= this.counts.length) this.grow(index);
    this.counts[index] = (this.counts[index] as number) + 1;
    this.total++;
    this.sum += value;
    if (value < this.lowest) this.lowest = value;
    if (value > this.highest) this.highest = value;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.lowest;
  }

  get max(): number {
    return this.total === 0 ? 0 : this.highest;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /** Nearest-rank percentile in milliseconds (0 when empty). */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    if (!(p > 0)) return this.lowest;
    if (p >= 100) return this.highest;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let index = 0; index < this.counts.length; index++) {
      seen += this.counts[index] as number;
      if (seen >= rank) return Math.min(this.highest, Math.max(this.lowest, this.highestValueOf(index) / 1000));
    }
    return this.highest;
  }

  percentiles(): Percentiles {
    return {
      p50: roundMs(this.percentile(50)),
      p90: roundMs(this.percentile(90)),
      p95: roundMs(this.percentile(95)),
      p99: roundMs(this.percentile(99)),
      p999: roundMs(this.percentile(99.9)),
      max: roundMs(this.max),
    };
  }

  /**
   * The distribution in `count` bins of equal width on a log scale between the
   * smallest and the largest value, or over `range` (for drawing several
   * histograms on one axis); each bucket lands in the bin that holds its
   * highest value, values outside the range in the first or last bin.
   */
  bins(count: number, range: { fromMs: number; toMs: number } = { fromMs: this.lowest, toMs: this.highest }): HistogramBin[] {
    if (this.total === 0 && range.fromMs === Infinity) return [];
    const from = Math.max(0.001, range.fromMs);
    const to = Math.max(from * 1.001, range.toMs);
    const ratio = Math.log(to / from) / count;
    const bins: HistogramBin[] = Array.from({ length: count }, (_, i) => ({ fromMs: from * Math.exp(ratio * i), toMs: from * Math.exp(ratio * (i + 1)), count: 0 }));
    for (let index = 0; index < this.counts.length; index++) {
      const n = this.counts[index] as number;
      if (n === 0) continue;
      const value = Math.min(to, Math.max(from, this.highestValueOf(index) / 1000));
      const bin = Math.min(count - 1, Math.max(0, Math.floor(Math.log(value / from) / ratio)));
      (bins[bin] as HistogramBin).count += n;
    }
    return bins.map((bin) => ({ fromMs: significant(bin.fromMs), toMs: significant(bin.toMs), count: bin.count }));
  }

  private indexOf(us: number): number {
    if (us < this.half * 2) return us;
    const magnitude = us < 2 ** 31 ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
    const shift = magnitude - this.precisionBits;
    const sub = Math.floor(us / 2 ** shift);
    return shift * this.half + sub;
  }

  /** The highest microsecond value that lands in bucket `index`. */
  private highestValueOf(index: number): number {
    if (index < this.half * 2) return index;
    const shift = Math.floor(index / this.half) - 1;
    const sub = index - shift * this.half;
    return (sub + 1) * 2 ** shift - 1;
  }

  private grow(index: number): void {
    let length = this.counts.length;
    while (length <= index) length *= 2;
    const counts = new Float64Array(length);
    counts.set(this.counts);
    this.counts = counts;
  }
}

/** A histogram of `values` (NaN skipped): for small sample sets measured outside a run. */
export function histogramOf(values: Iterable<number>, precisionBits?: number): Histogram {
  const histogram = new Histogram(precisionBits);
  for (const value of values) histogram.record(value);
  return histogram;
}
