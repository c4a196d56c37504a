import type { StressMemoryResult } from "./cli-process.js";
import { TARGET_CONCURRENCY } from "./plan.js";
import { type OperationRow, WRITES_ALONE } from "./operations.js";
import type { BenchDocument, PhaseRow, Target } from "./report.js";
import type { PgbenchResult } from "./limit.js";
import type { ScaleResult } from "./scale.js";

/** The targets, each a ratio measured in the same run. */

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const ratio = (value: number | null): string => (value === null ? "-" : `${value.toFixed(2)}x`);

const find = (rows: PhaseRow[], strategy: string, test: (row: PhaseRow) => boolean): PhaseRow | undefined => rows.find((row) => row.strategy === strategy && test(row));
const isHeadlineFlash = (row: PhaseRow): boolean => row.shape === "flash" && row.prefill === 0 && row.concurrency === TARGET_CONCURRENCY;
const isBigNight = (row: PhaseRow): boolean => row.shape === "flash" && row.prefill > 0 && row.concurrency === TARGET_CONCURRENCY;
const isFits = (concurrency: number) => (row: PhaseRow): boolean => row.shape === "fits" && row.concurrency === concurrency;

function target(id: string, description: string, threshold: string, value: number | undefined, pass: (value: number) => boolean, measured: string): Target {
  const known = value !== undefined && Number.isFinite(value);
  return { id, description, threshold, value: known ? round2(value) : null, pass: known ? pass(value) : null, measured: known ? measured : "not measured" };
}

/** `value` over `reference` when both were measured (a zero reference gives a value that counts as not measured). */
const over = (value: number | undefined, reference: number | undefined): number | undefined => (value !== undefined && reference !== undefined ? value / reference : undefined);
const pgbenchAt = (runs: PgbenchResult[], concurrency: number): PgbenchResult | undefined => runs.find((run) => run.concurrency === concurrency && Number.isFinite(run.tps));

export function targets(doc: Pick<BenchDocument, "strategies" | "process" | "limit">): Target[] {
  const rows = doc.strategies;
  return [...flashTargets(rows, doc.limit.pgbench), fitsTarget(rows), ...uncontendedTargets(rows, doc.limit.pgbench), ...processTargets(doc.process), exactTarget(rows)];
}

/** The headline: the default flash-sale night at c=10, against the limit and pgbench, and with 10x the bookings on it. */
function flashTargets(rows: PhaseRow[], pgbench: PgbenchResult[]): Target[] {
  const flash = find(rows, "locked", isHeadlineFlash);
  const f = flash?.limit;
  const pgbench10 = pgbenchAt(pgbench, TARGET_CONCURRENCY);
  const big = find(rows, "locked", isBigNight);
  return [
    target(
      "flash-vs-limit",
      `default (locked) flash-sale night at c=${TARGET_CONCURRENCY}, req/s over the limit's tx/s`,
      ">= 0.5x, aim 0.9x",
      flash?.ratioToLimit ?? undefined,
      (v) => v >= 0.5,
      `${flash?.perSec} req/s vs ${f?.txPerSec} tx/s (4 round trips, ${f?.source}); over the 1-round-trip ceiling (${f?.ceilingTxPerSec} tx/s): ${ratio(flash?.ratioTo1rt ?? null)}`,
    ),
    target(
      "flash-vs-pgbench",
      `default (locked) flash-sale night at c=${TARGET_CONCURRENCY}, req/s over pgbench's tx/s (the same four statements)`,
      ">= 0.6x",
      over(flash?.perSec, pgbench10?.tps),
      (v) => v >= 0.6,
      `${flash?.perSec} req/s vs ${round1(pgbench10?.tps ?? 0)} tx/s (pgbench, not interleaved)`,
    ),
    target(
      "client-cpu",
      "client CPU (user + system) per request of the flash-sale phase",
      "<= 0.3 ms",
      flash?.clientCpuMsPerRequest,
      (v) => v <= 0.3,
      `${flash?.clientCpuMsPerRequest} ms per request`,
    ),
    target(
      "night-size",
      "default flash sale with 10x the bookings on the night, req/s over the same without",
      ">= 0.75x (an index lookup more, not a scan)",
      over(big?.perSec, flash?.perSec),
      (v) => v >= 0.75,
      `${big?.suites} suites, ${big?.prefill} pre-booked: ${big?.perSec} req/s vs ${flash?.suites} suites: ${flash?.perSec} req/s`,
    ),
  ];
}

function fitsTarget(rows: PhaseRow[]): Target {
  const lockedFits = find(rows, "locked", isFits(TARGET_CONCURRENCY));
  const serializableFits = find(rows, "serializable", isFits(TARGET_CONCURRENCY));
  return target(
    "vs-serializable",
    `accepted bookings/s when everything fits (c=${TARGET_CONCURRENCY}), default over the serializable design`,
    ">= 10x",
    lockedFits && serializableFits ? lockedFits.acceptedPerSec / Math.max(serializableFits.acceptedPerSec, 0.1) : undefined,
    (v) => v >= 10,
    `${lockedFits?.acceptedPerSec} vs ${serializableFits?.acceptedPerSec} accepted/s`,
  );
}

/** The default booking alone (c=1, every one accepted): its p50 over the limit's, and over pgbench's average latency. */
function uncontendedTargets(rows: PhaseRow[], pgbench: PgbenchResult[]): Target[] {
  const alone = find(rows, "locked", isFits(1));
  const p50 = alone?.latencyMs.p50;
  const a = alone?.limit;
  const pgbench1 = pgbenchAt(pgbench, 1);
  return [
    target(
      "uncontended",
      "default booking p50 at c=1 (every one accepted) over the limit's p50 at c=1",
      "<= 5x",
      over(p50, a?.p50Ms),
      (v) => v <= 5,
      `${p50} ms vs ${a?.p50Ms} ms (4 round trips, ${a?.source}); over the 1-round-trip ceiling (${a?.ceilingP50Ms} ms): ${p50 !== undefined && a?.ceilingP50Ms ? round2(p50 / a.ceilingP50Ms) : "-"}x`,
    ),
    target("uncontended-vs-pgbench", "default booking p50 at c=1 over pgbench's average latency at c=1", "<= 4x", over(p50, pgbench1?.latencyAvgMs), (v) => v <= 4, `${p50} ms vs ${pgbench1?.latencyAvgMs} ms`),
  ];
}

/** The CLI as a process: `hotel stress`'s memory, flat with n, and how fast short commands start. */
function processTargets(section: BenchDocument["process"]): Target[] {
  const stress = (section.stress ?? []).filter((run) => run.ok);
  const largest = stress.reduce<StressMemoryResult | undefined>((best, run) => (best === undefined || run.n > best.n ? run : best), undefined);
  const smallest = stress.reduce<StressMemoryResult | undefined>((best, run) => (best === undefined || run.n < best.n ? run : best), undefined);
  const startup = section.startup;
  return [
    target("stress-memory", `peak RSS of \`hotel stress --n ${largest?.n ?? 20000}\``, "< 250 MB", largest?.maxRssMb, (v) => v < 250, `${round1(largest?.maxRssMb ?? 0)} MB`),
    target(
      "stress-memory-flat",
      `peak RSS of \`hotel stress\` --n ${largest?.n} over --n ${smallest?.n}`,
      "<= 1.10x (flat with n)",
      largest && smallest && largest !== smallest ? largest.maxRssMb / smallest.maxRssMb : undefined,
      (v) => v <= 1.1,
      `${round1(largest?.maxRssMb ?? 0)} MB vs ${round1(smallest?.maxRssMb ?? 0)} MB`,
    ),
    target("version-startup", "`hotel --version` over `node -e 0` (median wall time)", "<= 4x", startup?.versionRatio, (v) => v <= 4, `${startup?.versionP50Ms} ms vs ${startup?.nodeP50Ms} ms`),
    target(
      "short-commands",
      "`hotel availability` and `hotel book` on an existing database over `hotel --version` (median wall time, the slower of the two)",
      "<= 2x",
      section.shortCommands ? Math.max(section.shortCommands.availabilityRatio, section.shortCommands.bookRatio) : undefined,
      (v) => v <= 2,
      `availability ${section.shortCommands?.availabilityP50Ms} ms, book ${section.shortCommands?.bookP50Ms} ms vs ${section.shortCommands?.versionP50Ms} ms`,
    ),
    target("help-startup", "`hotel --help` over `node -e 0` (median wall time)", "<= 4x", startup?.helpRatio, (v) => v <= 4, `${startup?.helpP50Ms} ms vs ${startup?.nodeP50Ms} ms`),
  ];
}

function exactTarget(rows: PhaseRow[]): Target {
  const product = rows.filter((row) => row.strategy === "locked" || row.strategy === "interactive");
  const violated = product.filter((row) => !row.invariants.ok).length;
  return target(
    "exact",
    "locked and interactive: phases with an overbooked night, double booking, unjustified refusal, phantom or lost booking",
    "0",
    product.length > 0 ? violated : undefined,
    (v) => v === 0,
    `${product.length - violated}/${product.length} phases exact`,
  );
}


/** The operations alone: the server's share of a booking, and the event's share of that. */
export function operationTargets(operations: BenchDocument["operations"]): Target[] {
  const limit = operations?.limit;
  const of = (name: string): OperationRow | undefined => operations?.operations.find((row) => row.operation === name);
  const booked = of("book");
  const bare = of("book, no event");
  const floor = of(WRITES_ALONE);
  const cpu = (row: OperationRow | undefined): number | undefined => row?.serverCpuMs ?? undefined;
  // Server CPU when it can be read, else wall time (noisier).
  const [withEvent, without, unit] = cpu(booked) !== undefined && cpu(bare) !== undefined ? [cpu(booked), cpu(bare), "server CPU"] : [booked?.p50Ms, bare?.p50Ms, "p50"];
  return [
    target(
      "server-side",
      "an uncontended accepted booking's server CPU over the limit transaction's (c=1, alternating)",
      "<= 2x",
      over(cpu(booked), cpu(limit)),
      (v) => v <= 2,
      `${cpu(booked)} ms vs ${cpu(limit)} ms of server CPU per call; the booking's writes alone (lock, row, event, one round trip) ${cpu(floor)} ms, ${over(cpu(floor), cpu(limit))?.toFixed(2) ?? "-"}x`,
    ),
    target(
      "event-cost",
      "what writing the booking's event costs: book over book without the event insert, minus 1",
      "< 15%",
      withEvent !== undefined && without !== undefined && withEvent > 0 ? ((withEvent - without) / withEvent) * 100 : undefined,
      (v) => v < 15,
      `${unit}: ${withEvent} ms with the event vs ${without} ms without (percent of a booking)`,
    ),
  ];
}

/**
 * The scale section: every side exact. Its ratios (pooler, two serves, two
 * properties) are reported without a threshold: on a 2-core machine a second
 * serve process competes with the load generator and PostgreSQL for the same
 * cores, so what it adds is not measurable here.
 */
export function scaleTargets(scale: ScaleResult | undefined): Target[] {
  const sides = (scale?.lines ?? []).flatMap((line) => [line.base, line.scaled]);
  const inexact = sides.filter((side) => !side.exact).length;
  return [
    target("scale-exact", "scale section: sides on which the oracle finds something", "0", sides.length > 0 ? inexact : undefined, (v) => v === 0, `${sides.length - inexact}/${sides.length} sides exact`),
  ];
}
