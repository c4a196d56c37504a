import type { BookingView } from "./booking.js";
import { formatDate } from "./dates.js";

/** The Prisma include that gives a booking row everything BookingView needs. */
export const BOOKING_INCLUDE = {
  suite: { select: { number: true } },
  tier: { select: { name: true } },
} as const;

export interface BookingRow {
  id: number;
  guestName: string;
  checkIn: Date;
  checkOut: Date;
  status: string;
  suite: { number: string };
  tier: { name: string };
}

export function bookingView(row: BookingRow): BookingView {
  return {
    id: row.id,
    suite: row.suite.number,
    tier: row.tier.name,
    guest: row.guestName,
    checkIn: formatDate(row.checkIn),
    checkOut: formatDate(row.checkOut),
    status: row.status === "cancelled" ? "cancelled" : "confirmed",
  };
}

/** A calendar day as the Date Prisma expects for a `@db.Date` column. */
export const dateValue = (day: string): Date => new Date(`${day}T00:00:00Z`);
