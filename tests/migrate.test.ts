import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withConnection } from "../src/db/database.js";
import { localMigrations, MIGRATE_LOCK_KEY, migrate, migrationStatus } from "../src/db/migrate.js";
import { migrationsDir } from "../src/db/paths.js";
import { waitFor } from "./support/cli.js";
import { createTestDatabase, type TestDatabase } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";

/** Migrated once; the tests below only read its ledger or fail to change it. */
let db: TestDatabase;
/** Holds btree_gist (in public) and nothing else: each schema test migrates a schema of its own into it. */
let schemasDb: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  schemasDb = await createTestDatabase({ migrate: false });
  await schemasDb.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
});
afterAll(async () => Promise.all([db?.drop(), schemasDb?.drop()]));

const withClient = <T>(work: (client: pg.Client) => Promise<T>, url = db.url): Promise<T> => withConnection(url, work);

describe("hotel db migrate", () => {
  it("three concurrent migrations apply each migration exactly once", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const one = (): Promise<string[]> => withClient((c) => migrate(c), fresh.url);
      const results = await Promise.all([one(), one(), one()]);
      const names = localMigrations().map((m) => m.name);
      expect(results.flat().sort()).toEqual(names);
      const rows = await fresh.query(`SELECT migration_name FROM _prisma_migrations ORDER BY migration_name`);
      expect(rows.map((r) => r.migration_name)).toEqual(names);
    } finally {
      await fresh.drop();
    }
  });

  it("records migrations the way Prisma does: uuid id, sha256 checksum of migration.sql, finished_at, one step", async () => {
    const rows = await db.query(
      `SELECT id, checksum, migration_name, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
    );
    for (const row of rows) {
      const sql = readFileSync(path.join(migrationsDir(), row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    const columns = await db.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      "id", "checksum", "finished_at", "migration_name", "logs", "rolled_back_at", "started_at", "applied_steps_count",
    ]);
  });

  it("migrating again is a no-op", async () => {
    const before = await db.query(`SELECT id, finished_at FROM _prisma_migrations ORDER BY id`);
    expect(await withClient((c) => migrate(c))).toEqual([]);
    expect(await db.query(`SELECT id, finished_at FROM _prisma_migrations ORDER BY id`)).toEqual(before);
  });

  it("reports a migration whose file changed after it was applied, and refuses to continue", async () => {
    const local = localMigrations().map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: "0".repeat(64) } : m));
    const status = await withClient((c) => migrationStatus(c, { local }));
    expect(status[0]?.state).toBe("modified");
    await expect(withClient((c) => migrate(c, { local }))).rejects.toMatchObject({ code: "MIGRATION" });
  });

  it("a failing migration rolls back completely and is not recorded", async () => {
    const broken = [...localMigrations(), { name: "99999999999999_broken", sql: "CREATE TABLE half_done (id int); SELECT 1/0;", checksum: "f".repeat(64) }];
    await expect(withClient((c) => migrate(c, { local: broken }))).rejects.toMatchObject({ code: "MIGRATION", message: expect.stringMatching(/99999999999999_broken failed.*division by zero/) });
    expect(await db.query(`SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '99999999999999_broken'`)).toEqual([{ n: 0 }]);
    const status = await withClient((c) => migrationStatus(c, { local: broken }));
    expect(status.at(-1)).toEqual({ name: "99999999999999_broken", state: "pending", appliedAt: null });
  });
});

/** A session holding Prisma's migrate lock the way `prisma migrate deploy` does (a session lock). */
async function holdMigrateLock(url: string, applicationName: string): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on("error", () => undefined); // a failed test's drop() may end it first
  await client.connect();
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
  const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid ?? -1;
  return { pid, release: () => client.end() };
}

/** application_name of each session waiting for an advisory lock in `target`'s database. */
const advisoryWaiters = (target: TestDatabase): Promise<{ application: string }[]> =>
  target.query(
    `SELECT a.application_name AS application FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND NOT l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );

const tablesOf = async (target: TestDatabase): Promise<string[]> =>
  (await target.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).map((row) => row.name);

const tablesIn = async (schema: string): Promise<string[]> =>
  (await schemasDb.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])).map((row) => row.name);

describe("a migrator that waited for the lock", () => {
  it("reads the ledger another migrator created while it waited (not a stale catalog cache) and applies nothing twice", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    const first = new pg.Client({ connectionString: fresh.url });
    const second = new pg.Client({ connectionString: fresh.url });
    first.on("error", () => undefined);
    await Promise.all([first.connect(), second.connect()]);
    try {
      // The second one has looked for the ledger before, when it was missing.
      expect((await migrationStatus(second)).every((m) => m.state === "pending")).toBe(true);
      await first.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
      const waiting = migrate(second);
      await waitFor(async () => (await advisoryWaiters(fresh)).length === 1, 15_000, "the second migrator to wait");
      // Meanwhile another tool (Prisma, say) records every migration as applied,
      // creating the ledger with a handful of catalog changes.
      await first.query(`CREATE TABLE "_prisma_migrations" (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL,
        finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
      for (const m of localMigrations()) {
        await first.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) VALUES (gen_random_uuid(), $1, $2, now(), 1)`, [
          m.checksum,
          m.name,
        ]);
      }
      await first.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY]);
      expect(await waiting).toEqual([]);
      expect(await fresh.query(`SELECT count(*)::int AS n FROM _prisma_migrations`)).toEqual([{ n: localMigrations().length }]);
      expect(await tablesOf(fresh)).toEqual(["_prisma_migrations"]);
    } finally {
      await Promise.all([first.end(), second.end()]);
      await fresh.drop();
    }
  });
});

describe("the migrator needs no session", () => {
  it("migrates a named schema with SET LOCAL only: tables and ledger land there, the connection keeps no search_path, lock_timeout or lock", async () => {
    await schemasDb.query(`CREATE SCHEMA hotel_named`);
    await withClient(async (client) => {
      expect(await migrate(client, { schema: "hotel_named" })).toEqual(localMigrations().map((m) => m.name));
      const session = await client.query(
        `SELECT current_setting('search_path') AS search_path, current_setting('lock_timeout') AS lock_timeout,
                (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory_locks`,
      );
      expect(session.rows).toEqual([{ search_path: '"$user", public', lock_timeout: "0", advisory_locks: 0 }]);
      expect((await migrationStatus(client, { schema: "hotel_named" })).map((m) => m.state)).toEqual(localMigrations().map(() => "applied"));
      expect(await migrate(client, { schema: "hotel_named" })).toEqual([]);
    }, schemasDb.url);
    expect(await tablesIn("hotel_named")).toEqual(expect.arrayContaining(["_prisma_migrations", "bookings", "suites", "tiers"]));
    // Functions created `SET search_path FROM CURRENT` took the schema alone from SET LOCAL.
    const paths = await schemasDb.query<{ config: string }>(
      `SELECT DISTINCT unnest(proconfig) AS config FROM pg_proc WHERE pronamespace = 'hotel_named'::regnamespace AND proconfig IS NOT NULL`,
    );
    const searchPaths = paths.map(({ config }) => config).filter((config) => config.startsWith("search_path="));
    expect(searchPaths.length).toBeGreaterThan(0);
    for (const config of searchPaths) expect(config).toMatch(/^search_path="?hotel_named"?$/);
    expect(await tablesIn("public")).toEqual([]);
    await schemasDb.query(`DROP SCHEMA hotel_named CASCADE`);
  });

  it("refuses a schema that does not exist", async () => {
    await expect(withClient((client) => migrate(client, { schema: "hotel_no_such_schema" }), schemasDb.url)).rejects.toMatchObject({
      code: "CONFIG",
      message: expect.stringContaining(`Schema "hotel_no_such_schema" does not exist`),
    });
    expect(await tablesIn("public")).toEqual([]);
  });
});

describe("the migrate lock wait is bounded", () => {
  it("a migrator waits lockWaitMs for a session holding Prisma's lock, then fails BUSY naming pid, application, client and hold time", async () => {
    await schemasDb.query(`CREATE SCHEMA hotel_locked`);
    const holder = await holdMigrateLock(schemasDb.url, "prisma-migrate-holder");
    try {
      const started = performance.now();
      const failure = await withClient((client) => migrate(client, { schema: "hotel_locked", lockWaitMs: 400 }), schemasDb.url).catch((error: unknown) => error);
      const waitedMs = performance.now() - started;
      expect(failure).toMatchObject({ code: "BUSY", retryAfter: 1 });
      const message = (failure as Error).message;
      expect(message).toContain(`pid ${holder.pid} (application "prisma-migrate-holder", client `);
      expect(message).toMatch(/client (\d+\.\d+\.\d+\.\d+:\d+|[0-9a-f:]+:\d+|local socket), holding it for about \d+ s\)/);
      expect(message).toContain("gave up after waiting 0.4 s");
      expect(waitedMs).toBeGreaterThanOrEqual(350);
      expect(waitedMs).toBeLessThan(10_000);
      expect(await tablesIn("hotel_locked")).toEqual([]);
    } finally {
      await holder.release();
    }
    await withClient((client) => migrate(client, { schema: "hotel_locked", lockWaitMs: 400 }), schemasDb.url);
    expect(await tablesIn("hotel_locked")).toContain("bookings");
    await schemasDb.query(`DROP SCHEMA hotel_locked CASCADE`);
  });

  it("while another migrator holds the lock `hotel db migrate --lock-wait 300` exits 75 naming it; once it lets go, a waiting CLI applies everything", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const holder = await holdMigrateLock(fresh.url, "other-migrator");
      let busy;
      try {
        busy = await runInProcess(["db", "migrate", "--lock-wait", "300", "--json", "--database-url", fresh.url]);
      } finally {
        await holder.release();
      }
      expect(busy.code).toBe(75);
      const body = JSON.parse(busy.stdout) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({ code: "BUSY", message: expect.stringContaining(`pid ${holder.pid} (application "other-migrator"`) });
      expect(await fresh.query(`SELECT to_regclass('_prisma_migrations') AS ledger`)).toEqual([{ ledger: null }]);

      const waiting = await holdMigrateLock(fresh.url, "short-migrator");
      const second = runInProcess(["db", "migrate", "--json", "--database-url", fresh.url], { env: { HOTEL_MIGRATE_LOCK_WAIT_MS: "20000" } });
      await waitFor(async () => (await advisoryWaiters(fresh)).length === 1, 15_000, "the CLI to wait for the migrate lock");
      // A hotel migrator names itself, so that the next one's message says who holds the lock.
      expect(await advisoryWaiters(fresh)).toEqual([{ application: "hotel" }]);
      await waiting.release();
      const done = await second;
      expect(done.code).toBe(0);
      expect(JSON.parse(done.stdout).applied).toEqual(localMigrations().map((m) => m.name));
    } finally {
      await fresh.drop();
    }
  });
});

describe("hotel db migrate --direct-url", () => {
  it("migrates over --direct-url (or DIRECT_DATABASE_URL) and never connects to --database-url", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    const unreachable = "postgresql://nobody@127.0.0.1:1/nowhere";
    try {
      const viaFlag = await runInProcess(["db", "migrate", "--json", "--database-url", unreachable, "--direct-url", fresh.url]);
      expect(viaFlag.code).toBe(0);
      expect(JSON.parse(viaFlag.stdout).applied).toEqual(localMigrations().map((m) => m.name));
      const viaEnv = await runInProcess(["db", "migrate", "--json", "--database-url", unreachable], { env: { DIRECT_DATABASE_URL: fresh.url } });
      expect(viaEnv.code).toBe(0);
      expect(JSON.parse(viaEnv.stdout).applied).toEqual([]);
    } finally {
      await fresh.drop();
    }
  });

  it("a malformed --direct-url is a configuration error and a bad --lock-wait an input error, before anything connects", async () => {
    const malformed = await runInProcess(["db", "migrate", "--json", "--direct-url", "postgresql://u:pw-s3cret@host:notaport/db"]);
    expect(malformed.code).toBe(78);
    expect(malformed.stdout + malformed.stderr).not.toContain("pw-s3cret");
    const badWait = await runInProcess(["db", "migrate", "--json", "--lock-wait", "soon", "--direct-url", db.url]);
    expect(badWait.code).toBe(65);
    expect(JSON.parse(badWait.stdout).error.message).toContain("lock wait (ms) must be a whole number");
  });
});
