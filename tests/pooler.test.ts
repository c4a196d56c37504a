import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { book, BOOKING_STRATEGIES, type BookingStrategy } from "../src/core/book.js";
import type { BookingOutcome } from "../src/core/booking.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { localMigrations, MIGRATE_LOCK_KEY, migrate } from "../src/db/migrate.js";
import { waitFor } from "./support/cli.js";
import { bookedPerNight, createTestDatabase, createTier, hotelOf, serverUrl, type TestDatabase } from "./support/db.js";
import { type PgBouncer, startPgBouncer } from "./support/pgbouncer.js";
import { holdNightLock } from "./support/sessions.js";

// Everything here goes through a real PgBouncer in transaction pooling mode
// (tests/support/pgbouncer.ts), where no session state survives from one
// transaction to the next.

let bouncer: PgBouncer;

beforeAll(async () => {
  bouncer = await startPgBouncer(serverUrl());
});
afterAll(async () => bouncer?.stop());

async function viaBouncer<T>(target: string, work: (client: pg.Client) => Promise<T>, config: pg.ClientConfig = {}): Promise<T> {
  const client = new pg.Client({ ...config, connectionString: bouncer.url(target) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Advisory locks held or awaited in one database, on any server connection. */
const advisoryLocks = async (db: TestDatabase, granted: boolean): Promise<number> =>
  (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND granted = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [granted],
    )
  )[0]?.n ?? -1;

describe("PgBouncer 1.18 in transaction mode (facts hotel is built on)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => db?.drop());

  it("refuses the libpq options startup parameter and honours application_name", async () => {
    await expect(viaBouncer(db.url, async () => undefined, { options: "-c search_path=elsewhere" })).rejects.toThrow(/unsupported startup parameter: options/);
    const name = await viaBouncer(db.url, async (client) => (await client.query("SELECT current_setting('application_name') AS name")).rows[0]?.name, {
      application_name: "hotel-pooler-probe",
    });
    expect(name).toBe("hotel-pooler-probe");
  });

  it("hotel's own connection URL carries no options, so a stock PgBouncer accepts it", async () => {
    const app = await openDatabase({ databaseUrl: bouncer.url(db.url), poolSize: 2 });
    try {
      expect(new URL(app.url).searchParams.has("options")).toBe(false);
      expect(await app.prisma.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    } finally {
      await app.close();
    }
  });
});

describe("hotel db migrate through PgBouncer", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => db?.drop());

  it("three migrators at once apply each migration exactly once; again, nothing; no advisory lock is left on a server connection", async () => {
    const names = localMigrations().map((m) => m.name);
    const results = await Promise.all([0, 1, 2].map(() => viaBouncer(db.url, (client) => migrate(client))));
    expect(results.flat().sort()).toEqual(names);
    expect(await viaBouncer(db.url, (client) => migrate(client))).toEqual([]);
    const ledger = await db.query<{ migration_name: string }>(`SELECT migration_name FROM _prisma_migrations ORDER BY migration_name`);
    expect(ledger.map((row) => row.migration_name)).toEqual(names);
    expect(await advisoryLocks(db, true)).toBe(0);
  });

  it("migrates a named schema (SET LOCAL search_path), and gives up BUSY naming a direct session that holds Prisma's lock", async () => {
    await db.query(`CREATE SCHEMA hotel_pooled`);
    const holder = new pg.Client({ connectionString: db.url, application_name: "prisma-migrate-elsewhere" });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
      const pid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
      const failure = await viaBouncer(db.url, (client) => migrate(client, { schema: "hotel_pooled", lockWaitMs: 300 })).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: "BUSY", message: expect.stringContaining(`pid ${pid} (application "prisma-migrate-elsewhere"`) });
    } finally {
      await holder.end();
    }
    expect(await viaBouncer(db.url, (client) => migrate(client, { schema: "hotel_pooled" }))).toEqual(localMigrations().map((m) => m.name));
    const tables = await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'hotel_pooled'`);
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["_prisma_migrations", "bookings", "suites", "tiers"]));
    expect(await advisoryLocks(db, true)).toBe(0);
    await db.query(`DROP SCHEMA hotel_pooled CASCADE`);
  });
});

describe("booking through PgBouncer with the existing core", () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await openDatabase({ databaseUrl: bouncer.url(testDb.url), poolSize: 20 });
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const fire = (tier: string, count: number, strategy: BookingStrategy): Promise<BookingOutcome[]> =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        book(hotelOf(db), { tier, guestName: `${tier} guest ${i}`, checkIn: "2031-05-01", checkOut: "2031-05-03" }, { strategy }),
      ),
    );

  for (const strategy of BOOKING_STRATEGIES) {
    it(`20 racing bookings for 10 suites: exactly 10 accepted on 10 distinct suites (${strategy})`, async () => {
      const tier = `pooled-${strategy}`;
      await createTier(testDb, tier, 10, strategy === "locked" ? "L" : "I");
      const results = await fire(tier, 20, strategy);
      expect(results.filter((r) => r.outcome === "accepted")).toHaveLength(10);
      expect(results.filter((r) => r.outcome === "refused")).toHaveLength(10);
      expect(await bookedPerNight(testDb, tier)).toEqual({ "2031-05-01": 10, "2031-05-02": 10 });
      const suites = await testDb.query(
        `SELECT DISTINCT b.suite_id FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = $1 AND b.status = 'confirmed'`,
        [tier],
      );
      expect(suites).toHaveLength(10);
    });
  }
});

describe("interrupting a command through PgBouncer", () => {
  // Its own database, so its own PgBouncer pool: PgBouncer 1.18 forwards a
  // cancel on a new server connection of the client's pool and drops the
  // cancel when that pool is full ("closing because: too many servers in the pool").
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => testDb?.drop());

  it("close() cancels a booking waiting for a night lock on the server, through the pooler", async () => {
    await createTier(testDb, "pooled-cancel", 1, "X");
    const holder = await holdNightLock(testDb, "pooled-cancel", "2031-06-01");
    const own = await openDatabase({ databaseUrl: bouncer.url(testDb.url), poolSize: 2 });
    try {
      const waiting = book(hotelOf(own), { tier: "pooled-cancel", guestName: "Waits", checkIn: "2031-06-01", checkOut: "2031-06-02" }, { lockTimeoutMs: 60_000 });
      const settled = waiting.then(
        () => "settled",
        () => "settled",
      );
      await waitFor(async () => (await advisoryLocks(testDb, false)) === 1, 15_000, "the booking to wait for the night lock");
      await own.close();
      // Cancelled on the server: the wait ends now, not when the 60 s lock timeout would.
      await waitFor(async () => (await advisoryLocks(testDb, false)) === 0, 5000, "the server to cancel the waiting booking");
      expect(await settled).toBe("settled");
      // PgBouncer 1.18 survives the cancel (src/db/cancel.ts) and serves on.
      expect(await viaBouncer(testDb.url, async (client) => (await client.query("SELECT 1 AS one")).rows)).toEqual([{ one: 1 }]);
    } finally {
      await own.close();
      await holder.close();
    }
    expect(await bookedPerNight(testDb, "pooled-cancel")).toEqual({});
  });
});
