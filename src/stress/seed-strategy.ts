import { MESSAGES, type BookingOutcome, type BookingRequest } from "../core/booking.js";
import { SQLSTATE, isTimeout, sqlStateOf, toHotelError } from "../core/sqlstate.js";
import type { Hotel } from "../core/hotel.js";
import { dateValue } from "../core/views.js";

/**
 * The seed's booking transaction (shared/seed item 1), reproduced faithfully
 * so that `hotel stress --strategy seed` can measure it beside the core on the
 * same machine. It is NOT how hotel books: `hotel book` only ever calls
 * core/book.ts. Its known flaws are kept on purpose (DESIGN.md):
 * - SERIALIZABLE takes its snapshot at the first statement, before the
 *   advisory lock is granted, so waiters read stale data and then fail with
 *   40001 (P2034): under concurrency only one or two of 20 get through;
 * - one lock per (tier, check-in day) does not serialise overlapping stays
 *   with different check-in days;
 * - the capacity check counts overlapping bookings, which refuses stays that
 *   would fit in one suite.
 * Errors follow the seed: P2034 (serialization failure, deadlock) -> 409
 * "Booking conflict, please retry", no retry; timeouts -> 503 with
 * Retry-After 5.
 */

const SEED_RETRY_AFTER_S = 5;
const SEED_TRANSACTION_TIMEOUT_MS = 10_000;

class CapacityExceeded extends Error {}

export interface SeedStrategyOptions {
  /** The seed's `capacity[suiteType]`: a fixed number per tier. */
  capacity: number;
}

export async function bookSeedDesign(hotel: Hotel, request: BookingRequest, options: SeedStrategyOptions): Promise<BookingOutcome> {
  const checkInDate = dateValue(request.checkIn);
  const checkOutDate = dateValue(request.checkOut);
  let lockWaitMs = 0;
  try {
    const created = await hotel.prisma.$transaction(
      async (tx) => {
        const started = performance.now();
        await tx.$executeRaw`
          SELECT pg_advisory_xact_lock(hashtext(${request.tier}::text || ${checkInDate.toISOString()}::text))`;
        lockWaitMs = performance.now() - started;
        const overlapping = await tx.booking.count({
          where: { tier: { name: request.tier }, status: "confirmed", checkIn: { lt: checkOutDate }, checkOut: { gt: checkInDate } },
        });
        if (overlapping >= options.capacity) throw new CapacityExceeded("CAPACITY_EXCEEDED");
        const availableSuite = await tx.suite.findFirst({
          where: {
            tier: { name: request.tier },
            active: true,
            bookings: { none: { status: "confirmed", checkIn: { lt: checkOutDate }, checkOut: { gt: checkInDate } } },
          },
          orderBy: { number: "asc" },
        });
        if (!availableSuite) throw new CapacityExceeded("CAPACITY_EXCEEDED");
        return tx.booking.create({
          data: {
            propertyId: availableSuite.propertyId,
            suiteId: availableSuite.id,
            tierId: availableSuite.tierId,
            guestName: request.guestName,
            checkIn: checkInDate,
            checkOut: checkOutDate,
          },
          include: { suite: { select: { number: true } } },
        });
      },
      { isolationLevel: "Serializable", timeout: SEED_TRANSACTION_TIMEOUT_MS },
    );
    return { outcome: "accepted", status: 201, booking: {
        id: created.id,
        suite: created.suite.number,
        tier: request.tier,
        guest: created.guestName,
        checkIn: request.checkIn,
        checkOut: request.checkOut,
        status: "confirmed",
      }, replayed: false, lockWaitMs, attempts: 1 };
  } catch (error) {
    if (error instanceof CapacityExceeded) {
      const message = `No ${request.tier} suite is free for every night from ${request.checkIn} to ${request.checkOut}`;
      return { outcome: "refused", status: 409, code: "NO_AVAILABILITY", message, lockWaitMs, attempts: 1 };
    }
    if (isTimeout(error)) {
      return { outcome: "busy", status: 503, code: "BUSY", message: MESSAGES.busy, retryAfter: SEED_RETRY_AFTER_S, lockWaitMs, attempts: 1 };
    }
    const state = sqlStateOf(error);
    // The seed catches P2034 (40001, 40P01); an exclusion violation from the
    // schema's safety net is the same lost race, reported the same way.
    if (state === SQLSTATE.serializationFailure || state === SQLSTATE.deadlockDetected || state === SQLSTATE.exclusionViolation) {
      return { outcome: "refused", status: 409, code: "CONFLICT", message: MESSAGES.conflict, lockWaitMs, attempts: 1 };
    }
    throw toHotelError(error);
  }
}
