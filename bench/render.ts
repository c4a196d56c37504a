import type { OperationsResult } from "./operations.js";
import type { LimitShape } from "./limit.js";
import { REFERENCE_SHAPE } from "./plan.js";
import type { BenchDocument, PhaseRow } from "./report.js";
import { scaleLines } from "./scale.js";

/** The human table: what `npm run bench` prints without --json. */

function table(header: string[], rows: (string | number)[][], rightAligned: Set<number>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  return cells
    .map((row) => row.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number))).join("  ").trimEnd())
    .join("\n");
}

const fmt = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const ms = (value: number | null): string => (value === null ? "-" : value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const ratio = (value: number | null): string => (value === null ? "-" : `${value.toFixed(2)}x`);
const SHAPE_NAMES: Record<LimitShape, string> = { "4rt": "node-pg, 4 round trips", "1rt": "node-pg, 1 round trip", "1rt-nolock": "node-pg, no lock" };
const range = (from: number, to: number): Set<number> => new Set(Array.from({ length: to - from + 1 }, (_, i) => from + i));

export function renderTable(doc: BenchDocument): string {
  const m = doc.machine;
  const out: string[] = [];
  out.push(`hotel bench (${doc.mode}), ${doc.startedAt}, ${fmt(doc.durationSeconds)} s`);
  out.push(`machine: ${m.cpus} CPU ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}, node ${m.node}; load average ${m.loadAverage.start.map((v) => v.toFixed(1)).join(" ")} -> ${m.loadAverage.end.map((v) => v.toFixed(1)).join(" ")}`);
  out.push(`database: ${m.postgres} at ${m.server}; ${Object.entries(m.settings).map(([k, v]) => `${k}=${v}`).join(" ")}`);

  out.push("", `THE LIMIT: ${doc.limit.definition}`);
  const limitRows: (string | number)[][] = doc.limit.phases.map((row) => [
    `${SHAPE_NAMES[row.shape]}${row.group ? ` [${row.group}]` : ""}`,
    row.concurrency,
    fmt(row.perSec),
    ms(row.latencyMs.p50),
    ms(row.latencyMs.p99),
    row.clientCpuMsPerRequest.toFixed(3),
    row.errors > 0 ? `${row.completed}, ${row.errors} errors` : row.completed,
  ]);
  for (const run of doc.limit.pgbench) limitRows.push(["pgbench, 4 round trips", run.concurrency, fmt(run.tps), `${ms(run.latencyAvgMs)} avg`, "-", "-", run.transactions]);
  out.push(table(["client", "c", "tx/s", "p50 ms", "p99 ms", "cpu ms/tx", "tx"], limitRows, range(1, 6)));
  if (doc.limit.pgbenchSkipped) out.push(`pgbench: ${doc.limit.pgbenchSkipped}`);
  out.push(
    `the limit for ratios is ${SHAPE_NAMES[REFERENCE_SHAPE]} at the same c: measured in slices alternating with the phases of its [group], else the median of its runs at that c`,
  );

  out.push(
    "",
    "STRATEGIES (through the stress library): req/s counts every answer, acc/s accepted bookings; cpu = client CPU per request; x lim = req/s over the limit (node-pg, 4 round trips), x 1rt over the 1-round-trip ceiling, x pgb over pgbench at the same c",
  );
  out.push(
    table(
      ["strategy", "scenario", "c", "req/s", "acc/s", "acc", "refused", "confl", "busy", "err", "p50 ms", "p99 ms", "lock p50/p95", "cpu ms", "x lim", "x 1rt", "x pgb", "exact"],
      doc.strategies.map((row) => [
        row.strategy,
        `${row.label}${row.capped ? ` [time cap: ${row.completed}]` : ""}${row.group ? ` [${row.group}]` : ""}`,
        row.concurrency,
        fmt(row.perSec),
        fmt(row.acceptedPerSec),
        row.counts.accepted,
        row.counts.refused,
        row.counts.conflict,
        row.counts.busy,
        row.counts.error,
        ms(row.latencyMs.p50),
        ms(row.latencyMs.p99),
        `${ms(row.lockWaitMs.p50)}/${ms(row.lockWaitMs.p95)}`,
        row.clientCpuMsPerRequest.toFixed(2),
        ratio(row.ratioToLimit),
        ratio(row.ratioTo1rt),
        ratio(row.ratioToPgbench),
        row.invariants.ok ? "yes" : exactness(row.invariants),
      ]),
      range(2, 16),
    ),
  );
  const errors = doc.strategies.filter((row) => row.firstError).map((row) => `  ${row.strategy} ${row.scenario}: ${row.firstError}`);
  if (errors.length > 0) out.push("first errors:", ...errors);

  if (doc.overhead) {
    out.push("", "UNCONTENDED LOCK OVERHEAD: c=1, every booking accepted, with and without the locks alternating request by request; p50");
    const o = doc.overhead;
    out.push(
      table(
        ["transaction", "with locks", "without", "overhead"],
        [
          ["core: hotel_book() through callOperation (as book() calls it)", `${ms(o.corePrisma.withLocksP50Ms)} ms`, `${ms(o.corePrisma.withoutLocksP50Ms)} ms`, `${ms(o.corePrisma.overheadP50Ms)} ms`],
          ["core: hotel_book() through raw node-pg", `${ms(o.coreNodePg.withLocksP50Ms)} ms`, `${ms(o.coreNodePg.withoutLocksP50Ms)} ms`, `${ms(o.coreNodePg.overheadP50Ms)} ms`],
          ["limit: BEGIN; lock; INSERT; COMMIT, node-pg, 1 round trip", `${ms(o.limit.withLocksP50Ms)} ms`, `${ms(o.limit.withoutLocksP50Ms)} ms`, `${ms(o.limit.overheadP50Ms)} ms`],
        ],
        range(1, 3),
      ),
    );
  }

  if (doc.operations) out.push("", ...operationLines(doc.operations));
  if (doc.scale) out.push("", ...scaleLines(doc.scale));

  out.push("", "PROCESS: the built CLI, node bin/hotel.js");
  if (doc.process.skipped) out.push(`skipped: ${doc.process.skipped}`);
  const processRows: string[][] = [];
  const s = doc.process.startup;
  if (s) {
    processRows.push(
      ["node -e 0", `${ms(s.nodeP50Ms)} ms`, `median of ${s.runs}`],
      ["hotel --version", `${ms(s.versionP50Ms)} ms`, `${s.versionRatio.toFixed(2)}x node`],
      ["hotel --help", `${ms(s.helpP50Ms)} ms`, `${s.helpRatio.toFixed(2)}x node`],
    );
  }
  const short = doc.process.shortCommands;
  if (short) {
    processRows.push(
      ["hotel availability (existing database)", `${ms(short.availabilityP50Ms)} ms`, `${short.availabilityRatio.toFixed(2)}x hotel --version (${ms(short.versionP50Ms)} ms)`],
      ["hotel book (existing database)", `${ms(short.bookP50Ms)} ms`, `${short.bookRatio.toFixed(2)}x hotel --version`],
    );
  }
  for (const run of doc.process.stress ?? []) {
    processRows.push([
      `hotel stress --n ${run.n}`,
      run.ok ? `${fmt(run.maxRssMb, 1)} MB peak RSS` : `failed: ${run.error ?? "?"}`,
      `${fmt(run.wallMs / 1000, 1)} s, ${fmt(run.requestsPerSec ?? Number.NaN)} req/s at c=${run.concurrency ?? "?"} (${run.source})`,
    ]);
  }
  if (processRows.length > 0) out.push(table(["command", "time / memory", "note"], processRows, new Set()));

  out.push("", "TARGETS");
  for (const t of doc.targets) {
    const verdict = t.pass === null ? "n/a " : t.pass ? "PASS" : "MISS";
    out.push(`${verdict}  ${t.description}: ${t.value === null ? "-" : t.value} (${t.threshold}); ${t.measured}`);
  }
  if (doc.notes.length > 0) out.push("", ...doc.notes.map((note) => `note: ${note}`));
  return out.join("\n");
}

function operationLines(o: OperationsResult): string[] {
  const cpu = (value: number | null): string => (value === null ? "-" : `${value.toFixed(3)} ms`);
  const times = (value: number | null, limit: number | null): string => (value === null || !limit ? "-" : `${(value / limit).toFixed(2)}x`);
  return [
    "OPERATIONS ALONE: c=1, every call changes something, slices alternating with the limit's; p50 wall time and server CPU per call (x lim: over the limit's)",
    table(
      ["operation", "n", "p50", "x lim", "server CPU", "x lim CPU"],
      [o.limit, ...o.operations].map((row) => [row.operation, String(row.count), `${ms(row.p50Ms)} ms`, times(row.p50Ms, o.limit.p50Ms), cpu(row.serverCpuMs), times(row.serverCpuMs, o.limit.serverCpuMs)]),
      range(1, 5),
    ),
  ];
}

function exactness(invariants: PhaseRow["invariants"]): string {
  const parts: string[] = [];
  if (invariants.overbookedNights) parts.push(`${invariants.overbookedNights} overbooked`);
  if (invariants.doubleBookedSuites) parts.push(`${invariants.doubleBookedSuites} double`);
  if (invariants.unjustifiedRefusals) parts.push(`${invariants.unjustifiedRefusals} unjust`);
  if (invariants.phantomBookings) parts.push(`${invariants.phantomBookings} phantom`);
  if (invariants.lostBookings) parts.push(`${invariants.lostBookings} lost`);
  return `no: ${parts.join(", ")}`;
}
