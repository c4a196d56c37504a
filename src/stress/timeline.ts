import { Histogram, roundMs } from "./stats.js";

/**
 * A run second by second, by when requests ended: how many ended with each
 * outcome, and their latency in a coarse histogram (4 bits: within 6%),
 * enough to draw p50 and p99 over time. Memory grows with the run's
 * duration (under 2 KB a second), not with its number of requests.
 */

export type TimelineOutcome = "accepted" | "refused" | "busy" | "error";

export interface TimelineSeries {
  /** Second s covers [s, s + 1) after the load started. */
  second: number[];
  accepted: number[];
  refused: number[];
  busy: number[];
  error: number[];
  p50Ms: number[];
  p99Ms: number[];
}

interface Second {
  accepted: number;
  refused: number;
  busy: number;
  error: number;
  latency: Histogram;
}

const COARSE_BITS = 4;

export class Timeline {
  private readonly seconds: (Second | undefined)[] = [];

  record(atSeconds: number, outcome: TimelineOutcome, latencyMs: number): void {
    const s = Math.max(0, Math.floor(atSeconds));
    let second = this.seconds[s];
    if (second === undefined) {
      second = { accepted: 0, refused: 0, busy: 0, error: 0, latency: new Histogram(COARSE_BITS) };
      this.seconds[s] = second;
    }
    second[outcome]++;
    second.latency.record(latencyMs);
  }

  series(): TimelineSeries {
    const series: TimelineSeries = { second: [], accepted: [], refused: [], busy: [], error: [], p50Ms: [], p99Ms: [] };
    for (let s = 0; s < this.seconds.length; s++) {
      const second = this.seconds[s];
      series.second.push(s);
      series.accepted.push(second?.accepted ?? 0);
      series.refused.push(second?.refused ?? 0);
      series.busy.push(second?.busy ?? 0);
      series.error.push(second?.error ?? 0);
      series.p50Ms.push(second ? roundMs(second.latency.percentile(50)) : Number.NaN);
      series.p99Ms.push(second ? roundMs(second.latency.percentile(99)) : Number.NaN);
    }
    return series;
  }
}
