/**
 * Latency statistics over compact samples. Percentiles are nearest-rank (the
 * smallest sample with at least p% of samples at or below it), so every value
 * reported is one that was actually measured. The benchmark reuses this.
 */

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** The finite samples of `values`, sorted ascending (NaN marks "not measured"). */
export function sortedSamples(values: ArrayLike<number>, count = values.length): Float64Array {
  const out = new Float64Array(count);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const value = values[i] as number;
    if (Number.isFinite(value)) out[kept++] = value;
  }
  return out.subarray(0, kept).sort();
}

/** Nearest-rank percentile of ascending `sorted`; 0 when there are no samples. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  if (!(p > 0)) return sorted[0] as number;
  const rank = Math.min(sorted.length, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface Distribution {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** p50/p90/p95/p99/max/mean of the finite samples in `values`. */
export function distribution(values: ArrayLike<number>, count = values.length): Distribution {
  const sorted = sortedSamples(values, count);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number),
    mean: sorted.length === 0 ? 0 : sum / sorted.length,
  };
}

/** Rounds a millisecond figure for reports: 3 significant decimals are noise here. */
export const roundMs = (value: number): number => Math.round(value * 100) / 100;
