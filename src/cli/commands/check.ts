import { checkIntegrity, describeProblem, describeRepair, repairIntegrity, type Repair } from "../../core/audit.js";
import { printable } from "../../core/text.js";
import type { CommandDefinition, Deps } from "../command.js";

export interface CheckOptions {
  repair: boolean;
}

/** Repairs listed in the human output; `--json` lists them all. */
const SHOWN_REPAIRS = 100;

export const checkCommand: CommandDefinition<CheckOptions, { repair?: boolean }> = {
  name: "check",
  summary: "audit the live data: overbooked nights, double-booked suites, bookings on inactive suites, orphans, counts and marks",
  flags: [{ flags: "--repair", description: "rebuild every derived count and mark (under the night locks, while bookings go on) and expire lapsed holds; say what changed" }],
  help: "Without --repair nothing is ever changed. Exit 0 when clean, 1 with the list of problems (after --repair: those it cannot fix).",
  examples: ["hotel check", "hotel check --json", "hotel check --repair", "hotel check --verbose   # how long each check took"],
  parse: (flags) => ({ repair: flags.repair === true }),
  run,
};

/** Exit 0 when the data is clean, 1 with the list of problems. */
export async function run(options: CheckOptions, deps: Deps): Promise<number> {
  const db = await deps.database({ poolSize: 1 });
  const hotel = deps.hotel(db);
  const repaired = options.repair ? await repairIntegrity(hotel, { lockTimeoutMs: deps.lockTimeoutMs() }) : undefined;
  const report = await checkIntegrity(hotel);
  // Migrations are append-only: one edited after it was applied means the
  // schema may not be what its files say.
  const started = performance.now();
  const { withClient } = await import("../../db/database.js");
  const { migrationStatus } = await import("../../db/migrate.js");
  const migrations = await withClient(db, (client) => migrationStatus(client));
  report.timings["modified-migration"] = Math.round((performance.now() - started) * 10) / 10;
  for (const migration of migrations.filter((m) => m.state === "modified")) {
    report.problems.push({ kind: "modified-migration", migration: migration.name });
    report.ok = false;
  }
  const document = repaired ? { ...report, repaired } : report;
  const { bookings, suites, tiers } = report.checked;
  const summary = `${bookings} booking(s), ${suites} suite(s), ${tiers} tier(s) in ${db.server}`;
  const lines = [...repairLines(repaired), ...(deps.out.verbose ? [timingLine(report.timings)] : [])];
  if (report.ok) {
    deps.out.result(document, () => [...lines, `${deps.out.color.green("OK")}: no problems in ${summary}.`].join("\n"));
    return 0;
  }
  const found = repaired ? `${report.problems.length} remain after the repair (it cannot fix them)` : `${report.problems.length} found`;
  deps.out.essential(
    document,
    [...lines, `${deps.out.color.red("PROBLEMS")}: ${found} in ${summary}:`, ...report.problems.map((p) => `  - ${printable(describeProblem(p), 200)}`)].join("\n"),
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
