import { day, LIMIT, TAKEN, type CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

export interface NightDrift {
  tierId: number;
  tier: string;
  night: string;
  counted: { booked: number; held: number };
  actual: { booked: number; held: number };
}

/**
 * The nights whose kept counts (tier_night_counts.booked and .held) differ
 * from the bookings: `booked` counts confirmed, checked-in and checked-out
 * bookings, `held` the holds, lapsed or not, until they are marked expired.
 * A count above the truth refuses stays that fit; below it, the booking
 * function's fast refusal misses full nights (and availability is wrong).
 *
 * One pass, night by night, without expanding stays into nights: each
 * booking is a +1 at its check-in and a -1 at its check-out; the changes,
 * summed per (tier, day), and the count rows are walked together in day
 * order, so the running sum at a count row is the true count of its night.
 * A step of the walk where the true count is not zero must have a count
 * row for each of its nights; the steps that lack some are expanded to name
 * the nights. Complexity: one scan of the bookings (O(B)), a hash
 * aggregate, one sort of the change days and count rows (O((D + N)
 * log(D + N)), N count rows); the listing is O(nights of the steps with a
 * missing row).
 */
export async function nightCountDrift(ctx: CheckContext, limit: number | null = LIMIT): Promise<NightDrift[]> {
  const { t } = ctx;
  const rows = await ctx.query<{ tier_id: number; tier: string; night: Date; counted_booked: number; counted_held: number; booked: number; held: number }>(`
    WITH changes AS (
      SELECT b.tier_id, v.day, sum(v.sign * (b.status <> 'held')::int) AS booked, sum(v.sign * (b.status = 'held')::int) AS held
      FROM ${t("bookings")} b CROSS JOIN LATERAL (VALUES (b.check_in, 1), (b.check_out, -1)) AS v (day, sign)
      WHERE b.property_id = $1 AND ${TAKEN}
      GROUP BY 1, 2
    ), points AS (
      SELECT tier_id, day, booked, held, FALSE AS counted, 0 AS counted_booked, 0 AS counted_held FROM changes
      UNION ALL
      SELECT tier_id, night, 0, 0, TRUE, booked, held FROM ${t("tier_night_counts")} WHERE property_id = $1
    ), walk AS (
      -- Changes sort before the count row of their day, so that row sees them.
      SELECT tier_id, day, counted, counted_booked, counted_held,
             sum(booked) OVER w AS booked, sum(held) OVER w AS held,
             count(*) FILTER (WHERE counted) OVER w AS rows_so_far
      FROM points
      WINDOW w AS (PARTITION BY tier_id ORDER BY day, counted ROWS UNBOUNDED PRECEDING)
    ), steps AS (
      SELECT tier_id, day AS first_night, booked, held,
             lead(day) OVER s AS end_night, lead(rows_so_far) OVER s - rows_so_far AS count_rows
      FROM walk WHERE NOT counted
      WINDOW s AS (PARTITION BY tier_id ORDER BY day)
    ), drift AS (
      SELECT tier_id, day AS night, counted_booked, counted_held, booked, held
      FROM walk WHERE counted AND (counted_booked <> booked OR counted_held <> held)
      UNION ALL
      SELECT s.tier_id, n.night::date, 0, 0, s.booked, s.held
      FROM steps s CROSS JOIN LATERAL generate_series(s.first_night, s.end_night - 1, interval '1 day') AS n (night)
      WHERE (s.booked <> 0 OR s.held <> 0) AND s.count_rows < s.end_night - s.first_night
        AND NOT EXISTS (SELECT 1 FROM ${t("tier_night_counts")} c WHERE c.property_id = $1 AND c.tier_id = s.tier_id AND c.night = n.night::date)
    )
    SELECT d.tier_id, tr.name AS tier, d.night, d.counted_booked::int, d.counted_held::int, d.booked::int, d.held::int
    FROM drift d JOIN ${t("tiers")} tr ON tr.property_id = $1 AND tr.id = d.tier_id
    ORDER BY 2, 3${limit === null ? "" : ` LIMIT ${limit}`}`);
  return rows.map((row) => ({
    tierId: row.tier_id,
    tier: row.tier,
    night: day(row.night),
    counted: { booked: row.counted_booked, held: row.counted_held },
    actual: { booked: row.booked, held: row.held },
  }));
}

/** The drift as problems, one per count that differs (bookings, holds). */
export async function nightCountProblems(ctx: CheckContext): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const drift of await nightCountDrift(ctx)) {
    if (drift.counted.booked !== drift.actual.booked) {
      problems.push({ kind: "count-drift", tier: drift.tier, what: `bookings on ${drift.night}`, counted: drift.counted.booked, actual: drift.actual.booked });
    }
    if (drift.counted.held !== drift.actual.held) {
      problems.push({ kind: "count-drift", tier: drift.tier, what: `holds on ${drift.night}`, counted: drift.counted.held, actual: drift.actual.held });
    }
  }
  return problems.slice(0, LIMIT);
}
