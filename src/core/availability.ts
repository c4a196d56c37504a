import { resolveRange, type Range } from "./dates.js";
import { sqlName, type Hotel } from "./hotel.js";
import { rawQuery } from "./raw.js";
import { propertyId, requireTier } from "./properties.js";
import * as validate from "./validate.js";

export interface NightAvailability {
  date: string;
  /** Confirmed, checked-in and checked-out bookings that night. */
  booked: number;
  /** Holds that have not lapsed. */
  held: number;
  /** Active suites that nothing takes that night. */
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

interface Row {
  tier: string;
  capacity: number;
  night: Date;
  booked: number;
  held: number;
  free: number;
}

/**
 * Per tier and night: capacity, bookings, live holds and free suites, read
 * from the per-night counts the triggers keep (one key lookup per tier and
 * night however many bookings there are; `hotel check` proves the counts).
 * Two corrections are computed from the few rows they concern: holds that
 * lapsed but are not yet marked expired are free from their expiry on, and
 * bookings on disabled suites take no active suite.
 */
export async function availability(hotel: Hotel, input: { from?: string; to?: string; nights?: string | number; tier?: string } = {}): Promise<Availability> {
  const range = resolveRange(input);
  const tier = input.tier === undefined ? null : validate.tierName(input.tier);
  const property = await propertyId(hotel);
  if (tier !== null) await requireTier(hotel, tier);
  const t = (name: string): string => sqlName(hotel, name);
  const rows = await rawQuery<Row>(
    hotel,
    `WITH nights AS (
       SELECT d::date AS night FROM generate_series($2::date, $3::date - 1, interval '1 day') AS d
     ), tier_list AS (
       SELECT t.id, t.name, coalesce(c.active, 0) AS capacity
         FROM ${t("tiers")} t
         LEFT JOIN ${t("tier_suite_counts")} c ON c.property_id = t.property_id AND c.tier_id = t.id
        WHERE t.property_id = $1 AND ($4::text IS NULL OR t.name = $4)
     ), lapsed AS (
       SELECT b.tier_id, n.night, count(*)::int AS held
         FROM ${t("bookings")} b JOIN nights n ON b.check_in <= n.night AND b.check_out > n.night
        WHERE b.status = 'held' AND b.expires_at <= now() AND b.property_id = $1
        GROUP BY 1, 2
     ), on_inactive AS (
       SELECT b.tier_id, n.night,
              count(*) FILTER (WHERE b.status <> 'held')::int AS booked,
              count(*) FILTER (WHERE b.status = 'held' AND b.expires_at > now())::int AS held
         FROM ${t("suites")} s
         JOIN ${t("bookings")} b ON b.property_id = s.property_id AND b.suite_id = s.id
         JOIN nights n ON b.check_in <= n.night AND b.check_out > n.night
        WHERE s.property_id = $1 AND NOT s.active
          AND b.status IN ('held', 'confirmed', 'checked_in', 'checked_out')
        GROUP BY 1, 2
     )
     SELECT tl.name AS tier, tl.capacity, n.night,
            coalesce(c.booked, 0) AS booked,
            coalesce(c.held, 0) - coalesce(l.held, 0) AS held,
            greatest(0, tl.capacity - (coalesce(c.booked, 0) - coalesce(i.booked, 0))
                                    - (coalesce(c.held, 0) - coalesce(l.held, 0) - coalesce(i.held, 0))) AS free
       FROM tier_list tl
      CROSS JOIN nights n
       LEFT JOIN ${t("tier_night_counts")} c ON c.property_id = $1 AND c.tier_id = tl.id AND c.night = n.night
       LEFT JOIN lapsed l ON l.tier_id = tl.id AND l.night = n.night
       LEFT JOIN on_inactive i ON i.tier_id = tl.id AND i.night = n.night
      ORDER BY tl.name, n.night`,
    property,
    range.from,
    range.to,
    tier,
  );
  const tiers = new Map<string, TierAvailability>();
  for (const row of rows) {
    let entry = tiers.get(row.tier);
    if (!entry) {
      entry = { tier: row.tier, capacity: row.capacity, nights: [] };
      tiers.set(row.tier, entry);
    }
    entry.nights.push({ date: row.night.toISOString().slice(0, 10), booked: row.booked, held: row.held, free: row.free });
  }
  return { ...range, tiers: [...tiers.values()] };
}
