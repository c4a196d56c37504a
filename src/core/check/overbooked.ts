import { day, LIMIT, LIVE, type CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

/**
 * Proves: no tier has more live bookings (confirmed, checked in, checked
 * out, or held and not lapsed) on a night than it has active suites.
 *
 * A sweep, not an expansion into nights: each booking adds one at its
 * check-in and takes one away at its check-out; counted per (tier, day) and
 * run in day order, the running total is the count on every night up to the
 * next change. Only the steps above capacity are expanded into nights.
 * Complexity: one scan of the property's bookings (O(B)), a hash aggregate
 * down to the days with a change, a sort of those days (O(D log D)); the
 * listing is O(nights overbooked).
 */
export async function overbookedNights(ctx: CheckContext): Promise<Problem[]> {
  const { t } = ctx;
  const rows = await ctx.query<{ tier: string; night: Date; booked: number; capacity: number }>(`
    WITH changes AS (
      SELECT b.tier_id, v.day, sum(v.delta) AS delta
      FROM ${t("bookings")} b CROSS JOIN LATERAL (VALUES (b.check_in, 1), (b.check_out, -1)) AS v (day, delta)
      WHERE b.property_id = $1 AND ${LIVE}
      GROUP BY 1, 2
    ), steps AS (
      SELECT tier_id, day AS first_night, lead(day) OVER w AS end_night, sum(delta) OVER w AS booked
      FROM changes
      WINDOW w AS (PARTITION BY tier_id ORDER BY day)
    ), capacity AS (
      SELECT tr.id, tr.name, count(s.id) FILTER (WHERE s.active)::int AS capacity
      FROM ${t("tiers")} tr LEFT JOIN ${t("suites")} s ON s.property_id = tr.property_id AND s.tier_id = tr.id
      WHERE tr.property_id = $1
      GROUP BY 1, 2
    )
    SELECT c.name AS tier, n.night::date AS night, s.booked::int AS booked, c.capacity
    FROM steps s JOIN capacity c ON c.id = s.tier_id
    CROSS JOIN LATERAL generate_series(s.first_night, s.end_night - 1, interval '1 day') AS n (night)
    WHERE s.booked > c.capacity
    ORDER BY 1, 2 LIMIT ${LIMIT}`);
  return rows.map((row) => ({ kind: "overbooked-night", tier: row.tier, night: day(row.night), booked: row.booked, capacity: row.capacity }));
}
