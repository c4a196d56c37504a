import { TRANSITION_OUTCOME, type ChangeOutcome, type Transition, type TransitionOutcome } from "./booking.js";
import { formatDate, MAX_NIGHTS, parseDate, today } from "./dates.js";
import { HotelError, invalidInput } from "./errors.js";
import type { Hotel } from "./hotel.js";
import { propertyId } from "./properties.js";
import { bookingOf, callOperation, DEFAULT_LOCK_TIMEOUT_MS, isAttempted, previousOf, refusal, settleCommon, withRetries } from "./operation.js";
import type { OperationOptions, ResultRow } from "./operation.js";
import * as validate from "./validate.js";
import { parseCount } from "./validate.js";

/**
 * The front desk's operations on an existing booking: change, move, and the
 * status changes (confirm, checkin, checkout, noshow, cancel). Each is one
 * call of a booking function of the migrations (hotel_change, hotel_move,
 * hotel_transition), under the same night locks as a booking, so racing
 * operations never overbook, never double-book and never refuse while a
 * suite is free; a refused operation changes nothing.
 */

export interface ChangeRequest {
  /** New first night; alone it shifts the stay and keeps its length. */
  checkIn?: string;
  /** New check-out (exclusive), or: */
  checkOut?: string;
  nights?: string | number;
  idempotencyKey?: string;
}

export interface MoveRequest {
  /** That suite, in any tier, if it is active and free for the whole stay; or: */
  suite?: string;
  /** the lowest free suite of this tier. */
  tier?: string;
  idempotencyKey?: string;
}

export interface TransitionOptions extends OperationOptions {
  /** "Today" for checkin, checkout and noshow (YYYY-MM-DD); default: this machine's local date... */
  today?: string;
  /** ...at this instant. */
  now?: Date;
}

export async function change(hotel: Hotel, rawId: string | number, input: ChangeRequest, options: OperationOptions = {}): Promise<ChangeOutcome> {
  const id = parseBookingId(rawId);
  if (input.checkIn === undefined && input.checkOut === undefined && input.nights === undefined) {
    throw new HotelError("USAGE", "say what to change: --check-in, --check-out or --nights");
  }
  if (input.checkOut !== undefined && input.nights !== undefined) throw invalidInput("give either a check-out date or a number of nights, not both");
  const checkIn = input.checkIn === undefined ? null : formatDate(parseDate(input.checkIn, "check-in"));
  const checkOut = input.checkOut === undefined ? null : formatDate(parseDate(input.checkOut, "check-out"));
  const nights = input.nights === undefined ? null : parseCount(input.nights, "nights", 1, MAX_NIGHTS);
  if (checkIn !== null && checkOut !== null && checkOut <= checkIn) throw invalidInput(`check-out ${checkOut} must be after check-in ${checkIn}`);
  const key = validate.idempotencyKey(input.idempotencyKey);
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const property = await propertyId(hotel);
  const result = await withRetries(
    () => callOperation(hotel, "hotel_change", [property, id, checkIn, checkOut, nights, key ?? null, lockTimeoutMs, hotel.actor], ["int", "int", "date", "date", "int", "text", "int", "text"]),
    // New dates are absolute: repeating a change cannot double it.
    { ...options, repeatable: true, hasKey: key !== undefined },
  );
  if (!isAttempted(result)) return result;
  return settleChange("changed", hotel, id, result.value, result.attempts, {});
}

export async function move(hotel: Hotel, rawId: string | number, input: MoveRequest, options: OperationOptions = {}): Promise<ChangeOutcome> {
  const id = parseBookingId(rawId);
  if ((input.suite === undefined) === (input.tier === undefined)) throw new HotelError("USAGE", "give either --suite NUMBER or --tier TIER");
  const suite = input.suite === undefined ? null : validate.suiteNumber(input.suite);
  const tier = input.tier === undefined ? null : validate.tierName(input.tier);
  const key = validate.idempotencyKey(input.idempotencyKey);
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const property = await propertyId(hotel);
  const result = await withRetries(
    () => callOperation(hotel, "hotel_move", [property, id, suite, tier, key ?? null, lockTimeoutMs, hotel.actor], ["int", "int", "text", "text", "text", "int", "text"]),
    // To a named suite, a repeat finds the booking there; "the lowest free
    // suite of a tier" could move it again, so only a key makes that safe.
    { ...options, repeatable: suite !== null || key !== undefined, hasKey: key !== undefined },
  );
  if (!isAttempted(result)) return result;
  return settleChange("moved", hotel, id, result.value, result.attempts, { suite: suite ?? undefined, tier: tier ?? undefined });
}

function settleChange(outcome: "changed" | "moved", hotel: Hotel, id: number, row: ResultRow, attempts: number, names: { suite?: string; tier?: string }): ChangeOutcome {
  const common = settleCommon(row, attempts, { ...names, id, property: hotel.property });
  if (common) return common;
  switch (row.outcome) {
    case "refused":
      return refusal("NO_AVAILABILITY", row.message ?? "no suite is free for the whole stay", row, attempts);
    case "changed":
    case "unchanged":
    case "replayed":
      return {
        outcome,
        status: 200,
        changed: row.outcome !== "unchanged",
        replayed: row.outcome === "replayed",
        booking: bookingOf(row),
        previous: previousOf(row),
        lockWaitMs: row.lock_wait_ms,
        attempts,
      };
    default:
      throw new HotelError("INTERNAL", `hotel_${outcome === "changed" ? "change" : "move"}() answered "${row.outcome}"`);
  }
}

/** confirm, checkin, checkout, noshow or cancel; repeating one is safe (`changed: false`). */
export async function transition(hotel: Hotel, operation: Transition, rawId: string | number, options: TransitionOptions = {}): Promise<TransitionOutcome> {
  const id = parseBookingId(rawId);
  const day = options.today === undefined ? formatDate(today(options.now)) : formatDate(parseDate(options.today, "today"));
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const property = await propertyId(hotel);
  const result = await withRetries(
    () => callOperation(hotel, "hotel_transition", [property, id, operation, day, lockTimeoutMs, hotel.actor], ["int", "int", "text", "date", "int", "text"]),
    { ...options, repeatable: true, hasKey: false },
  );
  if (!isAttempted(result)) return result;
  const row = result.value;
  const common = settleCommon(row, result.attempts, { id, property: hotel.property });
  if (common) return common;
  if (row.outcome !== "changed" && row.outcome !== "unchanged") throw new HotelError("INTERNAL", `hotel_transition() answered "${row.outcome}"`);
  return { outcome: TRANSITION_OUTCOME[operation], status: 200, changed: row.outcome === "changed", booking: bookingOf(row), lockWaitMs: row.lock_wait_ms, attempts: result.attempts };
}

export const confirm = (hotel: Hotel, id: string | number, options?: TransitionOptions): Promise<TransitionOutcome> => transition(hotel, "confirm", id, options);
export const checkin = (hotel: Hotel, id: string | number, options?: TransitionOptions): Promise<TransitionOutcome> => transition(hotel, "checkin", id, options);
export const checkout = (hotel: Hotel, id: string | number, options?: TransitionOptions): Promise<TransitionOutcome> => transition(hotel, "checkout", id, options);
export const noshow = (hotel: Hotel, id: string | number, options?: TransitionOptions): Promise<TransitionOutcome> => transition(hotel, "noshow", id, options);
export const cancel = (hotel: Hotel, id: string | number, options?: TransitionOptions): Promise<TransitionOutcome> => transition(hotel, "cancel", id, options);

export function parseBookingId(raw: string | number): number {
  const text = String(raw).trim();
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2_147_483_647) {
    throw invalidInput(`Booking id must be a positive whole number, got "${text.slice(0, 40)}"`);
  }
  return Number(text);
}
