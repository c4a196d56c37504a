import { BOOKING_STATUSES, type BookingStatus, type BookingView } from "./booking.js";
import { formatDate, parseDate, resolveRange, today } from "./dates.js";
import { HotelError, notFound } from "./errors.js";
import { parseBookingId } from "./front-desk.js";
import type { Hotel } from "./hotel.js";
import { propertyId, requireTier } from "./properties.js";
import { rawQuery } from "./raw.js";
import { parseCount } from "./validate.js";
import * as validate from "./validate.js";
import { bookingView, bookingViewQuery, type BookingViewRow } from "./views.js";

/** Reading bookings: one by id, filtered lists, and the front desk's day lists. */

export async function getBooking(hotel: Hotel, rawId: string | number): Promise<BookingView> {
  const id = parseBookingId(rawId);
  await propertyId(hotel);
  const rows = await rawQuery<BookingViewRow>(hotel, `${bookingViewQuery(hotel)} AND b.id = $2`, hotel.property, id);
  const row = rows[0];
  if (!row) throw notFound(`No booking with id ${id}`);
  return bookingView(row);
}

export interface ListFilter {
  from?: string;
  to?: string;
  nights?: string;
  tier?: string;
  /** A status, or "all" (the default). */
  status?: string;
  /** Case-insensitive part of the guest's name. */
  guest?: string;
  limit?: string | number;
}

export const STATUS_FILTERS = [...BOOKING_STATUSES, "all"] as const;

/** Bookings whose stay overlaps [from, to), oldest check-in first. */
export async function listBookings(hotel: Hotel, filter: ListFilter = {}): Promise<BookingView[]> {
  const status = filter.status ?? "all";
  if (!(STATUS_FILTERS as readonly string[]).includes(status)) {
    throw new HotelError("INVALID_INPUT", `status must be one of ${STATUS_FILTERS.join(", ")}, got "${status.slice(0, 40)}"`);
  }
  const limit = parseCount(filter.limit ?? 1000, "limit", 1, 1_000_000);
  const tier = filter.tier === undefined ? null : validate.tierName(filter.tier);
  const guest = filter.guest === undefined ? null : validate.guestName(filter.guest);
  const hasRange = filter.from !== undefined || filter.to !== undefined || filter.nights !== undefined;
  const range = hasRange ? resolveRange(filter) : undefined;
  await propertyId(hotel);
  if (tier !== null) await requireTier(hotel, tier);
  const rows = await rawQuery<BookingViewRow>(
    hotel,
    `SELECT * FROM (${bookingViewQuery(hotel)}
         AND ($2::text IS NULL OR t.name = $2)
         AND ($3::date IS NULL OR (b.check_in < $4::date AND b.check_out > $3::date))
         AND ($5::text IS NULL OR b.guest_name ILIKE '%' || replace(replace(replace($5, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')) v
      WHERE $6::text = 'all' OR v.status = $6
      ORDER BY v.check_in, v.id LIMIT $7`,
    hotel.property,
    tier,
    range?.from ?? null,
    range?.to ?? null,
    guest,
    status,
    limit,
  );
  return rows.map(bookingView);
}

export const DAY_LISTS = ["arrivals", "departures", "inhouse"] as const;
export type DayList = (typeof DAY_LISTS)[number];

/** Which statuses and which day each list shows. */
const DAY_LIST_SQL: Record<DayList, { when: string; statuses: readonly BookingStatus[] }> = {
  // Guests due to arrive that day, and those who already have.
  arrivals: { when: "v.check_in = $2::date", statuses: ["held", "confirmed", "checked_in"] },
  // Guests due to leave that morning, and those who already have.
  departures: { when: "v.check_out = $2::date", statuses: ["confirmed", "checked_in", "checked_out"] },
  // Guests staying the night of that day.
  inhouse: { when: "v.check_in <= $2::date AND v.check_out > $2::date", statuses: ["confirmed", "checked_in", "checked_out"] },
};

export interface DayListResult {
  date: string;
  bookings: BookingView[];
}

/** `hotel arrivals|departures|inhouse [--date D]`, D defaulting to today (this machine's local date). */
export async function dayList(hotel: Hotel, list: DayList, date?: string, now = new Date()): Promise<DayListResult> {
  const day = date === undefined ? formatDate(today(now)) : formatDate(parseDate(date, "date"));
  const { when, statuses } = DAY_LIST_SQL[list];
  await propertyId(hotel);
  const rows = await rawQuery<BookingViewRow>(
    hotel,
    `SELECT * FROM (${bookingViewQuery(hotel)} AND b.check_in <= $2::date + 1 AND b.check_out >= $2::date) v
      WHERE ${when} AND v.status = ANY($3::text[])
      ORDER BY v.suite, v.id`,
    hotel.property,
    day,
    statuses,
  );
  return { date: day, bookings: rows.map(bookingView) };
}
