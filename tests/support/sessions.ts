import pg from "pg";
import { waitFor } from "./cli.js";
import type { TestDatabase } from "./db.js";

/** A connection with an open transaction, for holding locks while a test races something against it. */
export interface Session {
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The backend's pid, e.g. to terminate it. */
  pid: number;
  commit(): Promise<void>;
  /** Ends the connection whatever state it is in (rolls back). */
  close(): Promise<void>;
  /** The same as close(): lets the held locks go without committing anything. */
  release(): Promise<void>;
}

export async function openSession(db: Pick<TestDatabase, "url">): Promise<Session> {
  const client = new pg.Client({ connectionString: db.url });
  client.on("error", () => undefined);
  await client.connect();
  await client.query("BEGIN");
  const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid ?? 0;
  let open = true;
  const close = async (): Promise<void> => {
    if (!open) return;
    open = false;
    await client.end().catch(() => undefined);
  };
  return {
    pid,
    async query(sql, params) {
      return (await client.query(sql, params)).rows;
    },
    async commit() {
      await client.query("COMMIT");
      await close();
    },
    close,
    release: close,
  };
}

/**
 * Holds the night lock of (tier, night) of the default property, as a slow
 * booking would, until committed or released. The key is the core's
 * (tiers.lock_key and the epoch day; see prisma/migrations): change it here
 * when that changes.
 */
export async function holdNightLock(db: Pick<TestDatabase, "url">, tier: string, night: string): Promise<Session> {
  const session = await openSession(db);
  await session.query(
    `SELECT pg_advisory_xact_lock(t.lock_key, $2::date - DATE '1970-01-01') FROM tiers t JOIN properties p ON p.id = t.property_id
      WHERE p.name = 'main' AND t.name = $1`,
    [tier, night],
  );
  return session;
}

/** Backends of this database waiting for a lock of the given kind ('advisory', 'tuple', 'transactionid', ...). */
export async function lockWaiters(db: TestDatabase, kind?: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND ($2::text IS NULL OR wait_event = $2)`,
    [db.name, kind ?? null],
  );
  return rows[0]?.n ?? 0;
}

/** Polls until at least `count` backends wait for a lock (of `kind`, if given). */
export const waitForLockWaiters = (db: TestDatabase, count: number, kind?: string): Promise<void> =>
  waitFor(async () => (await lockWaiters(db, kind)) >= count, 15_000, `${count} backend(s) waiting for a ${kind ?? "any"} lock`);
