import type { Hotel } from "../hotel.js";
import { checkContext, type CheckContext } from "./context.js";
import { doubleBookedSuites } from "./double-booked.js";
import { bookingsOnInactiveSuites } from "./inactive-suites.js";
import { staleMarkProblems } from "./marks.js";
import { nightCountProblems } from "./night-counts.js";
import { orphanBookings } from "./orphans.js";
import { overbookedNights } from "./overbooked.js";
import type { Problem } from "./problems.js";
import { missingSafetyNet } from "./safety-net.js";
import { suiteCountProblems } from "./suite-counts.js";

/**
 * `hotel check`: an integrity audit of one property's live data. Each check
 * is one named query in its own module (what it proves and its complexity
 * are said there); this runs them one after the other and times each. A
 * hold counts as taken until its expires_at, by the database's clock,
 * whether or not it has been marked expired. Nothing here writes.
 */

export { describeProblem, type Problem } from "./problems.js";

export interface IntegrityReport {
  ok: boolean;
  checked: { bookings: number; suites: number; tiers: number };
  problems: Problem[];
  /** Milliseconds each check took, by check name. */
  timings: Record<string, number>;
}

/** The checks, in the order they run and report. */
export const CHECKS: ReadonlyArray<{ name: string; run: (ctx: CheckContext) => Promise<Problem[]> }> = [
  { name: "overbooked-night", run: overbookedNights },
  { name: "double-booked-suite", run: doubleBookedSuites },
  { name: "booking-on-inactive-suite", run: bookingsOnInactiveSuites },
  { name: "orphan-booking", run: orphanBookings },
  { name: "night-count-drift", run: nightCountProblems },
  { name: "suite-count-drift", run: suiteCountProblems },
  { name: "stale-mark", run: staleMarkProblems },
  { name: "missing-safety-net", run: missingSafetyNet },
];

/**
 * Runs every check in one read-only REPEATABLE READ transaction: they all
 * see the same snapshot (and cannot write). Sorts and hashes get memory
 * enough for years of bookings (SET LOCAL: a pooler keeps nothing).
 */
export async function checkIntegrity(hotel: Hotel, now = new Date()): Promise<IntegrityReport> {
  const base = await checkContext(hotel, now);
  return hotel.prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe("SET TRANSACTION READ ONLY");
      await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${WORK_MEM}'`);
      const ctx: CheckContext = { ...base, query: (sql, ...params) => tx.$queryRawUnsafe(sql, base.property, ...params) };
      const problems: Problem[] = [];
      const timings: Record<string, number> = {};
      for (const check of CHECKS) {
        const { value, ms } = await timed(() => check.run(ctx));
        problems.push(...value);
        timings[check.name] = ms;
      }
      const { value: checked, ms } = await timed(() => totals(ctx));
      timings.totals = ms;
      return { ok: problems.length === 0, checked, problems, timings };
    },
    { isolationLevel: "RepeatableRead", maxWait: 10_000, timeout: 30 * 60_000 },
  );
}

const WORK_MEM = "64MB";

/** Runs `work` and measures it in milliseconds (to 0.1 ms). */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round((performance.now() - started) * 10) / 10 };
}

/** What was checked. Complexity: counts of the property's rows (O(B + S)). */
async function totals(ctx: CheckContext): Promise<IntegrityReport["checked"]> {
  const { t } = ctx;
  const [row] = await ctx.query<IntegrityReport["checked"]>(`
    SELECT (SELECT count(*)::int FROM ${t("bookings")} WHERE property_id = $1) AS bookings,
           (SELECT count(*)::int FROM ${t("suites")} WHERE property_id = $1) AS suites,
           (SELECT count(*)::int FROM ${t("tiers")} WHERE property_id = $1) AS tiers`);
  return row ?? { bookings: 0, suites: 0, tiers: 0 };
}
