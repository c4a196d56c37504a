import type { PrismaClient } from "../generated/prisma/client.js";
import type { BookingView } from "./booking.js";
import { HotelError, notFound } from "./errors.js";
import { parseCount } from "./dates.js";
import { BOOKING_INCLUDE, bookingView, dateValue } from "./views.js";
import { resolveRange } from "./availability.js";
import * as validate from "./validate.js";

export interface CancelResult {
  booking: BookingView;
  /** False when the booking was already cancelled: cancelling is idempotent. */
  changed: boolean;
}

/** Cancels a booking; its suite is free for those nights as soon as this commits. */
export async function cancel(prisma: PrismaClient, rawId: string | number): Promise<CancelResult> {
  const id = parseBookingId(rawId);
  const updated = await prisma.booking.updateManyAndReturn({
    where: { id, status: "confirmed" },
    data: { status: "cancelled", cancelledAt: new Date() },
    include: BOOKING_INCLUDE,
  });
  if (updated[0]) return { booking: bookingView(updated[0]), changed: true };
  const existing = await prisma.booking.findUnique({ where: { id }, include: BOOKING_INCLUDE });
  if (!existing) throw notFound(`No booking with id ${id}`);
  return { booking: bookingView(existing), changed: false };
}

export function parseBookingId(raw: string | number): number {
  const text = String(raw).trim();
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2_147_483_647) {
    throw new HotelError("INVALID_INPUT", `Booking id must be a positive whole number, got "${text.slice(0, 40)}"`);
  }
  return Number(text);
}

export async function getBooking(prisma: PrismaClient, rawId: string | number): Promise<BookingView> {
  const id = parseBookingId(rawId);
  const found = await prisma.booking.findUnique({ where: { id }, include: BOOKING_INCLUDE });
  if (!found) throw notFound(`No booking with id ${id}`);
  return bookingView(found);
}

export interface ListFilter {
  from?: string;
  to?: string;
  nights?: string;
  tier?: string;
  status?: string;
  limit?: string | number;
}

/** Bookings whose stay overlaps [from, to), oldest check-in first. */
export async function listBookings(prisma: PrismaClient, filter: ListFilter = {}): Promise<BookingView[]> {
  const status = filter.status ?? "all";
  if (!["confirmed", "cancelled", "all"].includes(status)) {
    throw new HotelError("INVALID_INPUT", `status must be confirmed, cancelled or all, got "${status.slice(0, 40)}"`);
  }
  const limit = parseCount(filter.limit ?? 1000, "limit", 1, 1_000_000);
  const tier = filter.tier === undefined ? undefined : validate.tierName(filter.tier);
  if (tier !== undefined && !(await prisma.tier.findUnique({ where: { name: tier } }))) {
    throw notFound(`Unknown tier "${tier}"`);
  }
  const hasRange = filter.from !== undefined || filter.to !== undefined || filter.nights !== undefined;
  const range = hasRange ? resolveRange(filter) : undefined;
  const rows = await prisma.booking.findMany({
    where: {
      ...(status === "all" ? {} : { status }),
      ...(tier === undefined ? {} : { tier: { name: tier } }),
      ...(range ? { checkIn: { lt: dateValue(range.to) }, checkOut: { gt: dateValue(range.from) } } : {}),
    },
    include: BOOKING_INCLUDE,
    orderBy: [{ checkIn: "asc" }, { id: "asc" }],
    take: limit,
  });
  return rows.map(bookingView);
}
