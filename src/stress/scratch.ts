import { randomBytes } from "node:crypto";
import pg from "pg";
import { HotelError } from "../core/errors.js";
import { sessionUrl, withConnection } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { redactSecrets, withSessionSettings } from "../db/url.js";
import { requestIndexOf, suiteNumber, type TierPlan } from "./config.js";
import type { AuditBooking, AuditSuite } from "./oracle.js";

/**
 * The scratch schema a stress run works in, so it never touches live
 * bookings: created and migrated from the same migrations as the live schema,
 * filled with a synthetic inventory, and dropped afterwards.
 */

export const SCRATCH_PREFIX = "hotel_stress_";
const CONNECT_TIMEOUT_MS = 10_000;

export interface ScratchSchema {
  name: string;
  /**
   * Every connection of the run carries this application_name, so the
   * teardown can end exactly the run's sessions (in any process) before it
   * drops the schema.
   */
  applicationName: string;
  /** The base URL plus application_name and the scratch search_path (holds the password). */
  url: string;
  /** The base URL plus application_name, for openDatabase({ schema }). */
  databaseUrl: string;
}

export function newScratchName(): string {
  return `${SCRATCH_PREFIX}${randomBytes(6).toString("hex")}`;
}

export const isScratchName = (name: string): boolean => /^hotel_stress_[0-9a-f]{12}$/.test(name);

/** A plain connection for the run's own bookkeeping, with its longer connect timeout. */
export const withPg = <T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> => withConnection(url, work, CONNECT_TIMEOUT_MS);

/**
 * Creates and migrates the schema. btree_gist is created first on a plain
 * connection, so that it lands in the default schema (public) and is not
 * dropped with the scratch schema; the migration's own CREATE EXTENSION IF NOT
 * EXISTS is then a no-op. The migrator creates its ledger table first, in the
 * scratch schema (the first on the search path), so the live ledger is never
 * read or written.
 */
export async function createScratchSchema(baseUrl: string, name: string): Promise<ScratchSchema> {
  if (!isScratchName(name)) throw new HotelError("INTERNAL", `refusing to use "${name}" as a scratch schema`);
  const databaseUrl = withSessionSettings(baseUrl, { application_name: name });
  const scratch: ScratchSchema = { name, applicationName: name, databaseUrl, url: sessionUrl(databaseUrl, name) };
  await withPg(baseUrl, async (client) => {
    await client.query("CREATE EXTENSION IF NOT EXISTS btree_gist");
    await client.query("BEGIN");
    await client.query(`CREATE SCHEMA "${name}"`);
    await client.query(`COMMENT ON SCHEMA "${name}" IS '${SCRATCH_COMMENT} ${new Date().toISOString()}'`);
    await client.query("COMMIT");
  });
  await withPg(scratch.url, async (client) => {
    const [row] = (await client.query<{ schema: string }>("SELECT current_schema() AS schema")).rows;
    if (row?.schema !== name) throw new HotelError("INTERNAL", `scratch connection works in schema ${row?.schema ?? "(none)"}, not ${name}`);
    await migrate(client);
  });
  return scratch;
}

/** Marks a scratch schema as kept on purpose, so no later sweep removes it. */
export async function markKept(baseUrl: string, name: string): Promise<void> {
  if (!isScratchName(name)) throw new HotelError("INTERNAL", `refusing to mark "${name}": not a scratch schema`);
  await withPg(baseUrl, (client) => client.query(`COMMENT ON SCHEMA "${name}" IS 'hotel stress scratch schema, kept by --keep'`));
}

/**
 * Drops the scratch schemas of runs that died without cleaning up (SIGKILL,
 * power loss): created over ABANDONED_AFTER ago, not kept, and with no
 * session of their run still connected. A live run always has sessions, and
 * the age guard covers the moment between creating a schema and connecting.
 */
export async function sweepAbandonedScratchSchemas(baseUrl: string): Promise<string[]> {
  return withPg(baseUrl, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT n.nspname AS name
         FROM pg_namespace n
        WHERE n.nspname LIKE 'hotel\\_stress\\_%'
          AND obj_description(n.oid, 'pg_namespace') LIKE $1 || ' %'
          AND substring(obj_description(n.oid, 'pg_namespace') FROM length($1) + 2)::timestamptz < now() - $2::interval
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = n.nspname)`,
      [SCRATCH_COMMENT, ABANDONED_AFTER],
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      if (!isScratchName(name)) continue;
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      dropped.push(name);
    }
    return dropped;
  });
}

const SCRATCH_COMMENT = "hotel stress scratch schema, created";
const ABANDONED_AFTER = "10 minutes";

/** The synthetic inventory: each tier with `capacity` active suites. */
export async function createInventory(scratch: ScratchSchema, tiers: readonly TierPlan[]): Promise<void> {
  await withPg(scratch.url, async (client) => {
    for (const tier of tiers) {
      const numbers = Array.from({ length: tier.capacity }, (_, j) => suiteNumber(tier, j));
      await client.query(
        `WITH t AS (INSERT INTO tiers (property_id, name) SELECT id, $1 FROM properties WHERE name = 'main' RETURNING property_id, id)
         INSERT INTO suites (property_id, number, tier_id) SELECT t.property_id, number, t.id FROM t, unnest($2::text[]) AS number`,
        [tier.name, numbers],
      );
    }
  });
}

/**
 * Ends the run's remaining sessions, then drops the schema. Safe to call when
 * the schema was never created.
 */
export async function dropScratchSchema(baseUrl: string, name: string): Promise<void> {
  if (!isScratchName(name)) throw new HotelError("INTERNAL", `refusing to drop "${name}": not a scratch schema`);
  await withPg(baseUrl, async (client) => {
    await terminateSessions(client, name);
    await client.query("SET lock_timeout = '10s'");
    await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });
}

export async function terminateSessions(client: pg.ClientBase, applicationName: string): Promise<void> {
  await client.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = $1 AND pid <> pg_backend_pid() AND datname = current_database()`,
    [applicationName],
  );
}

export async function endSessions(baseUrl: string, applicationName: string): Promise<void> {
  await withPg(baseUrl, (client) => terminateSessions(client, applicationName));
}

/** Connections this run may open without starving the server (max_connections minus what is in use). */
export async function freeConnections(baseUrl: string): Promise<number> {
  return withPg(baseUrl, async (client) => {
    const [row] = (
      await client.query<{ max: number; reserved: number; used: number }>(
        `SELECT current_setting('max_connections')::int AS max,
                current_setting('superuser_reserved_connections')::int AS reserved,
                (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used`,
      )
    ).rows;
    if (!row) return 1;
    // Keep a few for the audit, the teardown and whoever else uses the server.
    return Math.max(1, row.max - row.reserved - row.used - 5);
  });
}

export interface FinalRows {
  suites: AuditSuite[];
  bookings: AuditBooking[];
}

/** The final rows, read with plain pg (not through the code under test). */
export async function readFinalRows(scratch: ScratchSchema): Promise<FinalRows> {
  return withPg(scratch.url, async (client) => {
    const suites = (
      await client.query<{ suite: string; tier: string; active: boolean }>(
        `SELECT s.number AS suite, t.name AS tier, s.active FROM suites s JOIN tiers t ON t.id = s.tier_id`,
      )
    ).rows;
    const rows = (
      await client.query<{ suite: string; tier: string; check_in: string; check_out: string; status: string; guest_name: string }>(
        `SELECT s.number AS suite, t.name AS tier, to_char(b.check_in, 'YYYY-MM-DD') AS check_in,
                to_char(b.check_out, 'YYYY-MM-DD') AS check_out, b.status, b.guest_name
           FROM bookings b JOIN suites s ON s.id = b.suite_id JOIN tiers t ON t.id = s.tier_id`,
      )
    ).rows;
    const bookings = rows.map((row) => ({
      suite: row.suite,
      tier: row.tier,
      checkIn: row.check_in,
      checkOut: row.check_out,
      status: row.status,
      requestIndex: requestIndexOf(row.guest_name),
    }));
    return { suites, bookings };
  });
}

/** How to look at a kept scratch schema (the password redacted). */
export function inspectionHints(baseUrl: string, name: string): string[] {
  const url = new URL(baseUrl);
  url.searchParams.delete("options");
  const plain = redactSecrets(url.toString());
  return [
    `PGOPTIONS='-c search_path=${name},public' psql '${plain}' -c 'SELECT * FROM bookings ORDER BY id LIMIT 20'`,
    `psql '${plain}' -c 'DROP SCHEMA "${name}" CASCADE'   # when done`,
  ];
}
