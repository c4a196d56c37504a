import type { StressReport } from "../src/stress/index.js";
import { roundMs } from "../src/stress/stats.js";
import type { StartupResult, StressMemoryResult } from "./cli-process.js";
import type { LimitResult, LimitShape, PgbenchResult } from "./limit.js";
import type { OperationsResult } from "./operations.js";
import type { ShortCommandsResult } from "./short-commands.js";
import type { OverheadPair, OverheadResult } from "./overhead.js";
import type { PhaseResult } from "./phase.js";
import type { ScaleResult } from "./scale.js";
import { REFERENCE_SHAPE } from "./plan.js";

/** The JSON document (`--json`, bench/results/latest.json) and how its rows are built from measurements. */

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LimitRow {
  shape: LimitShape;
  concurrency: number;
  /** The interleaved group this run belongs to (measured in slices alternating with those phases). */
  group?: string;
  requested: number;
  completed: number;
  capped: boolean;
  perSec: number;
  latencyMs: Latency;
  clientCpuMsPerRequest: number;
  errors: number;
  firstError?: string;
}

export interface PhaseRow {
  strategy: string;
  scenario: string;
  shape: string;
  label: string;
  concurrency: number;
  suites: number;
  prefill: number;
  requested: number;
  completed: number;
  capped: boolean;
  perSec: number;
  acceptedPerSec: number;
  counts: { accepted: number; refused: number; conflict: number; busy: number; error: number };
  /** From each request's start (closed model) to its answer. */
  latencyMs: Latency & { p999: number };
  lockWaitMs: { p50: number | null; p95: number | null; max: number | null };
  clientCpuMsPerRequest: number;
  /** The interleaved group this phase ran in, if any. */
  group?: string;
  /** The limit this phase is compared with: its group's, else the median of the runs at its concurrency. */
  limit: LimitReference | null;
  /** perSec over the limit (REFERENCE_SHAPE) at the same concurrency. */
  ratioToLimit: number | null;
  /** perSec over the one-round-trip ceiling at the same concurrency. */
  ratioTo1rt: number | null;
  /** perSec over pgbench's tx/s at the same concurrency (the same four statements), when pgbench ran. */
  ratioToPgbench: number | null;
  invariants: StressReport["invariants"];
  findings: string[];
  firstError?: string;
}

export interface LimitReference {
  source: string;
  txPerSec: number;
  p50Ms: number;
  ceilingTxPerSec: number | null;
  ceilingP50Ms: number | null;
  pgbenchTps: number | null;
}

export interface Target {
  id: string;
  description: string;
  measured: string;
  /** The ratio (or figure) compared with the threshold; null when not measured. */
  value: number | null;
  threshold: string;
  pass: boolean | null;
}

interface OverheadRow {
  withLocksP50Ms: number;
  withoutLocksP50Ms: number;
  overheadP50Ms: number;
  samples: number;
}

/** Start-up times as measured, rounded for the report. */
type StartupRow = StartupResult;

export interface BenchDocument {
  tool: "hotel-bench";
  schemaVersion: 2;
  mode: "full" | "quick";
  startedAt: string;
  durationSeconds: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    os: string;
    node: string;
    postgres: string;
    server: string;
    settings: Record<string, string>;
    loadAverage: { start: number[]; end: number[] };
  };
  limit: {
    definition: string;
    reference: string;
    phases: LimitRow[];
    pgbench: PgbenchResult[];
    pgbenchSkipped?: string;
  };
  strategies: PhaseRow[];
  overhead?: { corePrisma: OverheadRow; coreNodePg: OverheadRow; limit: OverheadRow };
  operations?: OperationsResult;
  scale?: ScaleResult;
  process: { startup?: StartupRow; shortCommands?: ShortCommandsResult; stress?: StressMemoryResult[]; skipped?: string };
  targets: Target[];
  notes: string[];
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

const latencyOf = (l: LimitResult["latencyMs"]): Latency => ({ p50: l.p50, p90: l.p90, p99: l.p99, max: l.max });

export function limitRow(shape: LimitShape, concurrency: number, group: string | undefined, load: LimitResult): LimitRow {
  return {
    shape,
    concurrency,
    group,
    requested: load.requested,
    completed: load.completed,
    capped: load.capped,
    perSec: round1(load.perSec),
    latencyMs: latencyOf(load.latencyMs),
    clientCpuMsPerRequest: round3(load.clientCpuMsPerRequest),
    errors: load.errors,
    firstError: load.firstError,
  };
}

export function phaseRow(result: PhaseResult, group?: string): PhaseRow {
  const { report, scenario } = result;
  const l = report.latencyMs;
  return {
    strategy: result.strategy,
    scenario: scenario.id,
    shape: scenario.shape,
    label: scenario.label,
    concurrency: scenario.concurrency,
    suites: scenario.suites,
    prefill: scenario.prefill,
    requested: scenario.n,
    completed: report.requested,
    capped: report.requested < scenario.n,
    perSec: report.throughputPerSec,
    acceptedPerSec: report.requested > 0 ? round1((report.throughputPerSec * report.accepted) / report.requested) : 0,
    counts: { accepted: report.accepted, refused: report.refusedBy.noAvailability, conflict: report.refusedBy.conflict, busy: report.failed, error: report.errors },
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, max: l.max },
    lockWaitMs: report.lockWaitMs,
    clientCpuMsPerRequest: report.clientCpuMsPerRequest,
    group,
    limit: null,
    ratioToLimit: null,
    ratioTo1rt: null,
    ratioToPgbench: null,
    invariants: report.invariants,
    findings: report.findings.slice(0, 3).map((finding) => `${finding.kind}: ${finding.detail}`),
    firstError: report.errorMessages[0]?.message,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** The limit at one concurrency: the median over its runs (of one interleaved group, when given). */
export function limitSummary(rows: LimitRow[], shape: LimitShape, concurrency: number, group?: string): { perSec: number; p50: number; runs: number } | undefined {
  const runs = rows.filter((row) => row.shape === shape && row.concurrency === concurrency && row.errors === 0 && (group === undefined || row.group === group));
  if (runs.length === 0) return undefined;
  return { perSec: round1(median(runs.map((row) => row.perSec))), p50: roundMs(median(runs.map((row) => row.latencyMs.p50))), runs: runs.length };
}

const overheadRow = (pair: OverheadPair): OverheadRow => ({
  withLocksP50Ms: roundMs(pair.withLocksMs.p50),
  withoutLocksP50Ms: roundMs(pair.withoutLocksMs.p50),
  overheadP50Ms: roundMs(pair.overheadP50Ms),
  samples: pair.withLocksMs.count + pair.withoutLocksMs.count,
});

export const overheadRows = (result: OverheadResult): BenchDocument["overhead"] => ({
  corePrisma: overheadRow(result.corePrisma),
  coreNodePg: overheadRow(result.coreNodePg),
  limit: overheadRow(result.limit),
});

export const startupRow = (result: StartupResult): StartupRow => ({
  runs: result.runs,
  nodeP50Ms: roundMs(result.nodeP50Ms),
  versionP50Ms: roundMs(result.versionP50Ms),
  helpP50Ms: roundMs(result.helpP50Ms),
  versionRatio: round2(result.versionRatio),
  helpRatio: round2(result.helpRatio),
});

/**
 * Sets each phase's limit and ratios: the limit measured interleaved with it
 * when it ran in a group, else the median of every run at its concurrency.
 */
export function attachLimits(phases: PhaseRow[], limits: LimitRow[], pgbench: PgbenchResult[] = []): void {
  for (const row of phases) {
    const grouped = row.group !== undefined && limitSummary(limits, REFERENCE_SHAPE, row.concurrency, row.group) !== undefined;
    const group = grouped ? row.group : undefined;
    const reference = limitSummary(limits, REFERENCE_SHAPE, row.concurrency, group);
    const ceiling = limitSummary(limits, "1rt", row.concurrency, group) ?? limitSummary(limits, "1rt", row.concurrency);
    row.limit = reference
      ? {
          source: group ? `interleaved with it (${group})` : `median of ${reference.runs} run(s) at c=${row.concurrency}`,
          txPerSec: reference.perSec,
          p50Ms: reference.p50,
          ceilingTxPerSec: ceiling?.perSec ?? null,
          ceilingP50Ms: ceiling?.p50 ?? null,
          pgbenchTps: null,
        }
      : null;
    const runs = pgbench.filter((run) => run.concurrency === row.concurrency && Number.isFinite(run.tps));
    const pgbenchTps = runs.length > 0 ? round1(median(runs.map((run) => run.tps))) : null;
    if (row.limit) row.limit.pgbenchTps = pgbenchTps;
    row.ratioToPgbench = pgbenchTps ? round2(row.perSec / pgbenchTps) : null;
    row.ratioToLimit = reference ? round2(row.perSec / reference.perSec) : null;
    row.ratioTo1rt = ceiling ? round2(row.perSec / ceiling.perSec) : null;
  }
}
