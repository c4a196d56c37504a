import { openScratchRun, resolveStressConfig, type ScratchRun, type StressOptions, type StressReport } from "../src/stress/index.js";
import { stressOptions, type Scenario } from "./scenarios.js";
import { registerCleanup } from "./scratch.js";

/**
 * One strategy on one scenario, through the stress library: its own scratch
 * schema and inventory, a warm-up, the measured load (in one go or in
 * slices), the oracle's judgement of the final rows, the drop.
 */

export interface PhaseResult {
  strategy: string;
  scenario: Scenario;
  report: StressReport;
}

export interface OpenPhase {
  /** Runs the scenario's requests up to index `until` (exclusive). */
  runUntil(until: number): Promise<void>;
  readonly done: boolean;
  /** Judges the final rows and drops the schema. */
  finish(): Promise<PhaseResult>;
  /** Drops everything without a result (on failure). */
  abandon(): Promise<void>;
}

/** How a phase reaches the core other than in this process: `via: "http"` and how many own `hotel serve`s. */
export interface PhaseRoute {
  options?: Pick<StressOptions, "via">;
  servers?: number;
}

export async function openPhase(baseUrl: string, strategy: string, scenario: Scenario, route: PhaseRoute = {}): Promise<OpenPhase> {
  const config = resolveStressConfig({ ...stressOptions(scenario, strategy), ...route.options });
  const run: ScratchRun = await openScratchRun(config, { baseUrl, servers: route.servers, registerCleanup: (cleanup) => registerCleanup(cleanup) });
  return {
    runUntil: (until) => run.drive({ until }),
    get done() {
      return run.done;
    },
    finish: async () => ({ strategy, scenario, report: await run.finish() }),
    abandon: () => run.abandon(),
  };
}

export async function runPhase(baseUrl: string, strategy: string, scenario: Scenario): Promise<PhaseResult> {
  const phase = await openPhase(baseUrl, strategy, scenario);
  try {
    await phase.runUntil(scenario.n);
  } catch (error) {
    await phase.abandon();
    throw error;
  }
  return phase.finish();
}
