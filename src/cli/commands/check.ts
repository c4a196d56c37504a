import type { Command } from "commander";
import { checkIntegrity, describeProblem } from "../../core/audit.js";
import { printable } from "../../core/text.js";
import { withClient } from "../../db/database.js";
import { migrationStatus } from "../../db/migrate.js";
import { createContext } from "../context.js";

export async function run(_flags: unknown, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const report = await checkIntegrity(ctx.hotel(db));
  // Migrations are append-only: one edited after it was applied means the
  // schema may not be what its files say.
  const started = performance.now();
  const migrations = await withClient(db, (client) => migrationStatus(client));
  report.timings["modified-migration"] = Math.round((performance.now() - started) * 10) / 10;
  for (const migration of migrations.filter((m) => m.state === "modified")) {
    report.problems.push({ kind: "modified-migration", migration: migration.name });
    report.ok = false;
  }
  const { bookings, suites, tiers } = report.checked;
  const summary = `${bookings} booking(s), ${suites} suite(s), ${tiers} tier(s) in ${db.server}`;
  const lines = ctx.out.verbose ? [timingLine(report.timings)] : [];
  if (report.ok) {
    ctx.out.result(report, () => [...lines, `${ctx.out.color.green("OK")}: no problems in ${summary}.`].join("\n"));
    return 0;
  }
  ctx.out.essential(
    report,
    [...lines, `${ctx.out.color.red("PROBLEMS")}: ${report.problems.length} found in ${summary}:`, ...report.problems.map((p) => `  - ${printable(describeProblem(p), 200)}`)].join("\n"),
  );
  return 1;
}

const timingLine = (timings: Record<string, number>): string =>
  `Timings (ms): ${Object.entries(timings)
    .map(([check, ms]) => `${check} ${ms}`)
    .join(", ")}`;
