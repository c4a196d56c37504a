import type { ChalkInstance } from "chalk";
import type { BookingView } from "../core/booking.js";
import { daysBetween, parseDate } from "../core/dates.js";
import { printable } from "../core/text.js";
import { table } from "./table.js";

export function bookingLine(booking: BookingView, color: ChalkInstance): string {
  const nights = daysBetween(parseDate(booking.checkIn, "check-in"), parseDate(booking.checkOut, "check-out"));
  const status = booking.status === "confirmed" ? color.green(booking.status) : color.yellow(booking.status);
  return `#${booking.id} suite ${color.bold(booking.suite)} (${printable(booking.tier)}) for ${printable(booking.guest)}, ${booking.checkIn} to ${booking.checkOut} (${nights} night${nights === 1 ? "" : "s"}), ${status}`;
}

export function bookingsTable(bookings: BookingView[]): string {
  if (bookings.length === 0) return "No bookings match.";
  return table(
    ["ID", "SUITE", "TIER", "GUEST", "CHECK-IN", "CHECK-OUT", "STATUS"],
    bookings.map((b) => [b.id, b.suite, b.tier, b.guest, b.checkIn, b.checkOut, b.status]),
  );
}
