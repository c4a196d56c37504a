import { LIMIT, LIVE, type CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

/**
 * Proves: no suite has two live bookings whose stays overlap (what the
 * exclusion constraint guarantees while it exists).
 *
 * A sweep over each suite's stays in check-in order: a stay overlaps an
 * earlier one exactly when it starts before the latest check-out so far. The
 * window frame starts at the partition's first row, so PostgreSQL adds each
 * row to the running max once and never recomputes it: linear after the sort.
 * Complexity: one scan of the bookings and a sort by (suite, check-in)
 * (O(B log B)); then, per overlapping stay only, one lookup of the stay it
 * overlaps through the exclusion constraint's index (O(log B) each).
 */
export async function doubleBookedSuites(ctx: CheckContext): Promise<Problem[]> {
  const { t } = ctx;
  const rows = await ctx.query<{ suite: string; a: number; b: number; overlap: string }>(`
    WITH ordered AS (
      SELECT b.id, b.suite_id, b.check_in, b.check_out,
             max(b.check_out) OVER w AS latest_out
      FROM ${t("bookings")} b
      WHERE b.property_id = $1 AND ${LIVE}
      WINDOW w AS (PARTITION BY b.suite_id ORDER BY b.check_in, b.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    )
    SELECT s.number AS suite, o.id AS b, (
             SELECT b.id FROM ${t("bookings")} b
             WHERE b.property_id = $1 AND b.suite_id = o.suite_id AND b.id <> o.id
               AND b.status IN ('held', 'confirmed', 'checked_in', 'checked_out') AND ${LIVE}
               AND daterange(b.check_in, b.check_out, '[)') && daterange(o.check_in, o.check_out, '[)')
             ORDER BY b.check_in, b.id LIMIT 1) AS a,
           daterange(o.check_in, least(o.check_out, o.latest_out))::text AS overlap
    FROM ordered o JOIN ${t("suites")} s ON s.property_id = $1 AND s.id = o.suite_id
    WHERE o.latest_out > o.check_in
    ORDER BY 1, 2 LIMIT ${LIMIT}`);
  return rows.map((row) => ({ kind: "double-booked-suite", suite: row.suite, bookings: [row.a, row.b], overlap: row.overlap }));
}
