import { setTimeout as sleep } from "node:timers/promises";
import { type BookingView, type Busy, MESSAGES, type PreviousStay, type Refused, type RefusalCode } from "./booking.js";
import { HotelError, notFound } from "./errors.js";
import { sqlName, type Hotel } from "./hotel.js";
import { rawQuery } from "./raw.js";
import { isConnectionLost, isRetryableConflict, isTimeout, isUnreachable, SQLSTATE, sqlStateOf, toHotelError } from "./sqlstate.js";

/**
 * What every write shares: calling one of the booking functions of the
 * migrations (one round trip, one transaction), the retry policy, and the
 * decoding of the "hotel_result" row they all return.
 */

export interface OperationOptions {
  /** Longest wait for one night lock before the operation gives up as busy (503). */
  lockTimeoutMs?: number;
  /** Attempts for serialization failures, deadlocks and exclusion conflicts. */
  maxAttempts?: number;
  /** Called before each retry, for debug logging. */
  onRetry?: (attempt: number, sqlState: string | undefined, delayMs: number) => void;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_ATTEMPTS = 4;

/** The "hotel_result" row of the migrations. */
export interface ResultRow {
  outcome: string;
  message: string | null;
  id: number | null;
  suite: string | null;
  tier: string | null;
  guest_name: string | null;
  check_in: Date | null;
  check_out: Date | null;
  status: BookingView["status"] | null;
  expires_at: Date | null;
  previous_suite: string | null;
  previous_tier: string | null;
  previous_check_in: Date | null;
  previous_check_out: Date | null;
  lock_wait_ms: number;
}

const day = (date: Date | null): string => (date ? date.toISOString().slice(0, 10) : "");

export function bookingOf(row: ResultRow): BookingView {
  return {
    id: row.id ?? 0,
    suite: row.suite ?? "",
    tier: row.tier ?? "",
    guest: row.guest_name ?? "",
    checkIn: day(row.check_in),
    checkOut: day(row.check_out),
    status: row.status ?? "confirmed",
    ...(row.expires_at ? { expiresAt: row.expires_at.toISOString() } : {}),
  };
}

export function previousOf(row: ResultRow): PreviousStay {
  return { suite: row.previous_suite ?? "", tier: row.previous_tier ?? "", checkIn: day(row.previous_check_in), checkOut: day(row.previous_check_out) };
}

/** Calls `name(...params)` from the migrations and returns its one row. */
export async function callOperation(hotel: Hotel, name: string, params: unknown[], casts: string[]): Promise<ResultRow> {
  const args = casts.map((cast, i) => `$${i + 1}::${cast}`).join(", ");
  const [row] = await rawQuery<ResultRow>(hotel, `SELECT * FROM ${sqlName(hotel, name)}(${args})`, ...params);
  if (!row) throw new HotelError("INTERNAL", `${name}() returned no row`);
  return row;
}

export interface Attempted<T> {
  value: T;
  attempts: number;
}

/**
 * Runs `attempt` with the retry policy of every write:
 * - a lock wait or statement that ran out of time: busy (503), nothing written;
 * - a lost race (40001 serialization failure, 40P01 deadlock, 23P01
 *   exclusion conflict) or, with an idempotency key, a duplicate key
 *   (23505): retried with jittered backoff, then refused as CONFLICT;
 * - a connection lost mid-operation: retried only when repeating cannot
 *   double the effect (`repeatable`), since whether it committed is unknown.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: OperationOptions & { repeatable: boolean; hasKey: boolean },
): Promise<Attempted<T> | Busy | Refused> {
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempts = 1; ; attempts++) {
    try {
      return { value: await attempt(), attempts };
    } catch (error) {
      if (isTimeout(error)) return busy(lockTimeoutMs, attempts);
      // The server ran short of disk, memory or a limit (class 53): busy too,
      // with the cause in the message; the statement wrote nothing.
      if (sqlStateOf(error)?.startsWith("53")) {
        const shortage = toHotelError(error);
        return { ...busy(lockTimeoutMs, attempts), message: shortage.message, retryAfter: shortage.retryAfter ?? busy(lockTimeoutMs, attempts).retryAfter };
      }
      const lost = isConnectionLost(error) && !isUnreachable(error);
      const retry =
        isRetryableConflict(error) || (options.hasKey && sqlStateOf(error) === SQLSTATE.uniqueViolation) || (lost && options.repeatable);
      if (!retry) {
        if (lost) {
          throw new HotelError(
            "DB_UNAVAILABLE",
            "The connection to the database broke during the operation, so it may or may not have been done: check the booking, and pass --idempotency-key to make retries safe",
            { cause: error },
          );
        }
        throw toHotelError(error);
      }
      if (attempts >= maxAttempts) {
        if (lost) throw toHotelError(error);
        return { outcome: "refused", status: 409, code: "CONFLICT", message: MESSAGES.conflict, lockWaitMs: 0, attempts };
      }
      const delayMs = backoff(attempts);
      options.onRetry?.(attempts, sqlStateOf(error), delayMs);
      await sleep(delayMs);
    }
  }
}

export function busy(lockTimeoutMs: number, attempts: number): Busy {
  const retryAfter = Math.max(1, Math.ceil(lockTimeoutMs / 1000));
  return { outcome: "busy", status: 503, code: "BUSY", message: MESSAGES.busy, retryAfter, lockWaitMs: lockTimeoutMs, attempts };
}

/** Full jitter: a random delay up to 10 ms, 20 ms, 40 ms ... so retries spread out. */
const backoff = (attempt: number): number => Math.round(Math.random() * 10 * 2 ** (attempt - 1));

export const isAttempted = <T>(result: Attempted<T> | Busy | Refused): result is Attempted<T> => "value" in result;

export function refusal(code: RefusalCode, message: string, row: ResultRow, attempts: number): Refused {
  return { outcome: "refused", status: 409, code, message, lockWaitMs: row.lock_wait_ms, attempts };
}

/**
 * The outcomes every operation shares: input and lookup failures become
 * HotelErrors, state refusals become Refused; anything else is returned
 * for the operation to settle.
 */
export function settleCommon(row: ResultRow, attempts: number, names: { id?: number; tier?: string; suite?: string; property: string }): Refused | undefined {
  switch (row.outcome) {
    case "unknown_property":
      throw notFound(`Unknown property "${names.property}": see \`hotel properties list\``);
    case "unknown_tier":
      throw notFound(`Unknown tier "${names.tier ?? ""}": see \`hotel suites list\` for the tiers`);
    case "unknown_suite":
      throw notFound(`No suite ${names.suite ?? ""}: see \`hotel suites list\``);
    case "not_found":
      throw notFound(`No booking with id ${names.id ?? ""}`);
    case "invalid":
      throw new HotelError("INVALID_INPUT", row.message ?? "invalid request");
    case "idempotency_mismatch":
      throw new HotelError("IDEMPOTENCY_MISMATCH", `${row.message ?? "Idempotency key reused"}; use a new key`);
    case "invalid_state":
      return refusal("INVALID_STATE", row.message ?? "the booking's state does not allow this", row, attempts);
    case "hold_expired":
      return refusal("HOLD_EXPIRED", row.message ?? "the hold expired", row, attempts);
    default:
      return undefined;
  }
}
