import type { PrismaClient } from "../generated/prisma/client.js";
import { formatDate, today } from "./dates.js";

/**
 * `hotel check`: an integrity audit of the live data, in plain SQL that does
 * not share code with the booking path, so a bug there cannot hide here.
 */

export type Problem =
  | { kind: "overbooked-night"; tier: string; night: string; booked: number; capacity: number }
  | { kind: "double-booked-suite"; suite: string; bookings: [number, number]; overlap: string }
  | { kind: "booking-on-inactive-suite"; suite: string; booking: number; checkIn: string; checkOut: string }
  | { kind: "orphan-booking"; booking: number; reason: string }
  | { kind: "orphan-suite"; suite: string; reason: string }
  | { kind: "missing-safety-net"; constraint: string }
  | { kind: "count-drift"; tier: string; what: string; counted: number; actual: number }
  | { kind: "stale-mark"; tier: string; night: string; mark: string; freeSuite: string };

export interface AuditReport {
  ok: boolean;
  checked: { bookings: number; suites: number; tiers: number };
  problems: Problem[];
}

const LIMIT = 1000;

export async function audit(prisma: PrismaClient, now = new Date()): Promise<AuditReport> {
  const from = formatDate(today(now));
  const problems: Problem[] = [];

  const overbooked = await prisma.$queryRaw<{ tier: string; night: Date; booked: number; capacity: number }[]>`
    WITH nights AS (
      SELECT b.tier_id, n::date AS night, count(*)::int AS booked
      FROM bookings b, generate_series(b.check_in, b.check_out - 1, interval '1 day') n
      WHERE b.status = 'confirmed'
      GROUP BY b.tier_id, n
    )
    SELECT t.name AS tier, nights.night, nights.booked,
           (SELECT count(*)::int FROM suites s WHERE s.tier_id = t.id AND s.active) AS capacity
    FROM nights JOIN tiers t ON t.id = nights.tier_id
    WHERE nights.booked > (SELECT count(*) FROM suites s WHERE s.tier_id = t.id AND s.active)
    ORDER BY t.name, nights.night LIMIT ${LIMIT}`;
  for (const row of overbooked) problems.push({ kind: "overbooked-night", tier: row.tier, night: formatDate(row.night), booked: row.booked, capacity: row.capacity });

  const doubles = await prisma.$queryRaw<{ suite: string; a: number; b: number; overlap: string }[]>`
    SELECT s.number AS suite, x.id AS a, y.id AS b,
           (daterange(x.check_in, x.check_out) * daterange(y.check_in, y.check_out))::text AS overlap
    FROM bookings x
    JOIN bookings y ON y.suite_id = x.suite_id AND y.id > x.id
                   AND daterange(x.check_in, x.check_out) && daterange(y.check_in, y.check_out)
    JOIN suites s ON s.id = x.suite_id
    WHERE x.status = 'confirmed' AND y.status = 'confirmed'
    ORDER BY s.number, x.id LIMIT ${LIMIT}`;
  for (const row of doubles) problems.push({ kind: "double-booked-suite", suite: row.suite, bookings: [row.a, row.b], overlap: row.overlap });

  const inactive = await prisma.$queryRaw<{ suite: string; id: number; check_in: Date; check_out: Date }[]>`
    SELECT s.number AS suite, b.id, b.check_in, b.check_out
    FROM bookings b JOIN suites s ON s.id = b.suite_id
    WHERE b.status = 'confirmed' AND NOT s.active AND b.check_out > ${from}::date
    ORDER BY s.number, b.check_in LIMIT ${LIMIT}`;
  for (const row of inactive) {
    problems.push({ kind: "booking-on-inactive-suite", suite: row.suite, booking: row.id, checkIn: formatDate(row.check_in), checkOut: formatDate(row.check_out) });
  }

  const orphanBookings = await prisma.$queryRaw<{ id: number; reason: string }[]>`
    SELECT b.id, CASE
             WHEN s.id IS NULL THEN 'its suite does not exist'
             WHEN t.id IS NULL THEN 'its tier does not exist'
             ELSE 'its tier differs from its suite''s tier' END AS reason
    FROM bookings b
    LEFT JOIN suites s ON s.id = b.suite_id
    LEFT JOIN tiers t ON t.id = b.tier_id
    WHERE s.id IS NULL OR t.id IS NULL OR s.tier_id <> b.tier_id
    ORDER BY b.id LIMIT ${LIMIT}`;
  for (const row of orphanBookings) problems.push({ kind: "orphan-booking", booking: row.id, reason: row.reason });

  const orphanSuites = await prisma.$queryRaw<{ number: string }[]>`
    SELECT s.number FROM suites s LEFT JOIN tiers t ON t.id = s.tier_id WHERE t.id IS NULL ORDER BY s.number LIMIT ${LIMIT}`;
  for (const row of orphanSuites) problems.push({ kind: "orphan-suite", suite: row.number, reason: "its tier does not exist" });

  // The counts behind hotel_book()'s fast refusal: a count above the truth
  // would refuse stays that fit.
  const nightDrift = await prisma.$queryRaw<{ tier: string; night: Date; counted: number; actual: number }[]>`
    WITH actual AS (
      SELECT b.tier_id, n::date AS night, count(*)::int AS booked
      FROM bookings b, generate_series(b.check_in, b.check_out - 1, interval '1 day') n
      WHERE b.status = 'confirmed'
      GROUP BY 1, 2
    )
    SELECT t.name AS tier, coalesce(a.night, c.night) AS night,
           coalesce(c.booked, 0) AS counted, coalesce(a.booked, 0) AS actual
    FROM actual a
    FULL JOIN tier_night_counts c ON c.tier_id = a.tier_id AND c.night = a.night
    JOIN tiers t ON t.id = coalesce(a.tier_id, c.tier_id)
    WHERE coalesce(a.booked, 0) <> coalesce(c.booked, 0)
    ORDER BY 1, 2 LIMIT ${LIMIT}`;
  for (const row of nightDrift) {
    problems.push({ kind: "count-drift", tier: row.tier, what: `bookings on ${formatDate(row.night)}`, counted: row.counted, actual: row.actual });
  }
  const suiteDrift = await prisma.$queryRaw<{ tier: string; what: string; counted: number; actual: number }[]>`
    WITH actual AS (
      SELECT tier_id, count(*) FILTER (WHERE active)::int AS active, count(*) FILTER (WHERE NOT active)::int AS inactive
      FROM suites GROUP BY 1
    )
    SELECT t.name AS tier, k.what, k.counted, k.actual
    FROM tiers t
    LEFT JOIN actual a ON a.tier_id = t.id
    LEFT JOIN tier_suite_counts c ON c.tier_id = t.id
    CROSS JOIN LATERAL (VALUES
      ('active suites', coalesce(c.active, 0), coalesce(a.active, 0)),
      ('inactive suites', coalesce(c.inactive, 0), coalesce(a.inactive, 0))) AS k (what, counted, actual)
    WHERE k.counted <> k.actual
    ORDER BY 1, 2 LIMIT ${LIMIT}`;
  for (const row of suiteDrift) problems.push({ kind: "count-drift", ...row });

  // A low-water mark claims every active suite up to it is booked that night;
  // one that hides a free suite would make hotel_book() refuse stays that fit.
  const staleMarks = await prisma.$queryRaw<{ tier: string; night: Date; mark: string; suite: string }[]>`
    SELECT t.name AS tier, n.night, n.low_water AS mark, s.number AS suite
    FROM tier_night_counts n
    JOIN tier_suite_counts c ON c.tier_id = n.tier_id AND c.generation = n.generation
    JOIN tiers t ON t.id = n.tier_id
    JOIN suites s ON s.tier_id = n.tier_id AND s.active AND s.number <= n.low_water
    WHERE n.low_water IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.suite_id = s.id AND b.status = 'confirmed' AND b.check_in <= n.night AND b.check_out > n.night)
    ORDER BY 1, 2, 4 LIMIT ${LIMIT}`;
  for (const row of staleMarks) {
    problems.push({ kind: "stale-mark", tier: row.tier, night: formatDate(row.night), mark: row.mark, freeSuite: row.suite });
  }

  const constraints = await prisma.$queryRaw<{ conname: string }[]>`
    SELECT conname FROM pg_constraint
    WHERE conrelid = to_regclass('bookings') AND conname IN ('bookings_no_double_booking', 'bookings_stay_check')`;
  for (const name of ["bookings_no_double_booking", "bookings_stay_check"]) {
    if (!constraints.some((row) => row.conname === name)) problems.push({ kind: "missing-safety-net", constraint: name });
  }

  const counts = await prisma.$queryRaw<{ bookings: number; suites: number; tiers: number }[]>`
    SELECT (SELECT count(*)::int FROM bookings) AS bookings, (SELECT count(*)::int FROM suites) AS suites,
           (SELECT count(*)::int FROM tiers) AS tiers`;
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
    case "orphan-suite":
      return `orphan: suite ${problem.suite}: ${problem.reason}`;
    case "count-drift":
      return `count drift: ${problem.tier}, ${problem.what}: counted ${problem.counted}, actually ${problem.actual} (bookings were written with triggers off?)`;
    case "stale-mark":
      return `stale mark: ${problem.tier} on ${problem.night} is marked booked up to ${problem.mark}, but suite ${problem.freeSuite} is free (clear it: UPDATE tier_night_counts SET low_water = NULL)`;
    case "missing-safety-net":
      return `schema: constraint ${problem.constraint} is missing (run \`hotel db status\`; the database no longer refuses double bookings)`;
  }
}
