import type { PrismaClient } from "../generated/prisma/client.js";
import { addDays, daysBetween, formatDate, parseCount, parseDate, today } from "./dates.js";
import { invalidInput, notFound } from "./errors.js";
import * as validate from "./validate.js";

export const MAX_RANGE_NIGHTS = 366;
export const DEFAULT_RANGE_NIGHTS = 7;

export interface Range {
  from: string;
  /** Exclusive. */
  to: string;
}

export interface NightAvailability {
  date: string;
  booked: number;
  free: number;
}

export interface TierAvailability {
  tier: string;
  /** Active suites now. */
  capacity: number;
  nights: NightAvailability[];
}

export interface Availability extends Range {
  tiers: TierAvailability[];
}

/** `--from` (default today) with `--to` (exclusive) or `--nights` (default 7). */
export function resolveRange(input: { from?: string; to?: string; nights?: string | number }, now = new Date()): Range {
  const from = input.from === undefined ? today(now) : parseDate(input.from, "from");
  if (input.to !== undefined && input.nights !== undefined) throw invalidInput("give either --to or --nights, not both");
  const to =
    input.to !== undefined
      ? parseDate(input.to, "to")
      : addDays(from, parseCount(input.nights ?? DEFAULT_RANGE_NIGHTS, "nights", 1, MAX_RANGE_NIGHTS));
  const nights = daysBetween(from, to);
  if (nights < 1) throw invalidInput(`--to ${formatDate(to)} must be after --from ${formatDate(from)} (--to is exclusive)`);
  if (nights > MAX_RANGE_NIGHTS) throw invalidInput(`a range is at most ${MAX_RANGE_NIGHTS} nights, this one is ${nights}`);
  return { from: formatDate(from), to: formatDate(to) };
}

interface Row {
  tier: string;
  capacity: number;
  night: Date;
  booked: number;
  free: number;
}

/**
 * Per tier and night: capacity (active suites), confirmed bookings, and how
 * many active suites are free that night. One query, computed in PostgreSQL.
 */
export async function availability(
  prisma: PrismaClient,
  input: { from?: string; to?: string; nights?: string | number; tier?: string } = {},
): Promise<Availability> {
  const range = resolveRange(input);
  const tier = input.tier === undefined ? null : validate.tierName(input.tier);
  if (tier !== null && !(await prisma.tier.findUnique({ where: { name: tier } }))) {
    throw notFound(`Unknown tier "${tier}": see \`hotel suites list\` for the tiers`);
  }
  const rows = await prisma.$queryRaw<Row[]>`
    WITH nights AS (
      SELECT d::date AS night
      FROM generate_series(${range.from}::date, ${range.to}::date - 1, interval '1 day') AS d
    ), capacity AS (
      SELECT t.id, t.name, count(s.id) FILTER (WHERE s.active)::int AS capacity
      FROM tiers t LEFT JOIN suites s ON s.tier_id = t.id
      WHERE ${tier}::text IS NULL OR t.name = ${tier}::text
      GROUP BY t.id, t.name
    )
    SELECT c.name AS tier, c.capacity, n.night,
           count(b.id)::int AS booked,
           (c.capacity - count(b.id) FILTER (WHERE s.active))::int AS free
    FROM capacity c
    CROSS JOIN nights n
    LEFT JOIN bookings b ON b.tier_id = c.id AND b.status = 'confirmed'
                        AND b.check_in <= n.night AND b.check_out > n.night
    LEFT JOIN suites s ON s.id = b.suite_id
    GROUP BY c.id, c.name, c.capacity, n.night
    ORDER BY c.name, n.night`;
  const tiers = new Map<string, TierAvailability>();
  for (const row of rows) {
    let entry = tiers.get(row.tier);
    if (!entry) {
      entry = { tier: row.tier, capacity: row.capacity, nights: [] };
      tiers.set(row.tier, entry);
    }
    entry.nights.push({ date: formatDate(row.night), booked: row.booked, free: Math.max(0, row.free) });
  }
  return { ...range, tiers: [...tiers.values()] };
}
