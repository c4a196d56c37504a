import { exponential, mixSeed, mulberry32 } from "./random.js";

/**
 * The open model's arrival schedule: when request k is due, in milliseconds
 * after the load starts. `uniform` spaces arrivals exactly 1/rate apart (as
 * wrk2 does); `poisson` draws exponential gaps of mean 1/rate from the run's
 * seed (as real independent clients arrive), so `--seed` repeats it.
 * Arrivals are read in order; the generator holds one number of state.
 */

export const ARRIVALS = ["uniform", "poisson"] as const;
export type Arrival = (typeof ARRIVALS)[number];

/** Salt that keeps the arrival stream independent of the requests' own streams. */
const ARRIVAL_SALT = 0x5eed_a441;

export interface ArrivalSchedule {
  /** The due time of arrival k (ms after the start); k only ever grows by one. */
  offsetOf(k: number): number;
}

export function arrivalSchedule(rate: number, arrival: Arrival, seed: number): ArrivalSchedule {
  const gapMs = 1000 / rate;
  if (arrival === "uniform") return { offsetOf: (k) => k * gapMs };
  const next = mulberry32(mixSeed(seed, ARRIVAL_SALT));
  let at = 0;
  let reached = 0;
  return {
    offsetOf(k) {
      if (k < reached) throw new RangeError(`arrivals are read in order: ${k} after ${reached}`);
      // The first arrival is at 0, then one exponential gap per arrival.
      while (reached < k) {
        at += exponential(next, gapMs);
        reached++;
      }
      return at;
    },
  };
}
