import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { HotelError } from "../core/errors.js";
import { migrationsDir } from "./paths.js";

/**
 * Applies prisma/migrations/* the way `prisma migrate deploy` does, recording
 * each in `_prisma_migrations` with Prisma's checksum, so that Prisma run
 * elsewhere agrees about what is applied. Unlike Prisma, each migration and
 * its ledger row commit together: a failed migration leaves nothing behind.
 */

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export type MigrationState = "applied" | "pending" | "modified" | "failed" | "missing-locally";

export interface MigrationStatus {
  name: string;
  state: MigrationState;
  appliedAt: Date | null;
}

interface LedgerRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

// Prisma Migrate's own advisory lock key, so that `hotel db migrate` and a
// `prisma migrate deploy` elsewhere never run at the same time either.
const MIGRATE_LOCK_KEY = 72707369;

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function localMigrations(dir = migrationsDir()): LocalMigration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/**
 * The ledger of the current schema only: with a search_path such as
 * "scratch, public" an unqualified name could find another schema's ledger
 * and report that schema's migrations as applied here.
 */
async function ledger(client: pg.ClientBase): Promise<LedgerRow[]> {
  const found = await client.query<{ ledger: string | null }>(
    `SELECT to_regclass(format('%I._prisma_migrations', current_schema()))::text AS ledger`,
  );
  const table = found.rows[0]?.ledger;
  if (!table) return [];
  const result = await client.query<LedgerRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at
       FROM ${table} WHERE rolled_back_at IS NULL ORDER BY started_at`,
  );
  return result.rows;
}

function statusOf(local: LocalMigration[], rows: LedgerRow[]): MigrationStatus[] {
  const byName = new Map(rows.map((row) => [row.migration_name, row]));
  const statuses: MigrationStatus[] = local.map((migration) => {
    const row = byName.get(migration.name);
    if (!row) return { name: migration.name, state: "pending", appliedAt: null };
    if (row.finished_at === null) return { name: migration.name, state: "failed", appliedAt: null };
    const state = row.checksum === migration.checksum ? "applied" : "modified";
    return { name: migration.name, state, appliedAt: row.finished_at };
  });
  const localNames = new Set(local.map((migration) => migration.name));
  for (const row of rows) {
    if (!localNames.has(row.migration_name)) {
      statuses.push({ name: row.migration_name, state: "missing-locally", appliedAt: row.finished_at });
    }
  }
  return statuses;
}

export async function migrationStatus(client: pg.ClientBase, local = localMigrations()): Promise<MigrationStatus[]> {
  return statusOf(local, await ledger(client));
}

function refuseInconsistent(statuses: MigrationStatus[]): void {
  const modified = statuses.filter((status) => status.state === "modified").map((status) => status.name);
  if (modified.length > 0) {
    throw new HotelError(
      "MIGRATION",
      `Migration ${modified.join(", ")} was changed after it was applied (checksum differs); restore the original file`,
    );
  }
  const failed = statuses.filter((status) => status.state === "failed").map((status) => status.name);
  if (failed.length > 0) {
    throw new HotelError(
      "MIGRATION",
      `Migration ${failed.join(", ")} failed earlier and is recorded as unfinished; fix it, then mark it rolled back in _prisma_migrations`,
    );
  }
}

/**
 * Applies every pending migration in name order, each in its own transaction,
 * under Prisma's migrate lock. Returns the names applied (none when up to date).
 */
export async function migrate(client: pg.ClientBase, local = localMigrations()): Promise<string[]> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
  try {
    await client.query(LEDGER_DDL);
    const statuses = statusOf(local, await ledger(client));
    refuseInconsistent(statuses);
    const pending = new Set(statuses.filter((status) => status.state === "pending").map((status) => status.name));
    const applied: string[] = [];
    for (const migration of local.filter((candidate) => pending.has(candidate.name))) {
      await applyOne(client, migration);
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY]);
  }
}

async function applyOne(client: pg.ClientBase, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query("BEGIN");
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new HotelError("MIGRATION", `Migration ${migration.name} failed and was rolled back: ${reason}`, {
      cause: error,
    });
  }
}
