import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { HotelError } from "../core/errors.js";
import { sqlStateOf } from "../core/sqlstate.js";
import { describeLockHolders } from "./lock-holders.js";
import { migrationsDir } from "./paths.js";

/**
 * Applies prisma/migrations/* the way `prisma migrate deploy` does, recording
 * each in `_prisma_migrations` with Prisma's checksum, so that Prisma run
 * elsewhere agrees about what is applied. Unlike Prisma, each migration and
 * its ledger row commit together: a failed migration leaves nothing behind.
 *
 * No session state is needed, so the migrator works through a pooler in
 * transaction mode (PgBouncer `pool_mode = transaction`), where consecutive
 * transactions of one client may run on different server connections: each
 * migration is one transaction that takes Prisma's migrate lock as a
 * transaction lock, sets its own search_path, re-reads the ledger under the
 * lock, applies the migration and writes its ledger row.
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

export interface MigrateOptions {
  /** The migrations to apply; default: prisma/migrations. */
  local?: LocalMigration[];
  /**
   * Migrate this schema (ledger included) instead of the connection's current
   * schema. Each transaction sets search_path to it alone (`SET LOCAL`), since
   * a pooler does not keep a session's search_path from one transaction to
   * the next; functions created `SET search_path FROM CURRENT` then see this
   * schema only. Extensions the migrations need (btree_gist) must already be
   * installed elsewhere, or they land in this schema.
   */
  schema?: string;
  /** Longest wait for the migrate lock before giving up with BUSY (exit 75). */
  lockWaitMs?: number;
}

interface LedgerRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Prisma Migrate's own advisory lock key (`pg_advisory_lock(72707369)`, a
 * session lock). We take the same key as a transaction lock: session and
 * transaction locks on one key exclude each other, so `hotel db migrate` and
 * a `prisma migrate deploy` elsewhere never run at the same time either.
 */
export const MIGRATE_LOCK_KEY = 72707369;
export const DEFAULT_MIGRATE_LOCK_WAIT_MS = 10_000;

/** Prisma's ledger table, created under the migrate lock if missing. */
const ledgerDdl = (table: string): string => `CREATE TABLE IF NOT EXISTS ${table} (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

const LEDGER_COLUMNS = "migration_name, checksum, finished_at, rolled_back_at";

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
 * The ledger of the target schema only (the given one, else the current
 * schema), named explicitly: with a search_path such as "scratch, public" an
 * unqualified name could find another schema's ledger. `undefined` when the
 * schema has no ledger yet.
 */
async function ledger(client: pg.ClientBase, schema: string | undefined): Promise<LedgerRow[] | undefined> {
  const found = await client.query<{ ledger: string | null }>(
    `SELECT to_regclass(format('%I._prisma_migrations', coalesce($1::text, current_schema())))::text AS ledger`,
    [schema ?? null],
  );
  const table = found.rows[0]?.ledger;
  if (!table) return undefined;
  return readLedger(client, table);
}

async function readLedger(client: pg.ClientBase, table: string): Promise<LedgerRow[]> {
  const result = await client.query<LedgerRow>(`SELECT ${LEDGER_COLUMNS} FROM ${table} WHERE rolled_back_at IS NULL ORDER BY started_at`);
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

export async function migrationStatus(client: pg.ClientBase, options: Pick<MigrateOptions, "local" | "schema"> = {}): Promise<MigrationStatus[]> {
  return statusOf(options.local ?? localMigrations(), (await ledger(client, options.schema)) ?? []);
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

const firstPending = (local: LocalMigration[], statuses: MigrationStatus[]): LocalMigration | undefined => {
  const pending = new Set(statuses.filter((status) => status.state === "pending").map((status) => status.name));
  return local.find((migration) => pending.has(migration.name));
};

/**
 * Applies every pending migration in name order, each in its own transaction
 * under Prisma's migrate lock. Returns the names applied (none when up to
 * date). Waits at most `lockWaitMs` for another migrator, then throws BUSY
 * naming the session that holds the lock.
 */
export async function migrate(client: pg.ClientBase, options: MigrateOptions = {}): Promise<string[]> {
  const local = options.local ?? localMigrations();
  // Up to date (the common case, on every start of the embedded server): no lock needed.
  const current = await ledger(client, options.schema);
  if (current) {
    const statuses = statusOf(local, current);
    refuseInconsistent(statuses);
    if (!firstPending(local, statuses)) return [];
  }
  const applied: string[] = [];
  for (;;) {
    const name = await applyNext(client, local, options);
    if (name === undefined) return applied;
    applied.push(name);
  }
}

/** One transaction: lock, re-read the ledger, apply the first pending migration with its ledger row. */
async function applyNext(client: pg.ClientBase, local: LocalMigration[], options: MigrateOptions): Promise<string | undefined> {
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_MIGRATE_LOCK_WAIT_MS;
  // One round trip; SET LOCAL ends with the transaction, so nothing leaks to
  // the next user of a pooled server connection.
  const schemaPath = options.schema === undefined ? "" : `; SET LOCAL search_path TO ${client.escapeIdentifier(options.schema)}`;
  await client.query(`BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockWaitMs))}ms'${schemaPath}`);
  try {
    await takeMigrateLock(client, lockWaitMs);
    // Under the lock the ledger is created if missing and read by name, never
    // through to_regclass(): a lookup that takes no lock can answer from this
    // backend's catalog cache, which may not yet know the ledger another
    // migrator created and committed while we waited.
    const table = await ledgerTable(client, options.schema);
    await client.query(ledgerDdl(table));
    const rows = await readLedger(client, table);
    const statuses = statusOf(local, rows);
    refuseInconsistent(statuses);
    const next = firstPending(local, statuses);
    if (next) await applyOne(client, table, next);
    await client.query("COMMIT");
    return next?.name;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    if (error instanceof MigrateLockTimeout) throw await migrateLockBusy(client, lockWaitMs);
    throw error;
  }
}

class MigrateLockTimeout extends Error {}

async function takeMigrateLock(client: pg.ClientBase, lockWaitMs: number): Promise<void> {
  try {
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATE_LOCK_KEY]);
  } catch (error) {
    if (sqlStateOf(error) === "55P03") throw new MigrateLockTimeout(`migrate lock not granted within ${lockWaitMs} ms`, { cause: error });
    throw error;
  }
  // The bound is for the migrate lock only: a migration's own DDL waits for
  // its tables as the server is configured to.
  await client.query("SET LOCAL lock_timeout TO DEFAULT");
}

/** The ledger's qualified name: in `schema` (which must exist), else in the current schema. */
async function ledgerTable(client: pg.ClientBase, schema: string | undefined): Promise<string> {
  const { rows } = await client.query<{ current: string | null }>("SELECT current_schema() AS current");
  const current = rows[0]?.current ?? null;
  // SET LOCAL search_path names the schema; current_schema() skips a schema that does not exist.
  if (schema !== undefined && current !== schema) throw new HotelError("CONFIG", `Schema "${schema}" does not exist: create it before migrating it`);
  if (current === null) throw new HotelError("CONFIG", "No schema to migrate: the search_path names no existing schema");
  return `${client.escapeIdentifier(current)}."_prisma_migrations"`;
}

async function migrateLockBusy(client: pg.ClientBase, lockWaitMs: number): Promise<HotelError> {
  const holders = await describeLockHolders(client, MIGRATE_LOCK_KEY).catch(() => []);
  const waited = `${Math.round(lockWaitMs / 100) / 10} s`;
  const who = holders.length > 0 ? `held by ${holders.join("; ")}` : "held by another session (which has just let go)";
  return new HotelError(
    "BUSY",
    `Another migration is running: the migrate lock (advisory key ${MIGRATE_LOCK_KEY}) is ${who}; gave up after waiting ${waited}. Retry when it has finished, or wait longer with --lock-wait`,
    { retryAfter: Math.max(1, Math.ceil(lockWaitMs / 1000)), details: { holders } },
  );
}

async function applyOne(client: pg.ClientBase, table: string, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  try {
    await client.query(
      `INSERT INTO ${table} (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(
      `UPDATE ${table} SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HotelError("MIGRATION", `Migration ${migration.name} failed and was rolled back: ${reason}`, {
      cause: error,
    });
  }
}
