import type { BookingRequest } from "../core/booking.js";
import { addDays, formatDate } from "../core/dates.js";
import { below, streamFor } from "./random.js";
import { firstNightOf, guestNameOf, scratchSuiteNumber, type RequestPlan, type StressOperation, type TierPlan } from "./scenarios.js";

/**
 * The plans of the scenarios that mix operations, request i from (seed, i)
 * like every scenario (see scenarios.ts):
 * - front-desk: stays of 1-3 nights starting in a week of nights, in every
 *   tier; each request one of book, hold, confirm, change, move, cancel,
 *   checkin, checkout or noshow, by the weights below;
 * - holds: one tier, stays of 1-2 nights starting on one of 3 days; holds
 *   of 1-2 s, most left to lapse, racing bookings; confirms of recent holds
 *   and cancels of any booking, which free suites again.
 */

/** front-desk stays start on one of this many days... */
export const FRONT_DESK_DAYS = 7;
/** ...and last 1 to this many nights. */
export const FRONT_DESK_MAX_NIGHTS = 3;
export const FRONT_DESK_LAST_NIGHT = FRONT_DESK_DAYS - 1 + FRONT_DESK_MAX_NIGHTS;
/** front-desk holds last 2 to 5 s: a short run ends with some of them lapsed. */
const FRONT_DESK_TTL = { min: 2, spread: 4 };

export const HOLDS_DAYS = 3;
export const HOLDS_MAX_NIGHTS = 2;
export const HOLDS_LAST_NIGHT = HOLDS_DAYS - 1 + HOLDS_MAX_NIGHTS;
/** holds last 1 or 2 s (the core's shortest is 1 s). */
const HOLDS_TTL = { min: 1, spread: 2 };

type Kind = StressOperation["operation"];

/** Weights of each operation, out of their sum. */
const FRONT_DESK_MIX: readonly [Kind, number][] = [
  ["book", 30],
  ["hold", 8],
  ["confirm", 8],
  ["change", 10],
  ["move", 8],
  ["cancel", 8],
  ["checkin", 12],
  ["checkout", 8],
  ["noshow", 8],
];
/** Cancels free suites again, so that the few nights never stay full and holds keep racing bookings. */
const HOLDS_MIX: readonly [Kind, number][] = [
  ["hold", 70],
  ["book", 10],
  ["confirm", 10],
  ["cancel", 10],
];

function drawKind(next: () => number, mix: readonly [Kind, number][]): Kind {
  const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
  let draw = below(next, total);
  for (const [kind, weight] of mix) {
    if (draw < weight) return kind;
    draw -= weight;
  }
  return "book";
}

interface Window {
  days: number;
  maxNights: number;
}

const windowOf = (plan: RequestPlan): Window =>
  plan.scenario === "holds" ? { days: HOLDS_DAYS, maxNights: HOLDS_MAX_NIGHTS } : { days: FRONT_DESK_DAYS, maxNights: FRONT_DESK_MAX_NIGHTS };

function stayIn(plan: RequestPlan, next: () => number, window: Window): { checkIn: string; checkOut: string } {
  const first = firstNightOf(plan.checkIn);
  const start = below(next, window.days);
  const nights = 1 + below(next, window.maxNights);
  return { checkIn: formatDate(addDays(first, start)), checkOut: formatDate(addDays(first, start + nights)) };
}

function requestIn(plan: RequestPlan, index: number, next: () => number, window: Window): BookingRequest {
  const tier = plan.tiers[below(next, plan.tiers.length)] as TierPlan;
  return { tier: tier.name, guestName: guestNameOf(index, plan.guestPrefix), ...stayIn(plan, next, window) };
}

/** Request i of a front-desk or holds run. */
export function mixedOperationAt(plan: RequestPlan, index: number): StressOperation {
  const next = streamFor(plan.seed, index);
  const holds = plan.scenario === "holds";
  const window = windowOf(plan);
  const kind = drawKind(next, holds ? HOLDS_MIX : FRONT_DESK_MIX);
  // Every draw below comes after the kind's, so each kind reads its own fields.
  const pick = Math.floor(next() * 2 ** 32);
  switch (kind) {
    case "book":
      return { operation: "book", request: requestIn(plan, index, next, window) };
    case "hold": {
      const ttl = holds ? HOLDS_TTL : FRONT_DESK_TTL;
      return { operation: "hold", request: requestIn(plan, index, next, window), ttlSeconds: ttl.min + below(next, ttl.spread) };
    }
    case "change":
      return { operation: "change", pick, ...stayIn(plan, next, window) };
    case "move": {
      const tier = plan.tiers[below(next, plan.tiers.length)] as TierPlan;
      // One move in four names a suite (of any tier); the others ask for a tier's lowest free suite.
      return below(next, 4) === 0 ? { operation: "move", pick, suite: scratchSuiteNumber(tier, below(next, tier.capacity)) } : { operation: "move", pick, tier: tier.name };
    }
    default:
      // From the day before the check-in to the check-out: early, on time, late and too late.
      return { operation: kind, pick, dayOffset: below(next, FRONT_DESK_MAX_NIGHTS + 2) - 1 };
  }
}

/** The booking an operation sends instead when its process has made no booking yet to act on. */
export function fallbackBookingAt(plan: RequestPlan, index: number): StressOperation & { operation: "book" } {
  return { operation: "book", request: requestIn(plan, index, streamFor(plan.seed, index), windowOf(plan)) };
}
