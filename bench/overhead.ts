import pg from "pg";
import { addDays, formatDate, parseDate } from "../src/core/dates.js";
import { openDatabase } from "../src/db/database.js";
import { withPg } from "../src/stress/bookkeeping.js";
import { createInventory } from "../src/stress/scratch.js";
import { Histogram, LoadDriver, OUTCOME, type Percentiles } from "../src/stress/index.js";
import { LIMIT_DDL, LIMIT_TABLE } from "./limit.js";
import { CHECK_IN, FLASH_NIGHT_KEY } from "./scenarios.js";
import { withScratch } from "./scratch.js";
import { sessionUrl } from "../src/db/database.js";
import type { Hotel } from "../src/core/hotel.js";
import { callOperation } from "../src/core/operation.js";

/**
 * What the locks themselves cost when nobody else wants them: one client,
 * every booking accepted, the locked and the lock-free version of the same
 * transaction alternating request by request (so background noise hits both
 * alike), p50 compared. Three pairs:
 *   - the core through Prisma: hotel_book() vs a copy of it with the lock loop
 *     removed (created in the scratch schema only), both by callOperation() as book() calls it;
 *   - the same two functions through raw node-pg, which separates Prisma's share;
 *   - the limit: raw node-pg BEGIN; lock; INSERT; COMMIT vs BEGIN; INSERT; COMMIT.
 */

export interface OverheadPair {
  withLocksMs: Percentiles & { count: number };
  withoutLocksMs: Percentiles & { count: number };
  /** p50 with locks minus p50 without. */
  overheadP50Ms: number;
}

export interface OverheadResult {
  corePrisma: OverheadPair;
  coreNodePg: OverheadPair;
  limit: OverheadPair;
}

/** The property the scratch inventory is created in (`main`, which the migrations create). */
const MAIN = 1;

/** hotel_book()'s parameter types, as book() passes them. */
const BOOK_CASTS = ["int", "text", "text", "date", "date", "text", "int", "int", "text"];
const day1 = (day: string): string => formatDate(addDays(parseDate(day, "night"), 1));

const LOCK_LOOP = /PERFORM\s+pg_advisory_xact_lock\(\s*v_lock_key\s*,\s*\(\s*p_check_in\s*-\s*DATE\s+'1970-01-01'\s*\)\s*\+\s*v_night\s*\)\s*;/;

/** hotel_book() as installed by the migrations, renamed and with its lock loop emptied. */
async function createLockFreeCopy(client: pg.Client): Promise<void> {
  const [row] = (await client.query<{ def: string }>(`SELECT pg_get_functiondef('hotel_book'::regproc) AS def`)).rows;
  const definition = row?.def ?? "";
  if (!LOCK_LOOP.test(definition)) throw new Error("hotel_book() no longer has the expected lock loop: update bench/overhead.ts");
  const copy = definition.replace(/FUNCTION\s+((?:"?\w+"?\.)?)"?hotel_book"?\s*\(/, "FUNCTION $1hotel_book_nolock(").replace(LOCK_LOOP, "NULL;");
  await client.query(copy);
}

/** `n` calls alternating locked (even) and lock-free (odd), after a few of each to warm up. */
async function alternate(n: number, maxSeconds: number, call: (index: number, locked: boolean) => Promise<unknown>): Promise<OverheadPair> {
  for (let i = 0; i < 20; i++) await call(-1 - i, i % 2 === 0);
  const withLocks = new Histogram();
  const withoutLocks = new Histogram();
  const driver = new LoadDriver(
    { concurrency: 1, count: n, durationMs: maxSeconds * 1000 },
    async (index) => (await call(index, index % 2 === 0), { operation: "book", outcome: OUTCOME.accepted, status: null, lockWaitMs: Number.NaN }),
    (result) => (result.index % 2 === 0 ? withLocks : withoutLocks).record(result.endedAt - result.startedAt),
  );
  await driver.run();
  const withLocksMs = { count: withLocks.count, ...withLocks.percentiles() };
  const withoutLocksMs = { count: withoutLocks.count, ...withoutLocks.percentiles() };
  return { withLocksMs, withoutLocksMs, overheadP50Ms: withLocksMs.p50 - withoutLocksMs.p50 };
}

export async function measureOverhead(baseUrl: string, n: number, maxSeconds: number): Promise<OverheadResult> {
  // Each pair books its own night; warm-up calls book a third one.
  const night = (offset: number): string => formatDate(addDays(parseDate(CHECK_IN, "check-in"), offset));
  const nightOf = (pairNight: number, index: number): string => (index < 0 ? night(2) : night(pairNight));
  return withScratch(baseUrl, async (scratch) => {
    await createInventory(scratch, { tiers: [{ name: "standard", prefix: "STA", capacity: n + 20 }], checkIn: CHECK_IN, warmUpRequests: 0, prefill: 0, historyNights: 0 });
    await withPg(sessionUrl(scratch.databaseUrl, scratch.name), async (client) => {
      await createLockFreeCopy(client);
      await client.query(LIMIT_DDL);
    });

    const db = await openDatabase({ databaseUrl: scratch.databaseUrl, schema: scratch.name, poolSize: 1 });
    const hotel: Hotel = { prisma: db.prisma, schema: scratch.name, property: "main", actor: "bench" };
    let corePrisma: OverheadPair;
    try {
      // As book() calls it; the lock-free copy differs only in the lock loop.
      corePrisma = await alternate(n, maxSeconds, (index, locked) => {
        const day = nightOf(0, index);
        return callOperation(hotel, locked ? "hotel_book" : "hotel_book_nolock", [MAIN, "standard", `overhead-${index}`, day, day1(day), null, 5000, null, "bench"], BOOK_CASTS);
      });
    } finally {
      await db.close();
    }

    const client = new pg.Client({ connectionString: sessionUrl(scratch.databaseUrl, scratch.name) });
    client.on("error", () => undefined);
    await client.connect();
    try {
      const coreNodePg = await alternate(n, maxSeconds, (index, locked) =>
        client.query({
          name: locked ? "book_locked" : "book_nolock",
          text: `SELECT * FROM ${locked ? "hotel_book" : "hotel_book_nolock"}(${MAIN}, 'standard', $1, $2::date, $2::date + 1, NULL, 5000, NULL, 'bench')`,
          values: [`overhead-${index}`, nightOf(1, index)],
        }),
      );
      const limit = await alternate(n, maxSeconds, (index, locked) =>
        client.query(
          `BEGIN; ${locked ? `SELECT pg_advisory_xact_lock(1, ${FLASH_NIGHT_KEY}); ` : ""}INSERT INTO ${LIMIT_TABLE} (night, guest) VALUES (${FLASH_NIGHT_KEY}, 'limit-${index}'); COMMIT`,
        ),
      );
      return { corePrisma, coreNodePg, limit };
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}
