import type { StressConfig } from "./config.js";
import type { AuditFinding, AuditResult } from "./oracle.js";
import { OUTCOME, type ResultLog } from "./results.js";
import { roundMs } from "./stats.js";

/** The stress report: CLI.md's `stress` JSON shape plus a few more fields. */
export interface StressReport {
  requested: number;
  accepted: number;
  refused: number;
  failed: number;
  errors: number;
  strategy: StressConfig["strategy"];
  scenario: StressConfig["scenario"];
  capacity: number;
  latencyMs: { p50: number; p90: number; p95: number; p99: number; max: number };
  throughputPerSec: number;
  lockWaitMs: { p50: number; p95: number; max: number };
  invariants: Omit<AuditResult, "findings">;
  refusedBy: { noAvailability: number; conflict: number };
  errorMessages: { message: string; count: number }[];
  findings: AuditFinding[];
  thresholds: {
    maxFailed?: { limit: number; actual: number; ok: boolean };
    maxP99Ms?: { limit: number; actual: number; ok: boolean };
    ok: boolean;
  };
  wallTimeMs: number;
  concurrency: number;
  workers: number;
  seed: number;
  checkIn: string;
  nights: number | null;
  tiers: { tier: string; capacity: number }[];
  lockTimeoutMs: number;
  scratch: { schema: string; kept: boolean };
  /** Every invariant held and every threshold was met: exit 0. */
  ok: boolean;
}

export function buildReport(config: StressConfig, log: ResultLog, invariants: AuditResult, extra: { concurrency: number; schema: string }): StressReport {
  const latency = log.latency();
  const lockWait = log.lockWaits();
  const progress = log.progress();
  const wallTimeMs = log.wallTimeMs();
  const p99 = roundMs(latency.p99);
  const maxFailed = config.maxFailed === undefined ? undefined : { limit: config.maxFailed, actual: progress.failed, ok: progress.failed <= config.maxFailed };
  const maxP99Ms = config.maxP99Ms === undefined ? undefined : { limit: config.maxP99Ms, actual: p99, ok: latency.p99 <= config.maxP99Ms };
  const thresholdsOk = (maxFailed?.ok ?? true) && (maxP99Ms?.ok ?? true);
  const { findings, ...counts } = invariants;
  return {
    requested: config.n,
    accepted: progress.accepted,
    refused: progress.refused,
    failed: progress.failed,
    errors: progress.errors,
    strategy: config.strategy,
    scenario: config.scenario,
    capacity: config.capacity,
    latencyMs: { p50: roundMs(latency.p50), p90: roundMs(latency.p90), p95: roundMs(latency.p95), p99, max: roundMs(latency.max) },
    throughputPerSec: wallTimeMs > 0 ? Math.round((progress.done / wallTimeMs) * 1000 * 10) / 10 : 0,
    lockWaitMs: { p50: roundMs(lockWait.p50), p95: roundMs(lockWait.p95), max: roundMs(lockWait.max) },
    invariants: counts,
    refusedBy: { noAvailability: log.count(OUTCOME.noAvailability), conflict: log.count(OUTCOME.conflict) },
    errorMessages: log.errorMessages(),
    findings,
    thresholds: { ...(maxFailed ? { maxFailed } : {}), ...(maxP99Ms ? { maxP99Ms } : {}), ok: thresholdsOk },
    wallTimeMs: roundMs(wallTimeMs),
    concurrency: extra.concurrency,
    workers: config.workers,
    seed: config.seed,
    checkIn: config.checkIn,
    nights: config.scenario === "overlapping" ? null : config.nights,
    tiers: config.tiers.map((tier) => ({ tier: tier.name, capacity: tier.capacity })),
    lockTimeoutMs: config.lockTimeoutMs,
    scratch: { schema: extra.schema, kept: config.keep },
    ok: counts.ok && thresholdsOk,
  };
}
