import { setTimeout as sleep } from "node:timers/promises";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { type BookingOutcome, type BookingRequest, type BookingView, MESSAGES } from "./booking.js";
import { resolveStay, formatDate } from "./dates.js";
import { HotelError, notFound } from "./errors.js";
import { isConnectionLost, isRetryableConflict, isUnreachable, isTimeout, SQLSTATE, sqlStateOf, toHotelError } from "./sqlstate.js";
import * as validate from "./validate.js";
import { BOOKING_INCLUDE, bookingView, dateValue } from "./views.js";

/**
 * The booking core. Every path that books (`hotel book`, `hotel stress`,
 * `hotel serve`) calls book(); the transaction itself is DESIGN.md's
 * "safety by constraint, progress by lock":
 *   READ COMMITTED, lock_timeout, one advisory lock per (tier, night) in
 *   ascending order, the lowest-numbered free active suite, insert.
 * It exists in two forms that must agree:
 *   - "function": the hotel_book() SQL function from the migrations, one
 *     round trip (the default: about 3x the throughput);
 *   - "interactive": the same steps as a Prisma interactive transaction.
 */

export type BookingStrategy = "function" | "interactive";

export interface BookOptions {
  strategy?: BookingStrategy;
  lockTimeoutMs?: number;
  /** Attempts for serialization failures, deadlocks and exclusion conflicts. */
  maxAttempts?: number;
  /** Called before each retry, for debug logging. */
  onRetry?: (attempt: number, sqlState: string | undefined, delayMs: number) => void;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_ATTEMPTS = 4;

interface Attempt {
  outcome: "accepted" | "replayed" | "refused" | "unknown_tier";
  booking?: BookingView;
  lockWaitMs: number;
}

/** Validates a request and books it; returns an outcome or throws a HotelError. */
export async function book(prisma: PrismaClient, input: BookingRequest, options: BookOptions = {}): Promise<BookingOutcome> {
  const request = normalise(input);
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const run = options.strategy === "interactive" ? attemptInteractive : attemptFunction;
  const retryAfter = Math.max(1, Math.ceil(lockTimeoutMs / 1000));
  for (let attempt = 1; ; attempt++) {
    let result: Attempt;
    try {
      result = await run(prisma, request, lockTimeoutMs);
    } catch (error) {
      if (isTimeout(error)) {
        return { outcome: "busy", status: 503, code: "BUSY", message: MESSAGES.busy, retryAfter, lockWaitMs: lockTimeoutMs, attempts: attempt };
      }
      if (sqlStateOf(error) === SQLSTATE.uniqueViolation && request.idempotencyKey) {
        // Another request with this key committed first, for other nights or another tier.
        result = await replayByKey(prisma, request.idempotencyKey);
      } else if (isRetryableConflict(error) || (request.idempotencyKey && isConnectionLost(error))) {
        // A lost connection may have lost only the acknowledgement of a
        // commit; with a key the retry finds that booking instead of a second.
        if (attempt >= maxAttempts) {
          if (isConnectionLost(error)) throw toHotelError(error);
          return { outcome: "refused", status: 409, code: "CONFLICT", message: MESSAGES.conflict, lockWaitMs: 0, attempts: attempt };
        }
        const delayMs = backoff(attempt);
        options.onRetry?.(attempt, sqlStateOf(error), delayMs);
        await sleep(delayMs);
        continue;
      } else if (isConnectionLost(error) && !isUnreachable(error)) {
        throw new HotelError(
          "DB_UNAVAILABLE",
          "The connection to the database broke during the booking, so it may or may not have been made: check with `hotel bookings`, and book with --idempotency-key to make retries safe",
          { cause: error },
        );
      } else {
        throw toHotelError(error);
      }
    }
    return settle(request, result, attempt);
  }
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

/** Full jitter: a random delay up to 10 ms, 20 ms, 40 ms ... so retries spread out. */
const backoff = (attempt: number): number => Math.round(Math.random() * 10 * 2 ** (attempt - 1));

function settle(request: BookingRequest, result: Attempt, attempts: number): BookingOutcome {
  switch (result.outcome) {
    case "unknown_tier":
      throw notFound(`Unknown tier "${request.tier}": see \`hotel suites list\` for the tiers`);
    case "refused":
      return {
        outcome: "refused",
        status: 409,
        code: "NO_AVAILABILITY",
        message: `No ${request.tier} suite is free for every night from ${request.checkIn} to ${request.checkOut}`,
        lockWaitMs: result.lockWaitMs,
        attempts,
      };
    case "accepted":
    case "replayed": {
      const booking = result.booking as BookingView;
      if (result.outcome === "replayed") assertSameRequest(request, booking);
      return { outcome: "accepted", status: 201, booking, replayed: result.outcome === "replayed", lockWaitMs: result.lockWaitMs, attempts };
    }
  }
}

function assertSameRequest(request: BookingRequest, booking: BookingView): void {
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

interface BookRow {
  outcome: Attempt["outcome"];
  id: number | null;
  suite: string | null;
  tier: string;
  guest_name: string;
  check_in: Date;
  check_out: Date;
  status: BookingView["status"] | null;
  lock_wait_ms: number;
}

function toAttempt(row: BookRow): Attempt {
  const booking =
    row.id === null
      ? undefined
      : {
          id: row.id,
          suite: row.suite ?? "",
          tier: row.tier,
          guest: row.guest_name,
          checkIn: formatDate(row.check_in),
          checkOut: formatDate(row.check_out),
          status: row.status ?? "confirmed",
        };
  return { outcome: row.outcome, booking, lockWaitMs: row.lock_wait_ms };
}

async function attemptFunction(prisma: PrismaClient, request: BookingRequest, lockTimeoutMs: number): Promise<Attempt> {
  const rows = await prisma.$queryRaw<BookRow[]>`
    SELECT * FROM hotel_book(${request.tier}, ${request.guestName}, ${request.checkIn}::date,
                             ${request.checkOut}::date, ${request.idempotencyKey ?? null}, ${lockTimeoutMs}::int)`;
  const row = rows[0];
  if (!row) throw new HotelError("INTERNAL", "hotel_book() returned no row");
  return toAttempt(row);
}

async function attemptInteractive(prisma: PrismaClient, request: BookingRequest, lockTimeoutMs: number): Promise<Attempt> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`;
      const tier = await tx.tier.findUnique({ where: { name: request.tier } });
      if (!tier) {
        return { outcome: "unknown_tier", lockWaitMs: 0 };
      }
      const firstDay = Math.round(Date.parse(request.checkIn) / 86_400_000);
      const nights = Math.round((Date.parse(request.checkOut) - Date.parse(request.checkIn)) / 86_400_000);
      const started = performance.now();
      // One lock per statement, ascending: the order is then certain.
      for (let night = 0; night < nights; night++) {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${tier.id}::int, ${firstDay + night}::int)`;
      }
      const lockWaitMs = performance.now() - started;
      if (request.idempotencyKey) {
        const existing = await findByKey(tx, request.idempotencyKey);
        if (existing) return { ...existing, lockWaitMs };
      }
      const free = await tx.$queryRaw<{ id: number; number: string }[]>`
        SELECT s.id, s.number FROM suites s
        WHERE s.tier_id = ${tier.id} AND s.active
          AND s.id NOT IN (
            SELECT b.suite_id FROM bookings b
            WHERE b.tier_id = ${tier.id} AND b.status = 'confirmed'
              AND daterange(b.check_in, b.check_out, '[)') && daterange(${request.checkIn}::date, ${request.checkOut}::date, '[)'))
        ORDER BY s.number LIMIT 1 FOR SHARE OF s`;
      const suite = free[0];
      if (!suite) return { outcome: "refused", lockWaitMs };
      const created = await tx.booking.create({
        data: {
          suiteId: suite.id,
          tierId: tier.id,
          guestName: request.guestName,
          checkIn: dateValue(request.checkIn),
          checkOut: dateValue(request.checkOut),
          idempotencyKey: request.idempotencyKey ?? null,
        },
      });
      return {
        outcome: "accepted",
        lockWaitMs,
        booking: { id: created.id, suite: suite.number, tier: tier.name, guest: created.guestName, checkIn: request.checkIn, checkOut: request.checkOut, status: "confirmed" },
      };
    },
    // maxWait covers waiting for a pooled connection; the transaction may then
    // wait up to lock_timeout for each night's lock, hence the generous timeout.
    { isolationLevel: "ReadCommitted", maxWait: lockTimeoutMs, timeout: lockTimeoutMs * 4 },
  );
}

async function findByKey(prisma: Prisma.TransactionClient, key: string): Promise<Attempt | undefined> {
  const found = await prisma.booking.findUnique({ where: { idempotencyKey: key }, include: BOOKING_INCLUDE });
  return found ? { outcome: "replayed", lockWaitMs: 0, booking: bookingView(found) } : undefined;
}

async function replayByKey(prisma: PrismaClient, key: string): Promise<Attempt> {
  const existing = await findByKey(prisma, key);
  if (!existing) throw new HotelError("INTERNAL", `idempotency key "${key}" collided but no booking holds it`);
  return existing;
}
