import { day, LIMIT, LIVE, TAKEN, type CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

/**
 * Proves: no live booking from today on sits on a disabled suite (a disable
 * racing a booking, or one forced past its bookings).
 *
 * Driven from the disabled suites, each looked up in the exclusion
 * constraint's index (suite, stay) for stays ending after today.
 * Complexity: O(disabled suites x log B + the bookings found).
 */
export async function bookingsOnInactiveSuites(ctx: CheckContext): Promise<Problem[]> {
  const { t } = ctx;
  const rows = await ctx.query<{ suite: string; id: number; check_in: Date; check_out: Date }>(
    `
    SELECT s.number AS suite, b.id, b.check_in, b.check_out
    FROM ${t("suites")} s JOIN ${t("bookings")} b ON b.property_id = s.property_id AND b.suite_id = s.id
    WHERE s.property_id = $1 AND NOT s.active AND ${TAKEN} AND ${LIVE}
      AND daterange(b.check_in, b.check_out, '[)') && daterange($2::date, NULL, '[)')
    ORDER BY s.number, b.check_in LIMIT ${LIMIT}`,
    ctx.today,
  );
  return rows.map((row) => ({ kind: "booking-on-inactive-suite", suite: row.suite, booking: row.id, checkIn: day(row.check_in), checkOut: day(row.check_out) }));
}
