import type { Problem } from "../../src/core/audit.js";
import type { TestDatabase } from "./db.js";

/**
 * The first release's audit, kept as an oracle: its queries expand every
 * stay into nights and probe every (night, suite) pair, too slow for years
 * of data but plainly right. tests/check-findings.test.ts compares the
 * linear checks of src/core/check/ with it on small data. Property 1, the
 * public schema.
 */

const LIMIT = 1000;
const LIVE = `(b.status IN ('confirmed', 'checked_in', 'checked_out') OR (b.status = 'held' AND b.expires_at > now()))`;
const TAKEN = `b.status IN ('held', 'confirmed', 'checked_in', 'checked_out')`;
const day = (date: Date): string => date.toISOString().slice(0, 10);

export async function referenceProblems(db: TestDatabase, today: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const overbooked = await db.query<{ tier: string; night: Date; booked: number; capacity: number }>(`
    WITH nights AS (
      SELECT b.tier_id, n::date AS night, count(*)::int AS booked
      FROM bookings b, generate_series(b.check_in, b.check_out - 1, interval '1 day') n
      WHERE b.property_id = 1 AND ${LIVE} GROUP BY b.tier_id, n
    ), capacity AS (SELECT tier_id, count(*) FILTER (WHERE active)::int AS capacity FROM suites WHERE property_id = 1 GROUP BY 1)
    SELECT tr.name AS tier, nights.night, nights.booked, coalesce(c.capacity, 0) AS capacity
    FROM nights JOIN tiers tr ON tr.property_id = 1 AND tr.id = nights.tier_id LEFT JOIN capacity c ON c.tier_id = nights.tier_id
    WHERE nights.booked > coalesce(c.capacity, 0) ORDER BY 1, 2 LIMIT ${LIMIT}`);
  for (const row of overbooked) problems.push({ kind: "overbooked-night", tier: row.tier, night: day(row.night), booked: row.booked, capacity: row.capacity });

  // Every later stay of a suite that overlaps an earlier one, with the earliest-starting stay it overlaps.
  const doubles = await db.query<{ suite: string; a: number; b: number; overlap: string }>(`
    SELECT s.number AS suite, o.id AS b, p.id AS a, daterange(o.check_in, least(o.check_out, u.latest_out))::text AS overlap
    FROM bookings o JOIN suites s ON s.property_id = 1 AND s.id = o.suite_id
    CROSS JOIN LATERAL (SELECT max(e.check_out) AS latest_out FROM bookings e
      WHERE e.property_id = 1 AND e.suite_id = o.suite_id AND ${LIVE.replaceAll("b.", "e.")} AND (e.check_in, e.id) < (o.check_in, o.id)) u
    CROSS JOIN LATERAL (SELECT p.id FROM bookings p WHERE p.property_id = 1 AND p.suite_id = o.suite_id AND p.id <> o.id AND ${LIVE.replaceAll("b.", "p.")}
      AND daterange(p.check_in, p.check_out) && daterange(o.check_in, o.check_out) ORDER BY p.check_in, p.id LIMIT 1) p
    WHERE o.property_id = 1 AND ${LIVE.replaceAll("b.", "o.")} AND u.latest_out > o.check_in
    ORDER BY 1, 2 LIMIT ${LIMIT}`);
  for (const row of doubles) problems.push({ kind: "double-booked-suite", suite: row.suite, bookings: [row.a, row.b], overlap: row.overlap });

  const inactive = await db.query<{ suite: string; id: number; check_in: Date; check_out: Date }>(
    `SELECT s.number AS suite, b.id, b.check_in, b.check_out FROM bookings b JOIN suites s ON s.property_id = b.property_id AND s.id = b.suite_id
     WHERE b.property_id = 1 AND ${LIVE} AND NOT s.active AND b.check_out > $1::date ORDER BY s.number, b.check_in LIMIT ${LIMIT}`,
    [today],
  );
  for (const row of inactive) problems.push({ kind: "booking-on-inactive-suite", suite: row.suite, booking: row.id, checkIn: day(row.check_in), checkOut: day(row.check_out) });

  const orphans = await db.query<{ id: number; reason: string }>(`
    SELECT b.id, CASE WHEN s.id IS NULL THEN 'its suite does not exist' WHEN tr.id IS NULL THEN 'its tier does not exist'
                      ELSE 'its tier differs from its suite''s tier' END AS reason
    FROM bookings b LEFT JOIN suites s ON s.property_id = b.property_id AND s.id = b.suite_id
    LEFT JOIN tiers tr ON tr.property_id = b.property_id AND tr.id = b.tier_id
    WHERE b.property_id = 1 AND (s.id IS NULL OR tr.id IS NULL OR s.tier_id <> b.tier_id) ORDER BY b.id LIMIT ${LIMIT}`);
  for (const row of orphans) problems.push({ kind: "orphan-booking", booking: row.id, reason: row.reason });

  const nightDrift = await db.query<{ tier: string; night: Date; what: string; counted: number; actual: number }>(`
    WITH actual AS (
      SELECT b.tier_id, n::date AS night, count(*) FILTER (WHERE b.status <> 'held')::int AS booked, count(*) FILTER (WHERE b.status = 'held')::int AS held
      FROM bookings b, generate_series(b.check_in, b.check_out - 1, interval '1 day') n WHERE b.property_id = 1 AND ${TAKEN} GROUP BY 1, 2
    ), counted AS (SELECT tier_id, night, booked, held FROM tier_night_counts WHERE property_id = 1)
    SELECT tr.name AS tier, coalesce(a.night, c.night) AS night, k.what, k.counted, k.actual
    FROM actual a FULL JOIN counted c ON c.tier_id = a.tier_id AND c.night = a.night
    JOIN tiers tr ON tr.property_id = 1 AND tr.id = coalesce(a.tier_id, c.tier_id)
    CROSS JOIN LATERAL (VALUES ('bookings', coalesce(c.booked, 0), coalesce(a.booked, 0)), ('holds', coalesce(c.held, 0), coalesce(a.held, 0))) AS k (what, counted, actual)
    WHERE k.counted <> k.actual ORDER BY 1, 2, 3 LIMIT ${LIMIT}`);
  for (const row of nightDrift) problems.push({ kind: "count-drift", tier: row.tier, what: `${row.what} on ${day(row.night)}`, counted: row.counted, actual: row.actual });

  const suiteDrift = await db.query<{ tier: string; what: string; counted: number; actual: number }>(`
    WITH actual AS (
      SELECT tier_id, count(*) FILTER (WHERE active)::int AS active, count(*) FILTER (WHERE NOT active)::int AS inactive FROM suites WHERE property_id = 1 GROUP BY 1
    )
    SELECT tr.name AS tier, k.what, k.counted, k.actual FROM tiers tr LEFT JOIN actual a ON a.tier_id = tr.id
    LEFT JOIN tier_suite_counts c ON c.property_id = tr.property_id AND c.tier_id = tr.id
    CROSS JOIN LATERAL (VALUES ('active suites', coalesce(c.active, 0), coalesce(a.active, 0)),
                               ('inactive suites', coalesce(c.inactive, 0), coalesce(a.inactive, 0))) AS k (what, counted, actual)
    WHERE tr.property_id = 1 AND k.counted <> k.actual ORDER BY 1, 2 LIMIT ${LIMIT}`);
  for (const row of suiteDrift) problems.push({ kind: "count-drift", ...row });
  return [...problems, ...(await referenceMarksAndSchema(db))];
}

async function referenceMarksAndSchema(db: TestDatabase): Promise<Problem[]> {
  const problems: Problem[] = [];
  const staleMarks = await db.query<{ tier: string; night: Date; mark: string; suite: string }>(`
    SELECT tr.name AS tier, n.night, n.low_water AS mark, s.number AS suite
    FROM tier_night_counts n
    JOIN tier_suite_counts c ON c.property_id = n.property_id AND c.tier_id = n.tier_id AND c.generation = n.generation
    JOIN tiers tr ON tr.property_id = n.property_id AND tr.id = n.tier_id
    JOIN suites s ON s.property_id = n.property_id AND s.tier_id = n.tier_id AND s.active AND s.number <= n.low_water
    WHERE n.property_id = 1 AND n.low_water IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM bookings b WHERE b.property_id = n.property_id AND b.suite_id = s.id AND ${TAKEN}
        AND daterange(b.check_in, b.check_out, '[)') && daterange(n.night, n.night + 1, '[)'))
    ORDER BY 1, 2, 4 LIMIT ${LIMIT}`);
  for (const row of staleMarks) problems.push({ kind: "stale-mark", tier: row.tier, night: day(row.night), mark: row.mark, freeSuite: row.suite });

  const constraints = await db.query<{ conname: string }>(
    `SELECT conname FROM pg_constraint WHERE conrelid = 'bookings'::regclass AND conname IN ('bookings_no_double_booking', 'bookings_stay_check')`,
  );
  for (const name of ["bookings_no_double_booking", "bookings_stay_check"]) {
    if (!constraints.some((row) => row.conname === name)) problems.push({ kind: "missing-safety-net", constraint: name });
  }
  return problems;
}
