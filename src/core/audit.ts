import { formatDate, today } from "./dates.js";
import { sqlName, type Hotel } from "./hotel.js";
import { propertyId } from "./properties.js";

/**
 * `hotel check`: an integrity audit of one property's live data, in plain
 * SQL that shares no code with the booking functions, so a bug there cannot
 * hide here. A hold counts as taken until its expires_at, by the database's
 * clock, whether or not it has been marked expired.
 */

export type Problem =
  | { kind: "overbooked-night"; tier: string; night: string; booked: number; capacity: number }
  | { kind: "double-booked-suite"; suite: string; bookings: [number, number]; overlap: string }
  | { kind: "booking-on-inactive-suite"; suite: string; booking: number; checkIn: string; checkOut: string }
  | { kind: "orphan-booking"; booking: number; reason: string }
  | { kind: "missing-safety-net"; constraint: string }
  | { kind: "count-drift"; tier: string; what: string; counted: number; actual: number }
  | { kind: "stale-mark"; tier: string; night: string; mark: string; freeSuite: string }
  | { kind: "modified-migration"; migration: string };

export interface IntegrityReport {
  ok: boolean;
  checked: { bookings: number; suites: number; tiers: number };
  problems: Problem[];
}

const LIMIT = 1000;
const LIVE = `(b.status IN ('confirmed', 'checked_in', 'checked_out') OR (b.status = 'held' AND b.expires_at > now()))`;

export async function checkIntegrity(hotel: Hotel, now = new Date()): Promise<IntegrityReport> {
  const from = formatDate(today(now));
  const property = await propertyId(hotel);
  const t = (name: string): string => sqlName(hotel, name);
  const q = <T>(sql: string, ...params: unknown[]): Promise<T[]> => hotel.prisma.$queryRawUnsafe<T[]>(sql, property, ...params);
  const problems: Problem[] = [];

  const overbooked = await q<{ tier: string; night: Date; booked: number; capacity: number }>(`
    WITH nights AS (
      SELECT b.tier_id, n::date AS night, count(*)::int AS booked
      FROM ${t("bookings")} b, generate_series(b.check_in, b.check_out - 1, interval '1 day') n
      WHERE b.property_id = $1 AND ${LIVE}
      GROUP BY b.tier_id, n
    ), capacity AS (
      SELECT tier_id, count(*) FILTER (WHERE active)::int AS capacity FROM ${t("suites")} WHERE property_id = $1 GROUP BY 1
    )
    SELECT tr.name AS tier, nights.night, nights.booked, coalesce(c.capacity, 0) AS capacity
    FROM nights JOIN ${t("tiers")} tr ON tr.property_id = $1 AND tr.id = nights.tier_id
    LEFT JOIN capacity c ON c.tier_id = nights.tier_id
    WHERE nights.booked > coalesce(c.capacity, 0)
    ORDER BY 1, 2 LIMIT ${LIMIT}`);
  for (const row of overbooked) problems.push({ kind: "overbooked-night", tier: row.tier, night: formatDate(row.night), booked: row.booked, capacity: row.capacity });

  // Each suite's stays in check-in order: one overlaps an earlier one when it
  // starts before the latest check-out so far (a sweep, not a self-join).
  const doubles = await q<{ suite: string; a: number; b: number; overlap: string }>(`
    WITH ordered AS (
      SELECT b.id, b.suite_id, b.check_in, b.check_out,
             max(b.check_out) OVER w AS latest_out
      FROM ${t("bookings")} b
      WHERE b.property_id = $1 AND ${LIVE}
      WINDOW w AS (PARTITION BY b.suite_id ORDER BY b.check_in, b.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    )
    SELECT s.number AS suite, o.id AS b, (
             SELECT p.id FROM ${t("bookings")} p
             WHERE p.property_id = $1 AND p.suite_id = o.suite_id AND p.id <> o.id
               AND p.status IN ('held', 'confirmed', 'checked_in', 'checked_out')
               AND daterange(p.check_in, p.check_out) && daterange(o.check_in, o.check_out)
             ORDER BY p.check_in LIMIT 1) AS a,
           daterange(o.check_in, least(o.check_out, o.latest_out))::text AS overlap
    FROM ordered o JOIN ${t("suites")} s ON s.property_id = $1 AND s.id = o.suite_id
    WHERE o.latest_out > o.check_in
    ORDER BY 1, 2 LIMIT ${LIMIT}`);
  for (const row of doubles) problems.push({ kind: "double-booked-suite", suite: row.suite, bookings: [row.a, row.b], overlap: row.overlap });

  const inactive = await q<{ suite: string; id: number; check_in: Date; check_out: Date }>(`
    SELECT s.number AS suite, b.id, b.check_in, b.check_out
    FROM ${t("bookings")} b JOIN ${t("suites")} s ON s.property_id = b.property_id AND s.id = b.suite_id
    WHERE b.property_id = $1 AND ${LIVE} AND NOT s.active AND b.check_out > $2::date
    ORDER BY s.number, b.check_in LIMIT ${LIMIT}`, from);
  for (const row of inactive) {
    problems.push({ kind: "booking-on-inactive-suite", suite: row.suite, booking: row.id, checkIn: formatDate(row.check_in), checkOut: formatDate(row.check_out) });
  }

  const orphans = await q<{ id: number; reason: string }>(`
    SELECT b.id, CASE WHEN s.id IS NULL THEN 'its suite does not exist'
                      WHEN tr.id IS NULL THEN 'its tier does not exist'
                      ELSE 'its tier differs from its suite''s tier' END AS reason
    FROM ${t("bookings")} b
    LEFT JOIN ${t("suites")} s ON s.property_id = b.property_id AND s.id = b.suite_id
    LEFT JOIN ${t("tiers")} tr ON tr.property_id = b.property_id AND tr.id = b.tier_id
    WHERE b.property_id = $1 AND (s.id IS NULL OR tr.id IS NULL OR s.tier_id <> b.tier_id)
    ORDER BY b.id LIMIT ${LIMIT}`);
  for (const row of orphans) problems.push({ kind: "orphan-booking", booking: row.id, reason: row.reason });

  // The counts behind the booking function's fast refusal: a count above the
  // truth would refuse stays that fit. Held rows count until marked expired.
  const nightDrift = await q<{ tier: string; night: Date; what: string; counted: number; actual: number }>(`
    WITH actual AS (
      SELECT b.tier_id, n::date AS night,
             count(*) FILTER (WHERE b.status <> 'held')::int AS booked, count(*) FILTER (WHERE b.status = 'held')::int AS held
      FROM ${t("bookings")} b, generate_series(b.check_in, b.check_out - 1, interval '1 day') n
      WHERE b.property_id = $1 AND b.status IN ('held', 'confirmed', 'checked_in', 'checked_out')
      GROUP BY 1, 2
    ), counted AS (
      SELECT tier_id, night, booked, held FROM ${t("tier_night_counts")} WHERE property_id = $1
    )
    SELECT tr.name AS tier, coalesce(a.night, c.night) AS night, k.what, k.counted, k.actual
    FROM actual a
    FULL JOIN counted c ON c.tier_id = a.tier_id AND c.night = a.night
    JOIN ${t("tiers")} tr ON tr.property_id = $1 AND tr.id = coalesce(a.tier_id, c.tier_id)
    CROSS JOIN LATERAL (VALUES ('bookings', coalesce(c.booked, 0), coalesce(a.booked, 0)),
                               ('holds', coalesce(c.held, 0), coalesce(a.held, 0))) AS k (what, counted, actual)
    WHERE k.counted <> k.actual
    ORDER BY 1, 2, 3 LIMIT ${LIMIT}`);
  for (const row of nightDrift) {
    problems.push({ kind: "count-drift", tier: row.tier, what: `${row.what} on ${formatDate(row.night)}`, counted: row.counted, actual: row.actual });
  }
  const suiteDrift = await q<{ tier: string; what: string; counted: number; actual: number }>(`
    WITH actual AS (
      SELECT tier_id, count(*) FILTER (WHERE active)::int AS active, count(*) FILTER (WHERE NOT active)::int AS inactive
      FROM ${t("suites")} WHERE property_id = $1 GROUP BY 1
    )
    SELECT tr.name AS tier, k.what, k.counted, k.actual
    FROM ${t("tiers")} tr
    LEFT JOIN actual a ON a.tier_id = tr.id
    LEFT JOIN ${t("tier_suite_counts")} c ON c.property_id = tr.property_id AND c.tier_id = tr.id
    CROSS JOIN LATERAL (VALUES
      ('active suites', coalesce(c.active, 0), coalesce(a.active, 0)),
      ('inactive suites', coalesce(c.inactive, 0), coalesce(a.inactive, 0))) AS k (what, counted, actual)
    WHERE tr.property_id = $1 AND k.counted <> k.actual
    ORDER BY 1, 2 LIMIT ${LIMIT}`);
  for (const row of suiteDrift) problems.push({ kind: "count-drift", ...row });

  // A low-water mark claims every active suite up to it is taken that night;
  // one that hides a free suite would make the booking function refuse stays that fit.
  const staleMarks = await q<{ tier: string; night: Date; mark: string; suite: string }>(`
    SELECT tr.name AS tier, n.night, n.low_water AS mark, s.number AS suite
    FROM ${t("tier_night_counts")} n
    JOIN ${t("tier_suite_counts")} c ON c.property_id = n.property_id AND c.tier_id = n.tier_id AND c.generation = n.generation
    JOIN ${t("tiers")} tr ON tr.property_id = n.property_id AND tr.id = n.tier_id
    JOIN ${t("suites")} s ON s.property_id = n.property_id AND s.tier_id = n.tier_id AND s.active AND s.number <= n.low_water
    WHERE n.property_id = $1 AND n.low_water IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM ${t("bookings")} b
        WHERE b.property_id = n.property_id AND b.suite_id = s.id
          AND b.status IN ('held', 'confirmed', 'checked_in', 'checked_out')
          AND daterange(b.check_in, b.check_out, '[)') && daterange(n.night, n.night + 1, '[)'))
    ORDER BY 1, 2, 4 LIMIT ${LIMIT}`);
  for (const row of staleMarks) {
    problems.push({ kind: "stale-mark", tier: row.tier, night: formatDate(row.night), mark: row.mark, freeSuite: row.suite });
  }

  const constraints = await q<{ conname: string }>(`
    SELECT conname FROM pg_constraint
    WHERE $1::int IS NOT NULL AND conrelid = to_regclass($2) AND conname IN ('bookings_no_double_booking', 'bookings_stay_check')`, t("bookings"));
  for (const name of ["bookings_no_double_booking", "bookings_stay_check"]) {
    if (!constraints.some((row) => row.conname === name)) problems.push({ kind: "missing-safety-net", constraint: name });
  }

  const counts = await q<{ bookings: number; suites: number; tiers: number }>(`
    SELECT (SELECT count(*)::int FROM ${t("bookings")} WHERE property_id = $1) AS bookings,
           (SELECT count(*)::int FROM ${t("suites")} WHERE property_id = $1) AS suites,
           (SELECT count(*)::int FROM ${t("tiers")} WHERE property_id = $1) AS tiers`);
  const checked = counts[0] ?? { bookings: 0, suites: 0, tiers: 0 };
  return { ok: problems.length === 0, checked, problems };
}

export function describeProblem(problem: Problem): string {
  switch (problem.kind) {
    case "overbooked-night":
      return `overbooked: ${problem.tier} on ${problem.night} has ${problem.booked} bookings for ${problem.capacity} active suites`;
    case "double-booked-suite":
      return `double-booked: suite ${problem.suite}, bookings #${problem.bookings[0]} and #${problem.bookings[1]} overlap on ${problem.overlap}`;
    case "booking-on-inactive-suite":
      return `inactive suite: booking #${problem.booking} (${problem.checkIn} to ${problem.checkOut}) is on disabled suite ${problem.suite}`;
    case "orphan-booking":
      return `orphan: booking #${problem.booking}: ${problem.reason}`;
    case "count-drift":
      return `count drift: ${problem.tier}, ${problem.what}: counted ${problem.counted}, actually ${problem.actual} (run \`hotel check --repair\`)`;
    case "stale-mark":
      return `stale mark: ${problem.tier} on ${problem.night} is marked taken up to ${problem.mark}, but suite ${problem.freeSuite} is free (run \`hotel check --repair\`)`;
    case "missing-safety-net":
      return `schema: constraint ${problem.constraint} is missing (run \`hotel db status\`; the database no longer refuses double bookings)`;
    case "modified-migration":
      return `schema: migration ${problem.migration} was changed after it was applied (migrations are append-only: restore the file)`;
  }
}
