import type { Command } from "commander";
import { checkIntegrity, describeProblem, describeRepair, repairIntegrity, type Repair } from "../../core/audit.js";
import { printable } from "../../core/text.js";
import { withClient } from "../../db/database.js";
import { migrationStatus } from "../../db/migrate.js";
import { createContext } from "../context.js";

/** Repairs listed in the human output; `--json` lists them all. */
const SHOWN_REPAIRS = 100;

export async function run(flags: { repair?: boolean }, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const hotel = ctx.hotel(db);
  const repaired = flags.repair ? await repairIntegrity(hotel, { lockTimeoutMs: ctx.lockTimeoutMs() }) : undefined;
  const report = await checkIntegrity(hotel);
  // Migrations are append-only: one edited after it was applied means the
  // schema may not be what its files say.
  const started = performance.now();
  const migrations = await withClient(db, (client) => migrationStatus(client));
  report.timings["modified-migration"] = Math.round((performance.now() - started) * 10) / 10;
  for (const migration of migrations.filter((m) => m.state === "modified")) {
    report.problems.push({ kind: "modified-migration", migration: migration.name });
    report.ok = false;
  }
  const document = repaired ? { ...report, repaired } : report;
  const { bookings, suites, tiers } = report.checked;
  const summary = `${bookings} booking(s), ${suites} suite(s), ${tiers} tier(s) in ${db.server}`;
  const lines = [...repairLines(repaired), ...(ctx.out.verbose ? [timingLine(report.timings)] : [])];
  if (report.ok) {
    ctx.out.result(document, () => [...lines, `${ctx.out.color.green("OK")}: no problems in ${summary}.`].join("\n"));
    return 0;
  }
  const found = repaired ? `${report.problems.length} remain after the repair (it cannot fix them)` : `${report.problems.length} found`;
  ctx.out.essential(
    document,
    [...lines, `${ctx.out.color.red("PROBLEMS")}: ${found} in ${summary}:`, ...report.problems.map((p) => `  - ${printable(describeProblem(p), 200)}`)].join("\n"),
  );
  return 1;
}

function repairLines(repaired: Repair[] | undefined): string[] {
  if (!repaired) return [];
  if (repaired.length === 0) return ["Nothing to repair."];
  const more = repaired.length > SHOWN_REPAIRS ? [`  ... and ${repaired.length - SHOWN_REPAIRS} more (--json lists them all)`] : [];
  return [`Repaired ${repaired.length}:`, ...repaired.slice(0, SHOWN_REPAIRS).map((r) => `  - ${printable(describeRepair(r), 200)}`), ...more];
}

const timingLine = (timings: Record<string, number>): string =>
  `Timings (ms): ${Object.entries(timings)
    .map(([check, ms]) => `${check} ${ms}`)
    .join(", ")}`;
