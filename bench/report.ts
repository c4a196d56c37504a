import type { AuditResult } from "../src/stress/oracle.js";
import { roundMs, type Distribution } from "../src/stress/stats.js";
import type { StartupResult, StressMemoryResult } from "./cli-process.js";
import type { LimitShape, PgbenchResult } from "./limit.js";
import type { LoadResult } from "./load.js";
import type { OverheadPair, OverheadResult } from "./overhead.js";
import type { PhaseResult } from "./phase.js";
import { REFERENCE_SHAPE } from "./plan.js";

/** The JSON document (`--json`, bench/results/latest.json) and how its rows are built from measurements. */

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
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
  counts: LoadResult["counts"];
  latencyMs: Latency;
  lockWaitMs: Latency;
  clientCpuMsPerRequest: number;
  /** The interleaved group this phase ran in, if any. */
  group?: string;
  /** The limit this phase is compared with: its group's, else the median of the runs at its concurrency. */
  limit: LimitReference | null;
  /** perSec over the limit (REFERENCE_SHAPE) at the same concurrency. */
  ratioToLimit: number | null;
  /** perSec over the one-round-trip ceiling at the same concurrency. */
  ratioTo1rt: number | null;
  invariants: Omit<AuditResult, "findings">;
  findings: string[];
  firstError?: string;
}

export interface LimitReference {
  source: string;
  txPerSec: number;
  p50Ms: number;
  ceilingTxPerSec: number | null;
  ceilingP50Ms: number | null;
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

interface StartupRow {
  runs: number;
  nodeP50Ms: number;
  versionP50Ms: number;
  helpP50Ms: number;
  versionRatio: number;
  helpRatio: number;
}

export interface BenchDocument {
  tool: "hotel-bench";
  schemaVersion: 1;
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
  process: { startup?: StartupRow; stress?: StressMemoryResult[]; skipped?: string };
  targets: Target[];
  notes: string[];
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export const latency = (d: Distribution): Latency => ({ p50: roundMs(d.p50), p90: roundMs(d.p90), p99: roundMs(d.p99), max: roundMs(d.max), mean: roundMs(d.mean) });

export function limitRow(shape: LimitShape, concurrency: number, group: string | undefined, load: LoadResult): LimitRow {
  return {
    shape,
    concurrency,
    group,
    requested: load.requested,
    completed: load.completed,
    capped: load.capped,
    perSec: round1(load.perSec),
    latencyMs: latency(load.latencyMs),
    clientCpuMsPerRequest: round3(load.clientCpuMsPerRequest),
    errors: load.counts.error,
    firstError: load.firstError,
  };
}

export function phaseRow(result: PhaseResult, group?: string): PhaseRow {
  const { load, scenario } = result;
  const { findings, ...invariants } = result.audit;
  return {
    strategy: result.strategy,
    scenario: scenario.id,
    shape: scenario.shape,
    label: scenario.label,
    concurrency: scenario.concurrency,
    suites: scenario.tiers.reduce((sum, tier) => sum + tier.capacity, 0),
    prefill: scenario.prefill,
    requested: load.requested,
    completed: load.completed,
    capped: load.capped,
    perSec: round1(load.perSec),
    acceptedPerSec: round1(load.acceptedPerSec),
    counts: load.counts,
    latencyMs: latency(load.latencyMs),
    lockWaitMs: latency(load.lockWaitMs),
    clientCpuMsPerRequest: round3(load.clientCpuMsPerRequest),
    group,
    limit: null,
    ratioToLimit: null,
    ratioTo1rt: null,
    invariants,
    findings: findings.slice(0, 3).map((finding) => `${finding.kind}: ${finding.detail}`),
    firstError: load.firstError,
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
  nodeP50Ms: roundMs(result.nodeMs.p50),
  versionP50Ms: roundMs(result.versionMs.p50),
  helpP50Ms: roundMs(result.helpMs.p50),
  versionRatio: round2(result.versionRatio),
  helpRatio: round2(result.helpRatio),
});

/**
 * Sets each phase's limit and ratios: the limit measured interleaved with it
 * when it ran in a group, else the median of every run at its concurrency.
 */
export function attachLimits(phases: PhaseRow[], limits: LimitRow[]): void {
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
        }
      : null;
    row.ratioToLimit = reference ? round2(row.perSec / reference.perSec) : null;
    row.ratioTo1rt = ceiling ? round2(row.perSec / ceiling.perSec) : null;
  }
}
