import type { BookingStatus, BookingView } from "./booking.js";
import { sqlName, type Hotel } from "./hotel.js";

/**
 * Reading bookings: one SELECT list and one mapping for every list and
 * lookup. A hold whose expires_at has passed is reported as `expired` from
 * that instant, whether or not an operation has marked it yet.
 */

export interface BookingViewRow {
  id: number;
  suite: string;
  tier: string;
  guest_name: string;
  check_in: Date;
  check_out: Date;
  status: BookingStatus;
  expires_at: Date | null;
}

/** `FROM ... WHERE p.name = $1` with bookings as b, suites s, tiers t: add conditions with AND. */
export function bookingViewQuery(hotel: Hotel): string {
  const table = (name: string): string => sqlName(hotel, name);
  return `SELECT b.id, s.number AS suite, t.name AS tier, b.guest_name, b.check_in, b.check_out,
                 CASE WHEN b.status = 'held' AND b.expires_at <= now() THEN 'expired' ELSE b.status END AS status,
                 b.expires_at
            FROM ${table("bookings")} b
            JOIN ${table("properties")} p ON p.id = b.property_id
            JOIN ${table("suites")} s ON s.property_id = b.property_id AND s.id = b.suite_id
            JOIN ${table("tiers")} t ON t.property_id = b.property_id AND t.id = b.tier_id
           WHERE p.name = $1`;
}

export function bookingView(row: BookingViewRow): BookingView {
  const holdLike = row.status === "held" || row.status === "expired";
  return {
    id: row.id,
    suite: row.suite,
    tier: row.tier,
    guest: row.guest_name,
    checkIn: formatDay(row.check_in),
    checkOut: formatDay(row.check_out),
    status: row.status,
    ...(holdLike && row.expires_at ? { expiresAt: row.expires_at.toISOString() } : {}),
  };
}

const formatDay = (date: Date): string => date.toISOString().slice(0, 10);

/** A calendar day as the Date Prisma expects for a `@db.Date` column. */
export const dateValue = (day: string): Date => new Date(`${day}T00:00:00Z`);
