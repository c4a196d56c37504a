import { setTimeout as sleep } from "node:timers/promises";
import type { Prisma } from "../../generated/prisma/client.js";
import { HotelError } from "../errors.js";
import type { Hotel } from "../hotel.js";
import { DEFAULT_LOCK_TIMEOUT_MS } from "../operation.js";
import { isRetryableConflict, isTimeout, toHotelError } from "../sqlstate.js";
import { checkContext, type CheckContext } from "./context.js";
import { expireLapsedHolds } from "./repair-holds.js";
import { repairNights } from "./repair-nights.js";
import { repairSuiteCounts } from "./repair-suites.js";

/**
 * `hotel check --repair`: rebuilds every derived count and mark from the
 * bookings and suites while bookings go on, and turns lapsed holds into
 * `expired`. It never touches a booking's stay or suite: an overbooked
 * night or a double booking is for a person to settle.
 *
 * Each fix is a small READ COMMITTED transaction that first takes what
 * every booking operation takes for the same data (the night locks, one
 * statement per lock, ascending by (lock key, day), with a lock timeout;
 * or the tier's suite-count row), recomputes under them and writes only
 * what differs, with one 'repair' event per count changed. What to look at
 * is found first by a read without locks (a consistent snapshot: the counts
 * change in the same transaction as what they count, so a night that is
 * right in the snapshot stays right under every writer that keeps the lock
 * protocol), then verified again under the locks.
 */

export interface NightState {
  booked: number;
  held: number;
  lowWater: string | null;
}

export interface SuiteState {
  active: number;
  inactive: number;
}

export type Repair =
  | { kind: "night-counts"; tier: string; night: string; before: NightState | null; after: NightState }
  | { kind: "suite-counts"; tier: string; before: SuiteState | null; after: SuiteState }
  | { kind: "expired-hold"; booking: number; tier: string; suite: string; checkIn: string; checkOut: string; expiresAt: string };

export interface RepairOptions {
  /** Longest wait for one lock before a fix gives up and is tried again (default 5000). */
  lockTimeoutMs?: number;
  /** Nights repaired in one transaction (default 31). */
  chunkNights?: number;
  /** Attempts per fix when its locks stay busy (default 3). */
  attempts?: number;
  /** Called as each fix's transaction starts, naming what it repairs (for progress). */
  onProgress?: (what: string) => void;
}

export interface RepairRun {
  ctx: CheckContext;
  hotel: Hotel;
  lockTimeoutMs: number;
  chunkNights: number;
  /** Runs `work` in its own READ COMMITTED transaction with SET LOCAL lock_timeout, retried while busy. */
  transaction<T>(what: string, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T>;
}

export async function repairIntegrity(hotel: Hotel, options: RepairOptions = {}): Promise<Repair[]> {
  const run = repairRun(await checkContext(hotel), hotel, options);
  const repairs: Repair[] = [];
  // Holds first (their expiry changes the counts through the triggers), then
  // the suite counts (a new generation retires every mark of the tier),
  // then the nights, found after both.
  repairs.push(...(await expireLapsedHolds(run)));
  repairs.push(...(await repairSuiteCounts(run)));
  repairs.push(...(await repairNights(run)));
  return repairs;
}

function repairRun(ctx: CheckContext, hotel: Hotel, options: RepairOptions): RepairRun {
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const chunkNights = options.chunkNights ?? 31;
  const attempts = options.attempts ?? 3;
  return {
    ctx,
    hotel,
    lockTimeoutMs,
    chunkNights,
    async transaction(what, work) {
      options.onProgress?.(what);
      for (let attempt = 1; ; attempt++) {
        try {
          return await hotel.prisma.$transaction(
            async (tx) => {
              await tx.$executeRawUnsafe(`SELECT set_config('lock_timeout', $1, true)`, `${lockTimeoutMs}ms`);
              return work(tx);
            },
            // Each night lock may take up to lock_timeout: time enough for a whole chunk.
            { isolationLevel: "ReadCommitted", maxWait: lockTimeoutMs, timeout: lockTimeoutMs * (chunkNights + 4) + 60_000 },
          );
        } catch (error) {
          if (!isTimeout(error) && !isRetryableConflict(error)) throw toHotelError(error);
          if (attempt >= attempts) {
            throw new HotelError("BUSY", `The locks of ${what} stayed busy; what was repaired before is kept: run \`hotel check --repair\` again`, {
              retryAfter: Math.max(1, Math.ceil(lockTimeoutMs / 1000)),
              cause: error,
            });
          }
          await sleep(Math.round(Math.random() * 100 * attempt));
        }
      }
    },
  };
}

/** Takes the night locks of one tier, one statement per lock, ascending: the order every booking operation uses. */
export async function lockNights(tx: Prisma.TransactionClient, run: RepairRun, lockKey: number, nights: readonly string[]): Promise<void> {
  for (const night of [...new Set(nights)].sort()) {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock($1::int, $2::date - DATE '1970-01-01')`, lockKey, night);
  }
}

/** Appends one 'repair' event per change, in the transaction of the change. */
export async function recordRepairs(tx: Prisma.TransactionClient, run: RepairRun, changes: { before: unknown; after: unknown }[]): Promise<void> {
  if (changes.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO ${run.ctx.t("events")} (property_id, operation, actor, before, after)
     SELECT $1, 'repair', $2, c.before, c.after FROM jsonb_to_recordset($3::jsonb) AS c (before jsonb, after jsonb)`,
    run.ctx.property,
    run.hotel.actor,
    JSON.stringify(changes),
  );
}

/** One line per repair, for people. */
export function describeRepair(repair: Repair): string {
  const change = (label: string, before: number | string | null, after: number | string | null): string | undefined =>
    before === after ? undefined : `${label} ${before ?? "none"} -> ${after ?? "none"}`;
  switch (repair.kind) {
    case "night-counts": {
      const before = repair.before ?? { booked: 0, held: 0, lowWater: null };
      const changes = [
        change("bookings", before.booked, repair.after.booked),
        change("holds", before.held, repair.after.held),
        change("mark", before.lowWater, repair.after.lowWater),
      ].filter((part) => part !== undefined);
      const created = `no count row -> bookings ${repair.after.booked}, holds ${repair.after.held}`;
      return `night counts: ${repair.tier} on ${repair.night}: ${repair.before ? changes.join(", ") : created}`;
    }
    case "suite-counts": {
      const before = repair.before ?? { active: 0, inactive: 0 };
      const changes = [change("active", before.active, repair.after.active), change("inactive", before.inactive, repair.after.inactive)].filter(
        (part) => part !== undefined,
      );
      return `suite counts: ${repair.tier}: ${repair.before ? changes.join(", ") : `no count row -> active ${repair.after.active}, inactive ${repair.after.inactive}`}`;
    }
    case "expired-hold":
      return `expired hold: #${repair.booking} (${repair.tier}, suite ${repair.suite}, ${repair.checkIn} to ${repair.checkOut}) lapsed at ${repair.expiresAt}`;
  }
}
