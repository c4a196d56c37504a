import { audit, type AuditBooking, type AuditRefusal, type AuditResult } from "../src/stress/oracle.js";
import { createInventory, createScratchSchema, dropScratchSchema, newScratchName, withPg, type ScratchSchema } from "../src/stress/scratch.js";
import { CHECK_IN, indexOfGuest, WARMUP_TIER, type TierSpec } from "./scenarios.js";
import type { LoadResult } from "./load.js";

/**
 * Scratch schemas for the benchmark, on src/stress/scratch.ts: each phase gets
 * a freshly migrated schema with its own inventory, dropped afterwards even
 * when the phase fails or the bench is interrupted.
 */

const cleanups = new Set<() => Promise<void>>();

/** Drops whatever is still open (SIGINT/SIGTERM). */
export async function runCleanups(): Promise<void> {
  await Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
}

/** Registers `cleanup` (run at most once) until the returned function runs it. */
export function registerCleanup(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = (): Promise<void> => (done ??= cleanup());
  cleanups.add(once);
  return () => {
    cleanups.delete(once);
    return once();
  };
}

/** Bookings on nights no scenario uses, in the warm-up tier: suites x nights rows. */
const HISTORY = { suites: 20, nights: 150, firstNight: "2032-06-01" } as const;

/** Suites in the warm-up tier when `wanted` are asked for. */
export const warmupCapacity = (wanted: number): number => Math.max(wanted, HISTORY.suites);

const prefixOf = (name: string): string => name.replace(/[^A-Za-z]/g, "").slice(0, 3).toUpperCase();

export interface ScratchSetup {
  tiers: TierSpec[];
  /** Suites of the warm-up tier, which also holds a booking history on other nights; neither when 0. */
  warmupSuites?: number;
  /** Confirmed bookings already on the first night of the first tier. */
  prefill?: number;
}

export interface OpenScratch {
  scratch: ScratchSchema;
  drop(): Promise<void>;
}

/**
 * A migrated scratch schema holding `tiers` (plus the warm-up tier), with
 * `prefill` confirmed bookings on the first night of the first tier, analysed
 * so that the planner sees realistic statistics. Dropped by drop(), or by
 * runCleanups() if the bench is interrupted first.
 */
export async function openScratch(baseUrl: string, setup: ScratchSetup): Promise<OpenScratch> {
  const name = newScratchName();
  const drop = registerCleanup(() => dropScratchSchema(baseUrl, name));
  try {
    const scratch = await createScratchSchema(baseUrl, name);
    const tiers = [...setup.tiers];
    if (setup.warmupSuites !== 0) tiers.push({ name: WARMUP_TIER, capacity: warmupCapacity(setup.warmupSuites ?? 0) });
    await createInventory(
      scratch,
      tiers.map((tier) => ({ ...tier, prefix: prefixOf(tier.name) })),
    );
    await withPg(scratch.url, async (client) => {
      if (setup.warmupSuites !== 0) {
        // History: a live bookings table holds far more than one night, so the
        // planner must reach a night through the indexes, as in production.
        await client.query(
          `INSERT INTO bookings (suite_id, tier_id, guest_name, check_in, check_out)
           SELECT s.id, s.tier_id, 'history', $2::date + d, $2::date + d + 1
             FROM suites s JOIN tiers t ON t.id = s.tier_id, generate_series(0, $3::int - 1) AS d
            WHERE t.name = $1 AND s.number <= (SELECT max(number) FROM (SELECT number FROM suites x WHERE x.tier_id = t.id ORDER BY number LIMIT $4) f)`,
          [WARMUP_TIER, HISTORY.firstNight, HISTORY.nights, HISTORY.suites],
        );
      }
      if (setup.prefill) {
        await client.query(
          `INSERT INTO bookings (suite_id, tier_id, guest_name, check_in, check_out)
           SELECT s.id, s.tier_id, 'prefill', $2::date, $2::date + 1
             FROM suites s JOIN tiers t ON t.id = s.tier_id
            WHERE t.name = $1 ORDER BY s.number LIMIT $3`,
          [setup.tiers[0]?.name, CHECK_IN, setup.prefill],
        );
      }
      await client.query("ANALYZE");
    });
    return { scratch, drop };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}

export async function withScratch<T>(baseUrl: string, setup: ScratchSetup, work: (scratch: ScratchSchema) => Promise<T>): Promise<T> {
  const { scratch, drop } = await openScratch(baseUrl, setup);
  try {
    return await work(scratch);
  } finally {
    await drop();
  }
}

/** Runs the stress oracle over the final rows of the scenario's tiers (the warm-up tier left out). */
export async function auditPhase(scratch: ScratchSchema, load: LoadResult, requestOf: (index: number) => { tier: string; checkIn: string; checkOut: string }): Promise<AuditResult> {
  const { suites, bookings } = await withPg(scratch.url, async (client) => {
    const suiteRows = await client.query<{ suite: string; tier: string; active: boolean }>(
      `SELECT s.number AS suite, t.name AS tier, s.active FROM suites s JOIN tiers t ON t.id = s.tier_id WHERE t.name <> $1`,
      [WARMUP_TIER],
    );
    const bookingRows = await client.query<{ suite: string; tier: string; check_in: string; check_out: string; status: string; guest_name: string }>(
      `SELECT s.number AS suite, t.name AS tier, to_char(b.check_in, 'YYYY-MM-DD') AS check_in,
              to_char(b.check_out, 'YYYY-MM-DD') AS check_out, b.status, b.guest_name
         FROM bookings b JOIN suites s ON s.id = b.suite_id JOIN tiers t ON t.id = b.tier_id
        WHERE t.name <> $1`,
      [WARMUP_TIER],
    );
    return { suites: suiteRows.rows, bookings: bookingRows.rows };
  });
  const auditBookings: AuditBooking[] = bookings.map((row) => {
    const index = indexOfGuest(row.guest_name);
    const known = index !== undefined && index < load.completed;
    return {
      suite: row.suite,
      tier: row.tier,
      checkIn: row.check_in,
      checkOut: row.check_out,
      status: row.status,
      requestIndex: known ? index : undefined,
      startedAt: known ? load.startedAt(index) : undefined,
    };
  });
  const refusals: AuditRefusal[] = [];
  for (let index = 0; index < load.completed; index++) {
    const outcome = load.outcomeAt(index);
    if (outcome !== "refused" && outcome !== "conflict") continue;
    const request = requestOf(index);
    refusals.push({ requestIndex: index, tier: request.tier, checkIn: request.checkIn, checkOut: request.checkOut, endedAt: load.endedAt(index) });
  }
  return audit({
    suites,
    bookings: auditBookings,
    refusals,
    reported: {
      count: load.completed,
      outcomeOf: (index) => {
        const outcome = load.outcomeAt(index);
        if (outcome === "accepted") return "accepted";
        if (outcome === "refused" || outcome === "conflict") return "refused";
        if (outcome === "busy") return "failed";
        return outcome === "error" ? "error" : undefined;
      },
    },
  });
}
