import { checkIntegrity, describeProblem } from "../../core/audit.js";
import { printable } from "../../core/text.js";
import type { CommandDefinition, Deps } from "../command.js";

export type CheckOptions = Record<string, never>;

export const checkCommand: CommandDefinition<CheckOptions> = {
  name: "check",
  summary: "audit the live data: overbooked nights, double-booked suites, bookings on inactive suites, orphans",
  examples: ["hotel check", "hotel check --json"],
  parse: () => ({}),
  run,
};

/** Exit 0 when the data is clean, 1 with the list of problems. */
export async function run(_options: CheckOptions, deps: Deps): Promise<number> {
  const db = await deps.database({ poolSize: 1 });
  const report = await checkIntegrity(deps.hotel(db));
  // Migrations are append-only: one edited after it was applied means the
  // schema may not be what its files say.
  const { withClient } = await import("../../db/database.js");
  const { migrationStatus } = await import("../../db/migrate.js");
  for (const migration of (await withClient(db, (client) => migrationStatus(client))).filter((m) => m.state === "modified")) {
    report.problems.push({ kind: "modified-migration", migration: migration.name });
    report.ok = false;
  }
  const { bookings, suites, tiers } = report.checked;
  const summary = `${bookings} booking(s), ${suites} suite(s), ${tiers} tier(s) in ${db.server}`;
  if (report.ok) {
    deps.out.result(report, () => `${deps.out.color.green("OK")}: no problems in ${summary}.`);
    return 0;
  }
  deps.out.essential(
    report,
    [`${deps.out.color.red("PROBLEMS")}: ${report.problems.length} found in ${summary}:`, ...report.problems.map((p) => `  - ${printable(describeProblem(p), 200)}`)].join("\n"),
  );
  return 1;
}
