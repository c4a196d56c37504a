import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import type { Hotel } from "../../src/core/hotel.js";
import { openDatabase, type Database } from "../../src/db/database.js";
import { withDatabase } from "../../src/db/url.js";

export const serverUrl = (): string => inject("serverUrl");

export interface TestDatabase {
  /** URL of this file's own database (with password: never print it). */
  url: string;
  name: string;
  /** A pg client on it, for asserting on rows. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Opens the app's Database on it (Prisma + pg), closed by drop(). */
  open(options?: { poolSize?: number }): Promise<Database>;
  drop(): Promise<void>;
}

let adminPool: pg.Pool | undefined;

/**
 * One connection to the server's own database per worker, kept between the
 * worker's files for their CREATE and DROP DATABASE: a new backend costs the
 * server a fork, and these are two of them per file. An idle one does not
 * keep the worker alive.
 */
async function admin<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (!adminPool) {
    adminPool = new pg.Pool({ connectionString: serverUrl(), max: 1, idleTimeoutMillis: 60_000, allowExitOnIdle: true });
    adminPool.on("error", () => undefined); // the idle connection died: the next file opens another
  }
  const client = await adminPool.connect();
  let failure: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(failure); // a failed one is not reused
  }
}

/**
 * A freshly created and migrated database for one test file: a copy of the
 * run's template, which global-setup.ts migrated with the app's migrator.
 * `migrate: false` gives an empty one instead. drop() removes it.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `hotel_test_${randomBytes(6).toString("hex")}`;
  const template = options.migrate === false ? "" : ` TEMPLATE "${inject("templateDatabase")}"`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"${template}`));
  const url = withDatabase(serverUrl(), name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // DROP DATABASE ... WITH (FORCE) may terminate a connection a test left open.
  pool.on("error", () => undefined);
  const opened: Database[] = [];
  return {
    url,
    name,
    async query(sql, params) {
      return (await pool.query(sql, params)).rows;
    },
    async open(openOptions = {}) {
      const db = await openDatabase({ databaseUrl: url, poolSize: openOptions.poolSize ?? 25 });
      opened.push(db);
      return db;
    },
    async drop() {
      await Promise.all(opened.map((db) => db.close()));
      await pool.end();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/**
 * This file's own freshly migrated database, created before its tests and
 * dropped after them: `const db = useTestDatabase();` at the top of a file.
 * Usable inside tests and hooks (not while the file is being collected).
 */
export function useTestDatabase(options: { migrate?: boolean } = {}): TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(options);
  });
  afterAll(async () => current?.drop());
  const get = (): TestDatabase => {
    if (!current) throw new Error("the test database exists only inside tests and hooks");
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get name() {
      return get().name;
    },
    query: (sql, params) => get().query(sql, params),
    open: (openOptions) => get().open(openOptions),
    drop: () => get().drop(),
  };
}

/** Tier with `count` suites numbered <prefix>001.. (returns the suite numbers). */
export async function createTier(db: TestDatabase, tier: string, count: number, prefix = tier.slice(0, 1).toUpperCase()): Promise<string[]> {
  const rows = await db.query<{ number: string }>(
    `WITH t AS (INSERT INTO tiers (property_id, name) VALUES (1, $1) RETURNING id)
     INSERT INTO suites (property_id, number, tier_id)
     SELECT 1, $2 || lpad(g::text, 3, '0'), t.id FROM t, generate_series(1, $3::int) g
     RETURNING number`,
    [tier, prefix, count],
  );
  return rows.map((row) => row.number).sort();
}

/** Confirmed bookings per night of one tier: { "2031-03-01": 3, ... }. */
export async function bookedPerNight(db: TestDatabase, tier: string): Promise<Record<string, number>> {
  const rows = await db.query<{ night: string; booked: number }>(
    `SELECT to_char(n, 'YYYY-MM-DD') AS night, count(*)::int AS booked
       FROM bookings b JOIN tiers t ON t.id = b.tier_id,
            generate_series(b.check_in, b.check_out - 1, interval '1 day') n
      WHERE t.name = $1 AND b.status = 'confirmed'
      GROUP BY n ORDER BY n`,
    [tier],
  );
  return Object.fromEntries(rows.map((row) => [row.night, row.booked]));
}

/**
 * The URL with a password in it, and that password, for proving a password
 * is never printed: the server's own when it has one (the embedded default),
 * else a made-up one, which trust authentication ignores.
 */
export function urlWithSecret(raw: string, madeUp = "pw-s3cret-never-printed"): { url: string; secret: string } {
  const url = new URL(raw);
  if (url.password === "") url.password = madeUp;
  return { url: url.toString(), secret: decodeURIComponent(url.password) };
}

/** The core's context on a test database: the default property, acted on by "test". */
export const hotelOf = (db: Database, actor = "test"): Hotel => ({ prisma: db.prisma, schema: db.schema, property: "main", actor });

/** A fresh migrated database for a test file, the app's Database on it, and the core's context. */
export async function openHotelDatabase(options: { poolSize?: number; actor?: string } = {}): Promise<{ testDb: TestDatabase; db: Database; hotel: Hotel }> {
  const testDb = await createTestDatabase();
  const db = await testDb.open({ poolSize: options.poolSize ?? 25 });
  return { testDb, db, hotel: hotelOf(db, options.actor) };
}
