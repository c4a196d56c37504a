import type { BookingOutcome, BookingRequest, HoldRequest } from "./booking.js";
import { resolveStay } from "./dates.js";
import { HotelError, invalidInput } from "./errors.js";
import type { Hotel } from "./hotel.js";
import { propertyId } from "./properties.js";
import { attemptInteractive } from "./book-interactive.js";
import {
  bookingOf,
  callOperation,
  isAttempted,
  refusal,
  settleCommon,
  withRetries,
  DEFAULT_LOCK_TIMEOUT_MS,
  type OperationOptions,
  type ResultRow,
} from "./operation.js";
import * as validate from "./validate.js";

/**
 * The booking core. Every path that books or holds (`hotel book`, `hotel
 * hold`, `hotel stress`, `hotel serve`) calls book() or hold(); the
 * transaction is hotel_book() from the migrations: READ COMMITTED,
 * lock_timeout, one advisory lock per (tier, night) in ascending order, the
 * lowest-numbered free active suite, insert. Two forms must agree:
 *   - "locked": hotel_book() in one round trip (the default);
 *   - "interactive": the same steps as a Prisma interactive transaction,
 *     one round trip per statement (kept to be measured beside it).
 */

export { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_ATTEMPTS } from "./operation.js";

export const BOOKING_STRATEGIES = ["locked", "interactive"] as const;
export type BookingStrategy = (typeof BOOKING_STRATEGIES)[number];

export interface BookOptions extends OperationOptions {
  strategy?: BookingStrategy;
}

/** A hold keeps its suite for 1 s to 24 h. */
export const HOLD_TTL_SECONDS = { min: 1, max: 86_400, default: 900 } as const;

/** Validates a request and books it; returns an outcome or throws a HotelError. */
export async function book(hotel: Hotel, input: BookingRequest, options: BookOptions = {}): Promise<BookingOutcome> {
  return reserve(hotel, normalise(input), null, options);
}

/** Holds the lowest free suite until the database's clock passes now + ttl; confirm() makes it a booking. */
export async function hold(hotel: Hotel, input: HoldRequest, options: BookOptions = {}): Promise<BookingOutcome> {
  const ttl = input.ttlSeconds;
  if (!Number.isInteger(ttl) || ttl < HOLD_TTL_SECONDS.min || ttl > HOLD_TTL_SECONDS.max) {
    throw invalidInput(`a hold lasts 1 s to 24 h (1-86400 seconds), got ${String(ttl)}`);
  }
  return reserve(hotel, normalise(input), ttl, options);
}

async function reserve(hotel: Hotel, request: BookingRequest, ttlSeconds: number | null, options: BookOptions): Promise<BookingOutcome> {
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const property = await propertyId(hotel);
  const attempt =
    options.strategy === "interactive"
      ? () => attemptInteractive(hotel, property, request, ttlSeconds, lockTimeoutMs)
      : () =>
          callOperation(
            hotel,
            "hotel_book",
            [property, request.tier, request.guestName, request.checkIn, request.checkOut, request.idempotencyKey ?? null, lockTimeoutMs, ttlSeconds, hotel.actor],
            ["int", "text", "text", "date", "date", "text", "int", "int", "text"],
          );
  const result = await withRetries(attempt, { ...options, repeatable: request.idempotencyKey !== undefined, hasKey: request.idempotencyKey !== undefined });
  if (!isAttempted(result)) return result;
  return settle(hotel, request, result.value, result.attempts);
}

function normalise(input: BookingRequest): BookingRequest {
  const stay = resolveStay({ checkIn: input.checkIn, checkOut: input.checkOut });
  return {
    tier: validate.tierName(input.tier),
    guestName: validate.guestName(input.guestName),
    checkIn: stay.checkIn,
    checkOut: stay.checkOut,
    idempotencyKey: validate.idempotencyKey(input.idempotencyKey),
  };
}

function settle(hotel: Hotel, request: BookingRequest, row: ResultRow, attempts: number): BookingOutcome {
  const common = settleCommon(row, attempts, { tier: request.tier, property: hotel.property });
  if (common) return common;
  switch (row.outcome) {
    case "refused":
      return refusal("NO_AVAILABILITY", `No ${request.tier} suite is free for every night from ${request.checkIn} to ${request.checkOut}`, row, attempts);
    case "accepted":
    case "replayed": {
      const booking = bookingOf(row);
      if (row.outcome === "replayed") assertSameRequest(request, booking);
      return { outcome: "accepted", status: 201, booking, replayed: row.outcome === "replayed", lockWaitMs: row.lock_wait_ms, attempts };
    }
    default:
      throw new HotelError("INTERNAL", `hotel_book() answered "${row.outcome}"`);
  }
}

function assertSameRequest(request: BookingRequest, booking: ReturnType<typeof bookingOf>): void {
  const differences = (
    [
      ["tier", request.tier, booking.tier],
      ["guest", request.guestName, booking.guest],
      ["check-in", request.checkIn, booking.checkIn],
      ["check-out", request.checkOut, booking.checkOut],
    ] as const
  ).filter(([, asked, stored]) => asked !== stored);
  if (differences.length > 0) {
    const what = differences.map(([field, asked, stored]) => `${field} ${asked} (was ${stored})`).join(", ");
    throw new HotelError(
      "IDEMPOTENCY_MISMATCH",
      `Idempotency key "${request.idempotencyKey}" was already used for booking ${booking.id} with other details: ${what}; use a new key`,
      { details: { booking } },
    );
  }
}
