import type { TestDatabase } from "./db.js";
import { waitFor } from "./cli.js";
import { lockWaiters } from "./sessions.js";

export { holdNightLock } from "./sessions.js";

/** Sessions of this database waiting for an advisory lock (a booking blocked on its nights). */
export const advisoryLockWaiters = (db: TestDatabase): Promise<number> => lockWaiters(db, "advisory");

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
