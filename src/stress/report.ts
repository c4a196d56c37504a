import type { StressConfig } from "./config.js";
import type { Finding } from "./oracle.js";
import { answered, OUTCOME, OUTCOME_CLASSES, REFUSAL_CODE, type OutcomeClass, type OutcomeCode, type OutcomeCounts, type RunRecorder } from "./results.js";
import { isMixedScenario } from "./scenarios.js";
import { roundMs, type HistogramBin, type Percentiles } from "./stats.js";

/** The stress report: the `stress` JSON shape of the CLI contract, plus the fields documented in the README. */
export interface StressReport extends OutcomeCounts {
  /** The requests answered: the sum of the counts. */
  requested: number;
  strategy: StressConfig["strategy"];
  scenario: StressConfig["scenario"];
  via: StressConfig["via"];
  /** Suites per tier (on a remote server: the first tier's active suites when the run began). */
  capacity: number | null;
  /** From each request's scheduled start (the open model) or its start (the closed model) to its answer. */
  latencyMs: Percentiles;
  latencyByOutcome: Record<OutcomeClass, Percentiles & { count: number }>;
  rate: null | { target: number; arrival: StressConfig["arrival"]; achieved: number | null; lateStarts: number; startDelayMs: { p50: number; p99: number; max: number } };
  /** From each request's actual send to its answer. */
  serviceMs: Percentiles;
  throughputPerSec: number;
  /** Null values when not measured (over HTTP the client cannot see the server's lock waits). */
  lockWaitMs: { p50: number | null; p95: number | null; max: number | null };
  invariants: Invariants;
  model: "closed" | "open";
  /** --duration, if the run had one (ms). */
  durationMs: number | null;
  /** CPU time (user + system) of the client process(es) per request, in ms. */
  clientCpuMsPerRequest: number;
  /** The latency distribution in bins of equal width on a log scale. */
  latencyHistogram: HistogramBin[];
  refusedBy: { noAvailability: number; conflict: number };
  errorMessages: { message: string; count: number }[];
  findings: Finding[];
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
  tiers: { tier: string; capacity: number | null }[];
  lockTimeoutMs: number;
  /** The run's scratch schema; null when it drove remote servers (--url). */
  scratch: { schema: string; kept: boolean } | null;
  /** --url runs: the servers, and what became of the bookings the run made there. */
  remote: RemoteSummary | null;
  files: { out?: string; html?: string };
  /** Mixed scenarios only: counts per operation and outcome. */
  operations?: OperationCounts;
  /** Every invariant held and every threshold was met: exit 0. */
  ok: boolean;
}

/** Null: not judged (a remote run cannot see the server's other traffic). */
export interface Invariants {
  overbookedNights: number;
  doubleBookedSuites: number;
  unjustifiedRefusals: number | null;
  phantomBookings: number | null;
  lostBookings: number;
  /** Mixed scenarios (front-desk, holds): refusals judged against the event log... */
  judgedRefusals?: number;
  /** ...and those not judged, their booking having been written while they ran. */
  skippedRefusals?: number;
  /** Mixed scenarios: problems `hotel check` found in the scratch schema after the run. */
  checkProblems?: number;
  ok: boolean;
}

/** Mixed scenarios: what each operation came to. */
export type OperationCounts = Record<string, { requested: number; accepted: number; refused: Partial<Record<string, number>>; busy: number; errors: number }>;

export interface RemoteSummary {
  urls: string[];
  /** Problems the servers' own audit (GET /api/check) reported, of every kind. */
  serverProblems: number;
  cancelled: number;
  cancelFailed: number;
  kept: boolean;
}

export interface ReportContext {
  concurrency: number;
  /** Time spent sending requests (summed over slices), for the throughput. */
  loadMs: number;
  clientCpuMs: number;
  schema: string | null;
  remote: RemoteSummary | null;
  /** Suites per tier as the run found them (remote) or made them (scratch). */
  capacities: (number | null)[];
  invariants: Invariants;
  findings: Finding[];
}

const HISTOGRAM_BINS = 24;

export function buildReport(config: StressConfig, recorder: RunRecorder, context: ReportContext): StressReport {
  const counts = recorder.outcomeCounts();
  const requested = answered(counts);
  const latency = recorder.latency.percentiles();
  const maxFailed = config.maxFailed === undefined ? undefined : { limit: config.maxFailed, actual: counts.failed, ok: counts.failed <= config.maxFailed };
  const maxP99Ms = config.maxP99Ms === undefined ? undefined : { limit: config.maxP99Ms, actual: latency.p99, ok: recorder.latency.percentile(99) <= config.maxP99Ms };
  const thresholdsOk = (maxFailed?.ok ?? true) && (maxP99Ms?.ok ?? true);
  const lockWait = recorder.lockWait;
  const measured = (value: number): number | null => (lockWait.count === 0 ? null : roundMs(value));
  const startDelay = recorder.startDelay;
  return {
    requested,
    ...counts,
    strategy: config.strategy,
    scenario: config.scenario,
    via: config.via,
    capacity: context.capacities[0] ?? null,
    latencyMs: latency,
    latencyByOutcome: Object.fromEntries(OUTCOME_CLASSES.map((kind) => [kind, { count: recorder.byOutcome[kind].count, ...recorder.byOutcome[kind].percentiles() }])) as StressReport["latencyByOutcome"],
    rate:
      config.rate === null
        ? null
        : {
            target: config.rate,
            arrival: config.arrival,
            achieved: round1(recorder.achievedRate()),
            lateStarts: recorder.lateStarts,
            startDelayMs: { p50: roundMs(startDelay.percentile(50)), p99: roundMs(startDelay.percentile(99)), max: roundMs(startDelay.max) },
          },
    serviceMs: recorder.service.percentiles(),
    throughputPerSec: context.loadMs > 0 ? Math.round((requested / context.loadMs) * 1000 * 10) / 10 : 0,
    lockWaitMs: { p50: measured(lockWait.percentile(50)), p95: measured(lockWait.percentile(95)), max: measured(lockWait.max) },
    invariants: context.invariants,
    model: config.rate === null ? "closed" : "open",
    durationMs: config.durationMs,
    clientCpuMsPerRequest: requested > 0 ? Math.round((context.clientCpuMs / requested) * 1000) / 1000 : 0,
    latencyHistogram: recorder.latency.bins(HISTOGRAM_BINS),
    refusedBy: { noAvailability: recorder.count(OUTCOME.noAvailability), conflict: recorder.count(OUTCOME.conflict) },
    errorMessages: recorder.errorMessages(),
    findings: context.findings,
    thresholds: { ...(maxFailed ? { maxFailed } : {}), ...(maxP99Ms ? { maxP99Ms } : {}), ok: thresholdsOk },
    wallTimeMs: roundMs(recorder.wallTimeMs()),
    concurrency: context.concurrency,
    workers: config.workers,
    seed: config.seed,
    checkIn: config.checkIn,
    nights: config.scenario === "overlapping" || isMixedScenario(config.scenario) ? null : config.nights,
    tiers: config.tiers.map((tier, i) => ({ tier: tier.name, capacity: context.capacities[i] ?? null })),
    lockTimeoutMs: config.lockTimeoutMs,
    scratch: context.schema === null ? null : { schema: context.schema, kept: config.keep },
    remote: context.remote,
    files: { ...(config.outFile ? { out: config.outFile } : {}), ...(config.htmlFile ? { html: config.htmlFile } : {}) },
    ...(isMixedScenario(config.scenario) ? { operations: operationCounts(recorder) } : {}),
    ok: context.invariants.ok && thresholdsOk,
  };
}

const round1 = (value: number | null): number | null => (value === null ? null : Math.round(value * 10) / 10);

export function operationCounts(recorder: RunRecorder): OperationCounts {
  const out: OperationCounts = {};
  for (const [operation, counts] of [...recorder.byOperation].sort(([a], [b]) => a.localeCompare(b))) {
    const at = (code: OutcomeCode): number => counts[code] ?? 0;
    const refused: Partial<Record<string, number>> = {};
    for (const [code, name] of Object.entries(REFUSAL_CODE)) if (at(Number(code) as OutcomeCode) > 0) refused[name] = at(Number(code) as OutcomeCode);
    const requested = counts.reduce((sum, count) => sum + count, 0);
    out[operation] = { requested, accepted: at(OUTCOME.accepted), refused, busy: at(OUTCOME.busy), errors: at(OUTCOME.error) };
  }
  return out;
}
