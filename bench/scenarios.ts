import type { BookingRequest } from "../src/core/booking.js";
import { addDays, formatDate, parseDate } from "../src/core/dates.js";

/**
 * What each measured phase asks the booking core to do. Every phase runs in
 * its own scratch schema with its own inventory, so phases never see each
 * other's bookings.
 */

export const CHECK_IN = "2031-03-01";
const FIRST_NIGHT = parseDate(CHECK_IN, "check-in");
/** The night every flash-sale request wants, as the advisory-lock key the core uses (epoch day). */
export const FLASH_NIGHT_KEY = Math.round(FIRST_NIGHT.getTime() / 86_400_000);

export type Shape = "flash" | "fits" | "overlapping" | "tiers";

export interface TierSpec {
  name: string;
  capacity: number;
}

export interface Scenario {
  /** Stable id used in the JSON: `flash-300@c10`. */
  id: string;
  shape: Shape;
  label: string;
  tiers: TierSpec[];
  /** Confirmed bookings already on the flash night of the first tier before the clock starts. */
  prefill: number;
  n: number;
  concurrency: number;
  maxSeconds: number;
  request(index: number): BookingRequest;
}

const night = (offset: number, nights = 1): Pick<BookingRequest, "checkIn" | "checkOut"> => ({
  checkIn: formatDate(addDays(FIRST_NIGHT, offset)),
  checkOut: formatDate(addDays(FIRST_NIGHT, offset + nights)),
});

export const guestOf = (index: number): string => `bench-${index}`;
export const indexOfGuest = (guest: string): number | undefined => {
  const match = /^bench-(\d+)$/.exec(guest);
  return match ? Number(match[1]) : undefined;
};

/** A fixed pseudo-random stream per request, so every strategy gets the same requests. */
function random(index: number, salt: number): number {
  let x = Math.imul(index ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 4_294_967_296;
}

interface ShapeOptions {
  n: number;
  suites: number;
  concurrency: number;
  maxSeconds: number;
  prefill?: number;
}

/** Every request wants the same night of one tier: each takes the same lock, `suites - prefill` win. */
export function flash(o: ShapeOptions): Scenario {
  const prefill = o.prefill ?? 0;
  const label = prefill > 0 ? `flash ${o.n} req, ${o.suites} suites (${prefill} pre-booked)` : `flash ${o.n} req, ${o.suites} suites`;
  return {
    id: `flash-${o.suites}${prefill > 0 ? `p${prefill}` : ""}@c${o.concurrency}`,
    shape: "flash",
    label,
    tiers: [{ name: "standard", capacity: o.suites }],
    prefill,
    n: o.n,
    concurrency: o.concurrency,
    maxSeconds: o.maxSeconds,
    request: (index) => ({ tier: "standard", guestName: guestOf(index), ...night(0) }),
  };
}

/** The same night for everyone, but a suite for each: every request is accepted. */
export function fits(o: ShapeOptions): Scenario {
  return { ...flash(o), id: `fits-${o.suites}@c${o.concurrency}`, shape: "fits", label: `fits ${o.n} req, ${o.suites} suites` };
}

export const OVERLAP_WINDOW_DAYS = 14;
export const OVERLAP_MAX_NIGHTS = 7;

/** Stays of 1-7 nights starting on any day of a 14-day window. */
export function overlapping(o: ShapeOptions): Scenario {
  return {
    ...flash(o),
    id: `overlap-${o.suites}@c${o.concurrency}`,
    shape: "overlapping",
    label: `overlapping 1-${OVERLAP_MAX_NIGHTS} nights, ${o.n} req, ${o.suites} suites`,
    request: (index) => ({
      tier: "standard",
      guestName: guestOf(index),
      ...night(Math.floor(random(index, 1) * OVERLAP_WINDOW_DAYS), 1 + Math.floor(random(index, 2) * OVERLAP_MAX_NIGHTS)),
    }),
  };
}

const TIER_NAMES = ["standard", "deluxe", "presidential"];

/** The same night in one of three tiers: three independent locks. */
export function tiers(o: ShapeOptions): Scenario {
  return {
    ...flash(o),
    id: `tiers-3x${o.suites}@c${o.concurrency}`,
    shape: "tiers",
    label: `3 tiers, ${o.n} req, ${o.suites} suites each`,
    tiers: TIER_NAMES.map((name) => ({ name, capacity: o.suites })),
    request: (index) => ({ tier: TIER_NAMES[Math.floor(random(index, 3) * TIER_NAMES.length)] as string, guestName: guestOf(index), ...night(0) }),
  };
}

/** Warm-up requests: a tier and nights no scenario uses. */
export const WARMUP_TIER = "warmup";
export const warmupRequest = (index: number): BookingRequest => ({ tier: WARMUP_TIER, guestName: `warmup-${index}`, ...night(400 + (index % 50)) });
