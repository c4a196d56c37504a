import { parseDate } from "../src/core/dates.js";
import type { StressOptions, StressScenario } from "../src/stress/index.js";

/**
 * What each measured phase asks the booking core to do, as options of the
 * stress library (src/stress): the bench runs `hotel stress`'s own engine
 * with a time budget. Every phase gets its own scratch schema, inventory and
 * warm-up; one seed, so every strategy gets the same requests.
 */

export const CHECK_IN = "2031-03-01";
/** The night every flash-sale request wants, as the epoch day the limit's advisory lock uses. */
export const FLASH_NIGHT_KEY = Math.round(parseDate(CHECK_IN, "check-in").getTime() / 86_400_000);
const SEED = 1;
/** Nights of booking history in the warm-up tier, so the planner sees a realistic table. */
const HISTORY_NIGHTS = 150;

export type Shape = "flash" | "fits" | "overlapping" | "tiers";

export interface Scenario {
  /** Stable id used in the JSON: `flash-300@c10`. */
  id: string;
  shape: Shape;
  label: string;
  /** Suites over all the phase's tiers. */
  suites: number;
  /** Confirmed bookings already on the flash night before the clock starts. */
  prefill: number;
  n: number;
  concurrency: number;
  maxSeconds: number;
}

interface ShapeOptions {
  n: number;
  suites: number;
  concurrency: number;
  maxSeconds: number;
  prefill?: number;
}

/** Every request wants the same night of one tier: each takes the same lock, `suites - prefill` win. */
export function flash(o: ShapeOptions): Scenario {
  const prefill = o.prefill ?? 0;
  const label = prefill > 0 ? `flash ${o.n} req, ${o.suites} suites (${prefill} pre-booked)` : `flash ${o.n} req, ${o.suites} suites`;
  return { id: `flash-${o.suites}${prefill > 0 ? `p${prefill}` : ""}@c${o.concurrency}`, shape: "flash", label, suites: o.suites, prefill, n: o.n, concurrency: o.concurrency, maxSeconds: o.maxSeconds };
}

/** The same night for everyone, but a suite for each: every request is accepted. */
export const fits = (o: ShapeOptions): Scenario => ({ ...flash(o), id: `fits-${o.suites}@c${o.concurrency}`, shape: "fits", label: `fits ${o.n} req, ${o.suites} suites` });

/** Stays of 1-7 nights starting on any day of a 14-day window. */
export const overlapping = (o: ShapeOptions): Scenario => ({
  ...flash(o),
  id: `overlap-${o.suites}@c${o.concurrency}`,
  shape: "overlapping",
  label: `overlapping 1-7 nights, ${o.n} req, ${o.suites} suites`,
});

/** The same night in one of three tiers: three independent locks. */
export const tiers = (o: ShapeOptions): Scenario => ({
  ...flash(o),
  id: `tiers-3x${o.suites}@c${o.concurrency}`,
  shape: "tiers",
  label: `3 tiers, ${o.n} req, ${o.suites} suites each`,
  suites: o.suites * 3,
});

const STRESS_SCENARIO: Record<Shape, StressScenario> = { flash: "same-dates", fits: "same-dates", overlapping: "overlapping", tiers: "mixed-tiers" };

/** The stress options of a phase. */
export function stressOptions(scenario: Scenario, strategy: string): StressOptions {
  return {
    n: scenario.n,
    duration: `${scenario.maxSeconds}s`,
    concurrency: scenario.concurrency,
    scenario: STRESS_SCENARIO[scenario.shape],
    strategy,
    capacity: scenario.shape === "tiers" ? scenario.suites / 3 : scenario.suites,
    checkIn: CHECK_IN,
    seed: SEED,
    prefill: scenario.prefill,
    historyNights: HISTORY_NIGHTS,
    // Every pooled connection opened, the query compiler loaded, the function's plans cached, V8 warm.
    warmUpRequests: Math.max(scenario.concurrency * 4, 100),
  };
}
