import { openDatabase, type Database } from "../db/database.js";
import type { StressConfig } from "./config.js";
import { LoadDriver, type LoadShape } from "./driver.js";
import { HttpClient } from "./http-client.js";
import type { RequestResult } from "./results.js";
import { httpTarget } from "./http-target.js";
import { fallbackBookingAt } from "./mixed-scenarios.js";
import { MixedSession, withJudged } from "./mixed-session.js";
import { OUTCOME, REFUSAL_CODE, type TaskAnswer } from "./results.js";
import { isMixedScenario, operationAt, requestAt, warmUpRequest, type RequestPlan } from "./scenarios.js";
import { arrivalSchedule } from "./schedule.js";
import { coreTarget, perform, stressHotel, type StressTarget } from "./targets.js";

/**
 * The load of one process (the run's own, or one worker's share): its
 * targets, a warm-up before the clock, and the driver that sends the
 * requests. Request i goes to target i mod (number of targets): several
 * `--url` are driven round-robin.
 */

/** What one process needs to know to send its share of a run's requests. */
export type LoadConfig = Pick<StressConfig, "n" | "durationMs" | "rate" | "arrival" | "strategy" | "lockTimeoutMs" | "warmUpRequests"> & RequestPlan;

export type TargetSpec =
  | { via: "core"; databaseUrl: string; schema: string }
  | { via: "http"; urls: string[]; token?: string };

export interface OpenTargets {
  targets: StressTarget[];
  close(): Promise<void>;
}

/** This process's share of the run: requests w, w+P, w+2P... */
export interface Share {
  worker: number;
  workers: number;
}

export async function openTargets(spec: TargetSpec, config: LoadConfig, concurrency: number): Promise<OpenTargets> {
  if (spec.via === "core") {
    const db: Database = await openDatabase({ databaseUrl: spec.databaseUrl, schema: spec.schema, poolSize: concurrency });
    return { targets: [coreTarget(config.strategy, stressHotel(db), config)], close: () => db.close() };
  }
  const clients = spec.urls.map((url) => new HttpClient(url, concurrency, spec.token));
  return {
    targets: clients.map(httpTarget),
    async close() {
      for (const client of clients) client.close();
    },
  };
}

/** Requests of a run that a share holds (Infinity when a duration bounds the run). */
export function shareCount(n: number | null, share: Share): number {
  if (n === null) return Infinity;
  return share.worker >= n ? 0 : Math.ceil((n - share.worker) / share.workers);
}

export function createDriver(config: LoadConfig, targets: StressTarget[], concurrency: number, share: Share, onResult: (result: RequestResult) => void): LoadDriver {
  const shape: LoadShape = {
    concurrency,
    count: shareCount(config.n, share),
    durationMs: config.durationMs ?? Infinity,
    arrivals: config.rate === null ? undefined : arrivalSchedule(config.rate, config.arrival, config.seed),
    indexAt: (k) => share.worker + k * share.workers,
  };
  const task = isMixedScenario(config.scenario) ? mixedTask(config, targets) : (index: number) => perform(targets[index % targets.length] as StressTarget, { operation: "book", request: requestAt(config, index) });
  return new LoadDriver(shape, task, onResult);
}

/** A mixed scenario's request i: its booking picked from this process's memory, its refusal kept for the oracle. */
function mixedTask(config: LoadConfig, targets: StressTarget[]): (index: number) => Promise<TaskAnswer> {
  const session = new MixedSession();
  return async (index) => {
    const wallStart = Date.now();
    const target = targets[index % targets.length] as StressTarget;
    const operation = session.resolve(operationAt(config, index), () => fallbackBookingAt(config, index), target.today?.());
    const answer = await perform(target, operation, (booking) => session.observe(operation, booking));
    return withJudged(answer, operation, REFUSAL_CODE[answer.outcome] !== undefined && answer.outcome !== OUTCOME.conflict, wallStart);
  };
}

/**
 * Before the clock: every connection opened, then this share of the warm-up
 * bookings (their own tier, far-off nights), so that plans are cached and the
 * code is compiled when the first measured request leaves.
 */
export async function warmUp(config: LoadConfig, targets: StressTarget[], concurrency: number, share: Share): Promise<void> {
  const perTarget = Math.max(1, Math.ceil(concurrency / targets.length));
  await Promise.all(targets.map((target) => target.warm(perTarget)));
  const count = shareCount(config.warmUpRequests, share);
  if (count === 0) return;
  const driver = new LoadDriver(
    { concurrency, count, durationMs: Infinity, indexAt: (k) => share.worker + k * share.workers },
    (k) => perform(targets[k % targets.length] as StressTarget, { operation: "book", request: warmUpRequest(config.checkIn, k) }),
    () => undefined,
  );
  await driver.run();
}
