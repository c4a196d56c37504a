import type { BookingRequest } from "./booking.js";
import { daysBetween, parseDate } from "./dates.js";
import { sqlName, type Hotel } from "./hotel.js";
import type { ResultRow } from "./operation.js";

/**
 * hotel_book()'s steps as a Prisma interactive transaction, one round trip
 * per statement: the same locks in the same order, the same search, the
 * same event. It exists to be measured beside the one-round-trip function
 * (`hotel stress --strategy interactive`); `hotel book` never uses it.
 * It keeps no low-water marks: it only adds taken suite-nights, which
 * cannot make a mark wrong.
 */

const DAY_MS = 86_400_000;
const epochDay = (day: string): number => Math.round(parseDate(day, "day").getTime() / DAY_MS);

interface TierRow {
  property_id: number;
  id: number;
  lock_key: number;
}

interface Stay {
  check_in: Date;
  check_out: Date;
}

export async function attemptInteractive(hotel: Hotel, property: number, request: BookingRequest, ttlSeconds: number | null, lockTimeoutMs: number): Promise<ResultRow> {
  const fn = (name: string): string => sqlName(hotel, name);
  return hotel.prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SELECT set_config('lock_timeout', $1, true)`, `${lockTimeoutMs}ms`);
      const [tier] = await tx.$queryRawUnsafe<TierRow[]>(
        `SELECT t.property_id, t.id, t.lock_key FROM ${fn("tiers")} t WHERE t.property_id = $1 AND t.name = $2`,
        property,
        request.tier,
      );
      if (!tier) return outcomeRow("unknown_tier", 0);
      const [holds] = await tx.$queryRawUnsafe<{ check_ins: Date[]; check_outs: Date[] }[]>(
        `SELECT * FROM ${fn("hotel_lapsing_holds")}($1::int, $2::int, $3::date, $4::date, clock_timestamp() + $5::int * interval '1 ms')`,
        tier.property_id,
        tier.id,
        request.checkIn,
        request.checkOut,
        lockTimeoutMs,
      );
      const started = performance.now();
      // One lock per statement, ascending: the order is then certain.
      for (const night of nightsToLock(request, zip(holds?.check_ins ?? [], holds?.check_outs ?? []))) {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock($1::int, $2::int)`, tier.lock_key, night);
      }
      const lockWaitMs = performance.now() - started;
      if (request.idempotencyKey) {
        const existing = await tx.booking.findUnique({
          where: { propertyId_idempotencyKey: { propertyId: tier.property_id, idempotencyKey: request.idempotencyKey } },
          include: { suite: { select: { number: true } }, tier: { select: { name: true } } },
        });
        if (existing) {
          return { ...outcomeRow("replayed", lockWaitMs), ...rowOf(existing, existing.suite.number, existing.tier.name) };
        }
      }
      await tx.$queryRawUnsafe(
        `SELECT ${fn("hotel_expire_holds")}($1::int, $2::int, $3::date, $4::date, clock_timestamp())`,
        tier.property_id,
        tier.id,
        request.checkIn,
        request.checkOut,
      );
      const [free] = await tx.$queryRawUnsafe<{ suite_id: number | null; suite: string | null }[]>(
        `SELECT * FROM ${fn("hotel_lowest_free_suite")}($1::int, $2::int, $3::date, $4::date)`,
        tier.property_id,
        tier.id,
        request.checkIn,
        request.checkOut,
      );
      if (!free?.suite_id || !free.suite) return outcomeRow("refused", lockWaitMs);
      const created = await tx.booking.create({
        data: {
          propertyId: tier.property_id,
          suiteId: free.suite_id,
          tierId: tier.id,
          guestName: request.guestName,
          checkIn: new Date(`${request.checkIn}T00:00:00Z`),
          checkOut: new Date(`${request.checkOut}T00:00:00Z`),
          status: ttlSeconds === null ? "confirmed" : "held",
          expiresAt: ttlSeconds === null ? null : await databaseTimePlus(tx, ttlSeconds),
          idempotencyKey: request.idempotencyKey ?? null,
        },
      });
      const row = { ...outcomeRow("accepted", lockWaitMs), ...rowOf(created, free.suite, request.tier) };
      await tx.event.create({
        data: {
          propertyId: tier.property_id,
          operation: ttlSeconds === null ? "book" : "hold",
          actor: hotel.actor,
          bookingId: created.id,
          after: { id: created.id, suite: free.suite, tier: request.tier, guest: created.guestName, checkIn: request.checkIn, checkOut: request.checkOut, status: created.status, ...(created.expiresAt ? { expiresAt: created.expiresAt.toISOString() } : {}) },
        },
      });
      return row;
    },
    // maxWait covers waiting for a pooled connection; the transaction may then
    // wait up to lock_timeout for each night's lock, hence the generous timeout.
    { isolationLevel: "ReadCommitted", maxWait: lockTimeoutMs, timeout: lockTimeoutMs * 4 },
  );
}

/** The epoch days to lock: the stay's and the lapsing holds', each once, ascending. */
function nightsToLock(request: BookingRequest, holds: Stay[]): number[] {
  const nights = new Set<number>();
  const add = (from: number, count: number): void => {
    for (let night = 0; night < count; night++) nights.add(from + night);
  };
  add(epochDay(request.checkIn), daysBetween(parseDate(request.checkIn, "check-in"), parseDate(request.checkOut, "check-out")));
  for (const hold of holds) add(Math.round(hold.check_in.getTime() / DAY_MS), Math.round((hold.check_out.getTime() - hold.check_in.getTime()) / DAY_MS));
  return [...nights].sort((a, b) => a - b);
}

const zip = (ins: Date[], outs: Date[]): Stay[] => ins.map((check_in, i) => ({ check_in, check_out: outs[i] as Date }));

async function databaseTimePlus(tx: { $queryRawUnsafe<T>(sql: string, ...values: unknown[]): Promise<T> }, seconds: number): Promise<Date> {
  const [row] = await tx.$queryRawUnsafe<{ at: Date }[]>(`SELECT clock_timestamp() + $1::int * interval '1 second' AS at`, seconds);
  return row?.at ?? new Date(Number.NaN);
}

function outcomeRow(outcome: string, lockWaitMs: number): ResultRow {
  return {
    outcome,
    message: null,
    id: null,
    suite: null,
    tier: null,
    guest_name: null,
    check_in: null,
    check_out: null,
    status: null,
    expires_at: null,
    previous_suite: null,
    previous_tier: null,
    previous_check_in: null,
    previous_check_out: null,
    lock_wait_ms: lockWaitMs,
  };
}

function rowOf(
  booking: { id: number; guestName: string; checkIn: Date; checkOut: Date; status: string; expiresAt: Date | null },
  suite: string,
  tier: string,
): Partial<ResultRow> {
  return {
    id: booking.id,
    suite,
    tier,
    guest_name: booking.guestName,
    check_in: booking.checkIn,
    check_out: booking.checkOut,
    status: booking.status as ResultRow["status"],
    expires_at: booking.expiresAt,
  };
}
