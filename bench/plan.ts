import type { LimitPhase, LimitShape } from "./limit.js";
import { fits, flash, overlapping, tiers, type Scenario } from "./scenarios.js";
import type { StressStrategy as Strategy } from "../src/stress/index.js";
import type { ScalePlan } from "./scale.js";

/**
 * What a run measures, in order. Every phase is bounded twice: by a request
 * count and by seconds (requests in flight when time runs out finish; rates
 * are over what completed). The machine is shared and noisy, so the ratios
 * the targets rest on are measured interleaved: the limit and the phases it
 * is compared with run in alternating slices, so that a burst of background
 * load lands on both sides alike. Other phases of one scenario run back to back.
 */

export interface PhaseSpec {
  strategy: Strategy;
  scenario: Scenario;
}

export type Step =
  | { kind: "limit"; phase: LimitPhase }
  | { kind: "pgbench"; concurrency: number; seconds: number }
  | ({ kind: "phase" } & PhaseSpec)
  | {
      kind: "interleaved";
      /** Names the group in the report. */
      name: string;
      concurrency: number;
      limits: LimitShape[];
      phases: PhaseSpec[];
      rounds: number;
      /** Each limit's share of a round. */
      limitSlice: { n: number; seconds: number };
    };

export interface Plan {
  mode: "full" | "quick";
  steps: Step[];
  overhead: { n: number; maxSeconds: number };
  /** Timed calls of each operation alone, in slices alternating with the limit. */
  operations: { n: number; slice: number };
  /** The scale section: a flash-sale night through PgBouncer, over two serves, in two properties. */
  scale: ScalePlan;
  stressN: number[];
  stressTimeoutSeconds: number;
  startupRuns: number;
}

/** The concurrency of the headline target. */
export const TARGET_CONCURRENCY = 10;
/** The limit the ratios use: the four statements, one round trip each, through node-pg (see limit.ts). */
export const REFERENCE_SHAPE: LimitShape = "4rt";

const limit = (shape: LimitShape, concurrency: number, n: number, maxSeconds: number): Step => ({ kind: "limit", phase: { shape, concurrency, n, maxSeconds } });
const phases = (scenario: Scenario, ...strategies: Strategy[]): Step[] => strategies.map((strategy) => ({ kind: "phase", strategy, scenario }));
/** A group measured interleaved: both limits against the default (locked) strategy on each of `scenarios`. */
const interleaved = (name: string, concurrency: number, scenarios: Scenario[], rounds: number, limitSlice: { n: number; seconds: number }): Step => ({
  kind: "interleaved",
  name,
  concurrency,
  limits: ["4rt", "1rt"],
  phases: scenarios.map((scenario): PhaseSpec => ({ strategy: "locked", scenario })),
  rounds,
  limitSlice,
});

/** A flash-sale night of `n` requests for `suites` suites at c=10, in `rounds` slices per side. */
const scalePlan = (n: number, suites: number, rounds: number): ScalePlan => ({
  flash: { n, suites, concurrency: TARGET_CONCURRENCY, maxSeconds: 60 },
  rounds,
  properties: { n, suites, concurrency: TARGET_CONCURRENCY, rounds },
});

export function planFor(mode: "full" | "quick"): Plan {
  return mode === "full" ? fullPlan() : quickPlan();
}

function fullPlan(): Plan {
  const flash300 = (maxSeconds: number): Scenario => flash({ n: 3000, suites: 300, concurrency: 10, maxSeconds });
  const flash3000 = flash({ n: 3000, suites: 3000, prefill: 2700, concurrency: 10, maxSeconds: 30 });
  const alone = (maxSeconds: number): Scenario => fits({ n: 300, suites: 300, concurrency: 1, maxSeconds });
  const steps: Step[] = [
    ...[1, 10, 50].flatMap((c) => [limit("4rt", c, 6000, 2), limit("1rt", c, 6000, 2)]),
    { kind: "pgbench", concurrency: 1, seconds: 2 },
    { kind: "pgbench", concurrency: 10, seconds: 3 },
    // The headline: a flash-sale night at c=10, 300 suites, and the same with
    // 3000 suites of which 2700 are already booked (the same 300 win).
    interleaved("flash@c10", TARGET_CONCURRENCY, [flash300(30), flash3000], 5, { n: 2000, seconds: 0.6 }),
    ...phases(flash300(6), "interactive"),
    ...phases(flash300(3), "serializable"),
    ...phases(fits({ n: 400, suites: 400, concurrency: 10, maxSeconds: 6 }), "locked", "interactive", "serializable"),
    interleaved("alone@c1", 1, [alone(10)], 3, { n: 400, seconds: 0.4 }),
    ...phases(alone(4), "interactive", "serializable"),
    ...phases(overlapping({ n: 1000, suites: 100, concurrency: 10, maxSeconds: 5 }), "locked", "interactive", "serializable"),
    ...phases(tiers({ n: 1500, suites: 100, concurrency: 10, maxSeconds: 5 }), "locked", "interactive", "serializable"),
    ...phases(flash({ n: 1000, suites: 100, concurrency: 1, maxSeconds: 4 }), "locked", "interactive", "serializable"),
    ...phases(flash({ n: 3000, suites: 300, concurrency: 50, maxSeconds: 5 }), "locked", "interactive", "serializable"),
  ];
  return { mode: "full", steps, overhead: { n: 600, maxSeconds: 5 }, operations: { n: 1000, slice: 50 }, scale: scalePlan(3000, 300, 6), stressN: [20000, 200000], stressTimeoutSeconds: 600, startupRuns: 8 };
}

function quickPlan(): Plan {
  const flash100 = (maxSeconds: number): Scenario => flash({ n: 1000, suites: 100, concurrency: 10, maxSeconds });
  const flash1000 = flash({ n: 1000, suites: 1000, prefill: 900, concurrency: 10, maxSeconds: 10 });
  const steps: Step[] = [
    limit("4rt", 10, 3000, 1),
    limit("1rt", 10, 3000, 1),
    { kind: "pgbench", concurrency: 1, seconds: 1 },
    { kind: "pgbench", concurrency: 10, seconds: 1 },
    interleaved("flash@c10", TARGET_CONCURRENCY, [flash100(10), flash1000], 3, { n: 1500, seconds: 0.4 }),
    ...phases(flash100(1.5), "interactive", "serializable"),
    ...phases(fits({ n: 200, suites: 200, concurrency: 10, maxSeconds: 1.5 }), "locked", "interactive", "serializable"),
    interleaved("alone@c1", 1, [fits({ n: 150, suites: 150, concurrency: 1, maxSeconds: 5 })], 2, { n: 200, seconds: 0.25 }),
  ];
  // Memory: a stress process reaches its steady size by n = 1,000 (measured: 162 MB at 200,
  // 181 MB at 1,000, 183 MB at 2,000, 181 MB at 5,000), so flatness is judged from there.
  return { mode: "quick", steps, overhead: { n: 200, maxSeconds: 1.5 }, operations: { n: 300, slice: 30 }, scale: scalePlan(1000, 100, 3), stressN: [1000, 5000], stressTimeoutSeconds: 60, startupRuns: 3 };
}
