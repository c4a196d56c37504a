import type { BookingRequest, Transition } from "../core/booking.js";
import { addDays, formatDate, parseDate } from "../core/dates.js";
import { FRONT_DESK_LAST_NIGHT, HOLDS_LAST_NIGHT, mixedOperationAt } from "./mixed-scenarios.js";
import { below, streamFor } from "./random.js";

/**
 * What the requests of a run ask for. Request i is recomputed from
 * (seed, i) wherever it is needed (a worker process, the oracle), so nothing
 * per request is stored.
 *
 * Scenarios that only book: same-dates, overlapping, mixed-tiers (below).
 * Scenarios that mix operations (mixed-scenarios.ts):
 * - front-desk: book, hold, confirm, change, move, cancel, checkin, checkout
 *   and noshow over a week of nights in a few tiers;
 * - holds: holds with ttls of a few seconds (some confirmed, most left to
 *   lapse) racing bookings for the same few nights.
 * An operation on a booking draws a `pick` here; the process that sends it
 * turns the pick into the id of a booking it made earlier (mixed-session.ts),
 * so a run is repeatable given the seed up to the order requests finish in.
 *
 * To add an operation or a scenario:
 *   1. add the operation to `StressOperation` below (and `BookingAction`
 *      with what the target needs once its booking is known);
 *   2. give `StressTarget` (targets.ts, http-target.ts) the call, for the
 *      core and for HTTP, and map its answer in `perform()`;
 *   3. the refusals of a mixed scenario are judged from the event log by
 *      timeline-oracle.ts (add the operation to `JudgedOperation` and say
 *      which states allow it); the invariants from the final rows and
 *      `hotel check` (mixed-oracle.ts); `operationAt` decides the mix.
 * The load driver, the statistics, --out and --html need no change: they
 * see operations only by name.
 */

export const SCENARIOS = ["same-dates", "overlapping", "mixed-tiers", "front-desk", "holds"] as const;
/** The scenarios that do more than book: judged from the event log, never run against --url. */
export const MIXED_SCENARIOS: readonly StressScenario[] = ["front-desk", "holds"];
export const isMixedScenario = (scenario: StressScenario): boolean => MIXED_SCENARIOS.includes(scenario);
export type StressScenario = (typeof SCENARIOS)[number];

/** Overlapping stays start on one of this many days from the check-in... */
export const OVERLAP_WINDOW_DAYS = 14;
/** ...and last 1 to this many nights. */
export const OVERLAP_MAX_NIGHTS = 7;
/** mixed-tiers books this many tiers, each with `capacity` suites. */
export const MIXED_TIER_COUNT = 3;
const MIXED_TIER_NAMES = ["standard", "deluxe", "presidential", "suite", "family"];

export interface TierPlan {
  name: string;
  /** Suites are numbered `<prefix>0001`...; prefixes differ between tiers. */
  prefix: string;
  capacity: number;
}

/** What a scenario's requests depend on. */
export interface RequestPlan {
  scenario: StressScenario;
  tiers: TierPlan[];
  checkIn: string;
  /** Nights per stay for same-dates and mixed-tiers. */
  nights: number;
  seed: number;
  /** Guest names are `<guestPrefix><index>`: how a row maps back to its request. */
  guestPrefix?: string;
}

export type OperationName = StressOperation["operation"];
/** What an operation on an existing booking asks, once its booking is known. */
export type BookingAction =
  | { operation: "change"; bookingId: number; checkIn: string; checkOut: string }
  | { operation: "move"; bookingId: number; tier?: string; suite?: string }
  | { operation: Transition; bookingId: number; today: string };
/**
 * One request of a run as planned from (seed, index). An operation on a
 * booking carries `pick`, a draw that chooses among the bookings accepted
 * so far; a transition's day is its booking's check-in plus `dayOffset`.
 */
export type StressOperation =
  | { operation: "book"; request: BookingRequest }
  | { operation: "hold"; request: BookingRequest; ttlSeconds: number }
  | { operation: "change"; pick: number; checkIn: string; checkOut: string }
  | { operation: "move"; pick: number; tier?: string; suite?: string }
  | { operation: Transition; pick: number; dayOffset: number };
/** What a target is asked to do: a booking, a hold, or an action on a known booking. */
export type ResolvedOperation = Extract<StressOperation, { request: BookingRequest }> | BookingAction;

export const DEFAULT_GUEST_PREFIX = "stress-";

/** The guest name of request i: how a booking row maps back to its request. */
export const guestNameOf = (index: number, prefix = DEFAULT_GUEST_PREFIX): string => `${prefix}${index}`;

export function requestIndexOf(guestName: string, prefix = DEFAULT_GUEST_PREFIX): number | undefined {
  if (!guestName.startsWith(prefix)) return undefined;
  const rest = guestName.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

/** Request i of a run. */
export function operationAt(plan: RequestPlan, index: number): StressOperation {
  if (isMixedScenario(plan.scenario)) return mixedOperationAt(plan, index);
  return { operation: "book", request: requestAt(plan, index) };
}

/**
 * The booking request i of a run:
 * - same-dates: every request the same stay in the first tier (the seed's case);
 * - overlapping: 1-7 nights starting on a random day of a 14-day window;
 * - mixed-tiers: the same stay in a random tier.
 */
export function requestAt(plan: RequestPlan, index: number): BookingRequest {
  const first = firstNightOf(plan.checkIn);
  const next = streamFor(plan.seed, index);
  let tier = plan.tiers[0] as TierPlan;
  let start = 0;
  let nights = plan.nights;
  if (plan.scenario === "overlapping") {
    start = below(next, OVERLAP_WINDOW_DAYS);
    nights = 1 + below(next, OVERLAP_MAX_NIGHTS);
  } else if (plan.scenario === "mixed-tiers") {
    tier = plan.tiers[below(next, plan.tiers.length)] as TierPlan;
  }
  return {
    tier: tier.name,
    guestName: guestNameOf(index, plan.guestPrefix),
    checkIn: formatDate(addDays(first, start)),
    checkOut: formatDate(addDays(first, start + nights)),
  };
}

let firstNight: { checkIn: string; date: Date } | undefined;
/** The check-in as a date, parsed once per run rather than once per request. */
export function firstNightOf(checkIn: string): Date {
  if (firstNight?.checkIn !== checkIn) firstNight = { checkIn, date: parseDate(checkIn, "check-in") };
  return firstNight.date;
}

/** The last night (days after the check-in) a scenario's stays can reach. */
export function lastNightOf(scenario: StressScenario, nights: number): number {
  if (scenario === "overlapping") return OVERLAP_WINDOW_DAYS - 1 + OVERLAP_MAX_NIGHTS;
  if (scenario === "front-desk") return FRONT_DESK_LAST_NIGHT;
  return scenario === "holds" ? HOLDS_LAST_NIGHT : nights;
}

/** The tiers a scenario books: `--tier` first, then other names for mixed-tiers and front-desk. */
export function tierPlans(scenario: StressScenario, tier: string, capacity: number): TierPlan[] {
  const several = scenario === "mixed-tiers" || scenario === "front-desk";
  const names = several ? [tier, ...MIXED_TIER_NAMES.filter((name) => name !== tier)].slice(0, MIXED_TIER_COUNT) : [tier];
  const used = new Set<string>();
  return names.map((name, index) => {
    const letters = name.replace(/[^A-Za-z]/g, "").slice(0, 3).toUpperCase() || "T";
    let prefix = letters;
    if (used.has(prefix)) prefix = `${letters}${index + 1}-`;
    used.add(prefix);
    return { name, prefix, capacity };
  });
}

/** Suite number j (0-based) of a scratch tier: `STA0001`. */
export const scratchSuiteNumber = (tier: TierPlan, j: number): string => `${tier.prefix}${String(j + 1).padStart(Math.max(4, String(tier.capacity).length), "0")}`;

/**
 * Warm-up requests book a tier of their own on nights after the scenario's,
 * before the clock starts: connections opened, plans cached, code compiled.
 * The oracle never sees that tier.
 */
export const WARM_UP_TIER = "stress-warm-up";
export const WARM_UP_NIGHTS = 50;
/** Days after the check-in where the warm-up nights begin. */
export const WARM_UP_OFFSET_DAYS = 400;
export const warmUpSuitesFor = (requests: number): number => Math.ceil(requests / WARM_UP_NIGHTS) + 1;

export function warmUpRequest(checkIn: string, k: number): BookingRequest {
  const night = addDays(parseDate(checkIn, "check-in"), WARM_UP_OFFSET_DAYS + (k % WARM_UP_NIGHTS));
  return { tier: WARM_UP_TIER, guestName: `warm-up-${k}`, checkIn: formatDate(night), checkOut: formatDate(addDays(night, 1)) };
}
