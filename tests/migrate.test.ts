import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localMigrations, migrate, migrationStatus } from "../src/db/migrate.js";
import { migrationsDir } from "../src/db/paths.js";
import { createTestDatabase, type TestDatabase } from "./support/db.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => db?.drop());

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe("hotel db migrate", () => {
  it("two concurrent migrations apply each migration exactly once", async () => {
    const results = await Promise.all([withClient((c) => migrate(c)), withClient((c) => migrate(c)), withClient((c) => migrate(c))]);
    const names = localMigrations().map((m) => m.name);
    expect(results.flat().sort()).toEqual(names);
    const rows = await db.query(`SELECT migration_name FROM _prisma_migrations ORDER BY migration_name`);
    expect(rows.map((r) => r.migration_name)).toEqual(names);
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
    const status = await withClient((c) => migrationStatus(c, local));
    expect(status[0]?.state).toBe("modified");
    await expect(withClient((c) => migrate(c, local))).rejects.toMatchObject({ code: "MIGRATION" });
  });

  it("a failing migration rolls back completely and is not recorded", async () => {
    const broken = [...localMigrations(), { name: "99999999999999_broken", sql: "CREATE TABLE half_done (id int); SELECT 1/0;", checksum: "f".repeat(64) }];
    await expect(withClient((c) => migrate(c, broken))).rejects.toMatchObject({ code: "MIGRATION", message: expect.stringMatching(/99999999999999_broken failed.*division by zero/) });
    expect(await db.query(`SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '99999999999999_broken'`)).toEqual([{ n: 0 }]);
    const status = await withClient((c) => migrationStatus(c, broken));
    expect(status.at(-1)).toEqual({ name: "99999999999999_broken", state: "pending", appliedAt: null });
  });
});
