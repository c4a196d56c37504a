import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateYears } from "../src/core/check/generate.js";
import type { Hotel } from "../src/core/hotel.js";
import { openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { packageRoot } from "../src/db/paths.js";
import { redactSecrets, withDatabase } from "../src/db/url.js";
import { withPg } from "../src/stress/bookkeeping.js";

/**
 * The "years" group (issue "Years of data"): the CLI as a process on a
 * hotel of 200 suites with years of bookings made by generateYears(). Each
 * size gets a database of its own on the server of `url` (the next one a
 * copy of the last, plus the rows it lacks), created and dropped here (the
 * generator needs DDL); then every command runs once per size in turn, for
 * `runs` rounds, so that a change in the machine's load hits every size
 * alike and the ratios between sizes hold within the run. Runs
 * `node bin/hotel.js` from dist/: `npm run build` first.
 *
 * Standalone: `node bench/years.mjs [--database-url URL] [--sizes 0,100000,200000] [--runs 3] [--json]`.
 */

export interface YearsOptions {
  /** Bookings at each measured size (default 0, 100k, 200k). */
  sizes?: number[];
  /** Rounds: runs of each command per size; the median is reported. */
  runs?: number;
  /** The CLI to measure (default this package's bin/hotel.js). */
  bin?: string;
  log?: (line: string) => void;
}

export interface YearsRow {
  bookings: number;
  command: string;
  /** Median wall time of the process, ms. */
  ms: number;
  runs: number;
  /** Every run's wall time, ms. */
  samples: number[];
  ok: boolean;
  /** `hotel check --json`: ms per check (of the median run). */
  timings?: Record<string, number>;
  error?: string;
}

const TIER = "years";
const DAY_MS = 86_400_000;

/** The commands measured, each given the run's number (for a booking's own night). */
const COMMANDS: ReadonlyArray<{ command: string; args: (run: number) => string[] }> = [
  { command: "hotel --version", args: () => ["--version"] },
  { command: "hotel check", args: () => ["check", "--json"] },
  { command: "hotel availability --nights 366", args: () => ["availability", "--nights", "366", "--json"] },
  { command: "hotel bookings (one month)", args: () => ["bookings", "--from", isoDay(0), "--to", isoDay(30), "--json"] },
  { command: "hotel book", args: (run) => ["book", "--tier", TIER, "--check-in", isoDay(9000 + run), "--nights", "1", "--guest", "Bench", "--json"] },
];

export async function runYearsBench(url: string, options: YearsOptions = {}): Promise<YearsRow[]> {
  const sizes = [...(options.sizes ?? [0, 100_000, 200_000])].sort((a, b) => a - b);
  const runs = options.runs ?? 3;
  const bin = options.bin ?? path.join(packageRoot(), "bin", "hotel.js");
  const log = options.log ?? (() => undefined);
  const prefix = `hotel_years_${randomBytes(6).toString("hex")}`;
  const created: string[] = [];
  try {
    const databases: { size: number; url: string }[] = [];
    for (const size of sizes) {
      const name = `${prefix}_${size}`;
      const previous = created.at(-1);
      await withPg(url, (client) => client.query(`CREATE DATABASE "${name}"${previous ? ` TEMPLATE "${previous}"` : ""}`));
      created.push(name);
      const dbUrl = withDatabase(url, name);
      if (!previous) await withPg(dbUrl, (client) => migrate(client));
      await generate(dbUrl, size - (databases.at(-1)?.size ?? 0), log);
      databases.push({ size, url: dbUrl });
    }
    const results = new Map<string, CliRun[]>();
    for (let run = 0; run < runs; run++) {
      for (const { size, url: dbUrl } of databases) {
        for (const { command, args } of COMMANDS) {
          const key = `${size}/${command}`;
          results.set(key, [...(results.get(key) ?? []), runCli(bin, dbUrl, args(run))]);
        }
      }
      log(`years: round ${run + 1} of ${runs} done`);
    }
    return databases.flatMap(({ size }) => COMMANDS.map(({ command }) => summarise(size, command, results.get(`${size}/${command}`) ?? [])));
  } finally {
    for (const name of created.reverse()) await withPg(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}

/** Adds `bookings` generated rows to the database at `url`, then closes it (so that it can be copied). */
async function generate(url: string, bookings: number, log: (line: string) => void): Promise<void> {
  const db = await openDatabase({ databaseUrl: url, poolSize: 2 });
  try {
    const started = Date.now();
    const hotel: Hotel = { prisma: db.prisma, schema: db.schema, property: "main", actor: "bench" };
    const made = await generateYears(hotel, { tier: TIER, bookings });
    log(`years: ${made.total} bookings (${made.firstNight || "-"} to ${made.lastNight || "-"}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.close();
  }
  // Flush the writes now, not during the measurements.
  await withPg(url, (client) => client.query("CHECKPOINT")).catch(() => undefined);
}

const isoDay = (offset: number): string => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

interface CliRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(bin: string, databaseUrl: string, args: string[]): CliRun {
  const env = { ...process.env, NO_COLOR: "1", DATABASE_URL: "" };
  const started = performance.now();
  const child = spawnSync(process.execPath, [bin, "--database-url", databaseUrl, ...args], { env, encoding: "utf8", timeout: 600_000, maxBuffer: 64 << 20 });
  return { ms: performance.now() - started, code: child.status, stdout: child.stdout, stderr: child.stderr };
}

function summarise(bookings: number, command: string, results: CliRun[]): YearsRow {
  const byTime = [...results].sort((a, b) => a.ms - b.ms);
  const median = byTime[Math.floor((byTime.length - 1) / 2)] as CliRun;
  const failed = results.find((result) => result.code !== 0);
  let timings: Record<string, number> | undefined;
  if (command === "hotel check") {
    try {
      timings = (JSON.parse(median.stdout) as { timings?: Record<string, number> }).timings;
    } catch {
      timings = undefined;
    }
  }
  return {
    bookings,
    command,
    ms: median.ms,
    runs: results.length,
    samples: results.map((result) => Math.round(result.ms)),
    ok: failed === undefined,
    ...(timings ? { timings } : {}),
    ...(failed ? { error: redactSecrets(`exit ${failed.code}: ${(failed.stdout + failed.stderr).replace(/\s+/g, " ").slice(0, 200)}`) } : {}),
  };
}

/** One of the issue's targets, shaped like the other bench targets (bench/report.ts `Target`). */
export interface YearsTarget {
  id: string;
  description: string;
  threshold: string;
  value: number | null;
  pass: boolean | null;
  measured: string;
}

/** The issue's targets on the rows of one run (ratios within the run). */
export function yearsTargets(rows: YearsRow[]): YearsTarget[] {
  const sizes = [...new Set(rows.map((row) => row.bookings))].sort((a, b) => a - b);
  const largest = sizes.at(-1) ?? 0;
  const half = sizes.find((size) => size * 2 === largest);
  const ms = (command: string, bookings: number | undefined): number | undefined =>
    rows.find((row) => row.command === command && row.bookings === bookings && row.ok)?.ms;
  const target = (id: string, description: string, threshold: string, value: number | undefined, pass: (v: number) => boolean, measured: string): YearsTarget => {
    const known = value !== undefined && Number.isFinite(value);
    return { id, description, threshold, value: known ? Math.round(value * 100) / 100 : null, pass: known ? pass(value) : null, measured: known ? measured : "not measured" };
  };
  const check = ms("hotel check", largest);
  const checkHalf = ms("hotel check", half);
  const availability = ms("hotel availability --nights 366", largest);
  const version = ms("hotel --version", largest);
  const versus = (command: string, id: string) => {
    const full = ms(command, largest);
    const empty = ms(command, 0);
    return target(id, `${command} on ${largest} bookings over an empty hotel`, "<= 1.3x", full && empty ? full / empty : undefined, (v) => v <= 1.3, `${full?.toFixed(0)} ms vs ${empty?.toFixed(0)} ms`);
  };
  return [
    target("years-check", `hotel check on ${largest} bookings, ms`, "<= 5000", check, (v) => v <= 5000, `${check?.toFixed(0)} ms`),
    target("years-check-growth", `hotel check on ${largest} over ${half ?? "?"} bookings`, "<= 2.2x", check && checkHalf ? check / checkHalf : undefined, (v) => v <= 2.2, `${check?.toFixed(0)} ms vs ${checkHalf?.toFixed(0)} ms`),
    target(
      "years-availability",
      `hotel availability --nights 366 on ${largest} bookings, ms over 3x hotel --version + 300 ms`,
      "<= 1x",
      availability && version ? availability / (3 * version + 300) : undefined,
      (v) => v <= 1,
      `${availability?.toFixed(0)} ms vs ${version?.toFixed(0)} ms for --version`,
    ),
    versus("hotel book", "years-book"),
    versus("hotel bookings (one month)", "years-bookings"),
  ];
}

/** The rows as a table: one line per size and command, and the growth of each command from one size to the next. */
export function renderYears(rows: YearsRow[]): string {
  const lines = ["bookings  command                             ms       runs (ms)"];
  for (const row of rows) {
    const previous = rows.filter((other) => other.command === row.command && other.bookings > 0 && other.bookings < row.bookings).pop();
    const growth = previous && row.bookings > 0 ? `  ${(row.ms / previous.ms).toFixed(2)}x vs ${previous.bookings}` : "";
    lines.push(
      `${String(row.bookings).padStart(8)}  ${row.command.padEnd(34)}${row.ms.toFixed(0).padStart(7)}  ${row.samples.join(" ")}${growth}${row.ok ? "" : `  FAILED ${row.error ?? ""}`}`,
    );
    if (row.timings) {
      const parts = Object.entries(row.timings).map(([check, ms]) => `${check} ${ms.toFixed(0)}`);
      lines.push(`          ${parts.join(", ")}`);
    }
  }
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "database-url": { type: "string" },
      sizes: { type: "string" },
      runs: { type: "string" },
      bin: { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  const url = values["database-url"] ?? (process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL);
  if (!url) {
    process.stderr.write("years: give --database-url (or BENCH_DATABASE_URL): the server to make a scratch database on\n");
    return 64;
  }
  const rows = await runYearsBench(url, {
    sizes: values.sizes?.split(",").map(Number),
    runs: values.runs === undefined ? undefined : Number(values.runs),
    bin: values.bin,
    log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const checked = yearsTargets(rows);
  const table = checked.map((t) => `${t.pass === null ? "-" : t.pass ? "ok" : "MISSED"}  ${t.id}: ${t.value ?? "-"} (${t.threshold}); ${t.measured}`);
  process.stdout.write(`${values.json ? JSON.stringify({ rows, targets: checked }) : [renderYears(rows), "", ...table].join("\n")}\n`);
  return rows.every((row) => row.ok) ? 0 : 1;
}
