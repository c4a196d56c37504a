import pg from "pg";
import type { TestDatabase } from "./db.js";
import { waitFor } from "./cli.js";

/**
 * A pg session holding the booking lock of one (tier, night) in an open
 * transaction, as a slow booking would. The key is the core's
 * (see hotel_book() in prisma/migrations): change it here when that changes.
 */
export async function holdNightLock(db: TestDatabase, tier: string, night: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query("BEGIN");
  const { rowCount } = await client.query(
    `SELECT pg_advisory_xact_lock(t.id, ($2::date - DATE '1970-01-01')::int) FROM tiers t WHERE t.name = $1`,
    [tier, night],
  );
  if (rowCount !== 1) throw new Error(`holdNightLock: no tier "${tier}"`);
  return {
    async release() {
      await client.query("ROLLBACK");
      await client.end();
    },
  };
}

/** Sessions of this database waiting for an advisory lock (a booking blocked on its nights). */
export async function advisoryLockWaiters(db: TestDatabase): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
    [db.name],
  );
  return rows[0]?.n ?? 0;
}

/** Polls until some session of this database waits for an advisory lock. */
export const untilLockWaiter = (db: TestDatabase, what = "a booking to wait for its night lock"): Promise<void> =>
  waitFor(async () => (await advisoryLockWaiters(db)) > 0, 15_000, what);

/**
 * Polls until no other session of this database is running a statement that
 * matches `pattern` (e.g. a booking whose client went away, which PostgreSQL
 * finishes on its own), so that what it wrote, if anything, is visible.
 */
export const untilNoneRunning = (db: TestDatabase, pattern: string): Promise<void> =>
  waitFor(
    async () => {
      const rows = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle' AND query LIKE $2`,
        [db.name, `%${pattern}%`],
      );
      return (rows[0]?.n ?? 0) === 0;
    },
    15_000,
    `no session running ${pattern}`,
  );
