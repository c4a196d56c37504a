import { randomBytes } from "node:crypto";
import pg from "pg";
import { HotelError } from "../core/errors.js";
import { migrate } from "../db/migrate.js";
import { redactSecrets, withSessionSettings } from "../db/url.js";
import { withPg, type Connect, type PgTarget } from "./bookkeeping.js";
import type { JudgedBooking, JudgedSuite } from "./oracle.js";
import { requestIndexOf, scratchSuiteNumber, WARM_UP_TIER, warmUpSuitesFor, type TierPlan } from "./scenarios.js";

/**
 * The scratch schema a stress run works in, so it never touches live
 * bookings: created and migrated from the same migrations as the live schema,
 * filled with a synthetic inventory, and dropped afterwards.
 */

export const SCRATCH_PREFIX = "hotel_stress_";

export interface ScratchSchema {
  name: string;
  /** The run's connections carry this application_name (shown in pg_stat_activity). */
  applicationName: string;
  /** The base URL plus application_name, for openDatabase({ schema }) (holds the password). */
  databaseUrl: string;
  /** Where the run's own bookkeeping SQL goes: its session, or a new connection to databaseUrl each time. */
  bookkeeping: PgTarget;
}

export function newScratchName(): string {
  return `${SCRATCH_PREFIX}${randomBytes(6).toString("hex")}`;
}

export const isScratchName = (name: string): boolean => /^hotel_stress_[0-9a-f]{12}$/.test(name);

/**
 * Runs `work` in one transaction whose search_path is the scratch schema
 * alone (SET LOCAL): unqualified names reach the scratch tables and nothing
 * else, and no setting outlives the transaction, which a connection pooler
 * in transaction mode requires.
 */
export const inScratch = <T>(scratch: ScratchSchema, work: (client: pg.Client) => Promise<T>): Promise<T> =>
  withPg(scratch.bookkeeping, async (client) => {
    await client.query("BEGIN");
    try {
      await client.query(`SET LOCAL search_path TO "${scratch.name}"`);
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  });

/** The base URL with the scratch schema's application_name: its run's connections. */
export const scratchUrl = (baseUrl: string, name: string): string => withSessionSettings(baseUrl, { application_name: name });

/**
 * Creates and migrates the schema, on the run's bookkeeping session when it
 * has one. btree_gist is created first, outside the migration, so that it
 * lands in the default schema (public) and is not dropped with the scratch
 * schema; the migration's own CREATE EXTENSION IF NOT EXISTS is then a no-op.
 * The migrator creates its ledger table first, in the scratch schema (the
 * first on the search path), so the live ledger is never read or written.
 */
export async function createScratchSchema(baseUrl: string, name: string, session?: Connect): Promise<ScratchSchema> {
  if (!isScratchName(name)) throw new HotelError("INTERNAL", `refusing to use "${name}" as a scratch schema`);
  const databaseUrl = scratchUrl(baseUrl, name);
  const scratch: ScratchSchema = { name, applicationName: name, databaseUrl, bookkeeping: session ?? databaseUrl };
  await withPg(session ?? baseUrl, async (client) => {
    await client.query("CREATE EXTENSION IF NOT EXISTS btree_gist");
    await client.query("BEGIN");
    await client.query(`CREATE SCHEMA "${name}"`);
    await client.query(`COMMENT ON SCHEMA "${name}" IS '${SCRATCH_COMMENT} ${new Date().toISOString()}'`);
    await client.query("COMMIT");
  });
  // Each migration sets the search path to the scratch schema alone, inside its own transaction.
  await withPg(scratch.bookkeeping, (client) => migrate(client, { schema: name }));
  return scratch;
}

/** Marks a scratch schema as kept on purpose, so no later sweep removes it. */
export async function markKept(target: PgTarget, name: string): Promise<void> {
  if (!isScratchName(name)) throw new HotelError("INTERNAL", `refusing to mark "${name}": not a scratch schema`);
  await withPg(target, (client) => client.query(`COMMENT ON SCHEMA "${name}" IS 'hotel stress scratch schema, kept by --keep'`));
}

/**
 * Drops the scratch schemas of runs that died without cleaning up (SIGKILL,
 * power loss): created over ABANDONED_AFTER ago, not kept, and with no
 * session of their run still connected. A live run always has sessions, and
 * the age guard covers the moment between creating a schema and connecting.
 */
export async function sweepAbandonedScratchSchemas(target: PgTarget): Promise<string[]> {
  return withPg(target, async (client) => {
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

export interface InventoryPlan {
  tiers: readonly TierPlan[];
  /** First night of the scenario (YYYY-MM-DD). */
  checkIn: string;
  /** Warm-up bookings the run will make: their tier gets suites for them; none when 0. */
  warmUpRequests: number;
  /** Confirmed bookings already on the check-in night of the first tier. */
  prefill: number;
  /** Nights of booking history in the warm-up tier, before the warm-up nights. */
  historyNights: number;
}

/** Suites of the warm-up tier that hold the booking history. */
const HISTORY_SUITES = 20;
/** The history's nights start this many days after the check-in (the warm-up's come later). */
const HISTORY_OFFSET_DAYS = 200;

/**
 * The synthetic inventory: each tier with `capacity` active suites, plus the
 * warm-up tier; optionally a night already partly booked (`prefill`) and a
 * booking history on other nights, so that the planner sees a realistic table
 * and reaches a night through the indexes, as in production. Analysed.
 */
export async function createInventory(scratch: ScratchSchema, plan: InventoryPlan): Promise<void> {
  const tiers = [...plan.tiers];
  const warmUpSuites = plan.warmUpRequests > 0 || plan.historyNights > 0 ? Math.max(warmUpSuitesFor(plan.warmUpRequests), plan.historyNights > 0 ? HISTORY_SUITES : 0) : 0;
  if (warmUpSuites > 0) tiers.push({ name: WARM_UP_TIER, prefix: "WUP", capacity: warmUpSuites });
  await inScratch(scratch, async (client) => {
    for (const tier of tiers) {
      const numbers = Array.from({ length: tier.capacity }, (_, j) => scratchSuiteNumber(tier, j));
      await client.query(
        `WITH t AS (INSERT INTO tiers (property_id, name) SELECT id, $1 FROM properties WHERE name = 'main' RETURNING property_id, id)
         INSERT INTO suites (property_id, number, tier_id) SELECT t.property_id, number, t.id FROM t, unnest($2::text[]) AS number`,
        [tier.name, numbers],
      );
    }
    if (plan.historyNights > 0) {
      await client.query(
        `INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
         SELECT s.property_id, s.id, s.tier_id, 'history', $2::date + $4::int + d, $2::date + $4::int + d + 1
           FROM (SELECT s.* FROM suites s JOIN tiers t ON t.id = s.tier_id WHERE t.name = $1 ORDER BY s.number LIMIT $5) s,
                generate_series(0, $3::int - 1) AS d`,
        [WARM_UP_TIER, plan.checkIn, plan.historyNights, HISTORY_OFFSET_DAYS, HISTORY_SUITES],
      );
    }
    if (plan.prefill > 0) {
      await client.query(
        `INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
         SELECT s.property_id, s.id, s.tier_id, 'prefill', $2::date, $2::date + 1
           FROM suites s JOIN tiers t ON t.id = s.tier_id
          WHERE t.name = $1 ORDER BY s.number LIMIT $3`,
        [plan.tiers[0]?.name, plan.checkIn, plan.prefill],
      );
    }
    await client.query("ANALYZE tiers, suites, bookings, tier_night_counts, tier_suite_counts");
  });
}

/** Deletes the warm-up bookings, so that a kept schema's bookings are the run's own (the warm-up tier stays, empty). */
export async function removeWarmUpBookings(scratch: ScratchSchema): Promise<void> {
  await inScratch(scratch, (client) => client.query(`DELETE FROM bookings WHERE tier_id IN (SELECT id FROM tiers WHERE name = $1)`, [WARM_UP_TIER]));
}

/**
 * Ends the run's remaining sessions, then drops the schema. Safe to call when
 * the schema was never created.
 */
export async function dropScratchSchema(target: PgTarget, name: string): Promise<void> {
  if (!isScratchName(name)) throw new HotelError("INTERNAL", `refusing to drop "${name}": not a scratch schema`);
  await withPg(target, async (client) => {
    await terminateSessions(client, name);
    await client.query("BEGIN");
    await client.query("SET LOCAL lock_timeout = '10s'");
    await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await client.query("COMMIT");
  });
}

/**
 * Ends the sessions that hold a lock on a table of the scratch schema (a run's
 * request still in flight), so the drop does not wait for them. Chosen by the
 * locks they hold, not by application_name: behind a connection pooler a
 * server connection keeps the name of whichever client used it last, and
 * might be serving a live booking now.
 */
export async function terminateSessions(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(
    `SELECT pg_terminate_backend(pid)
       FROM (SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
              WHERE c.relnamespace = to_regnamespace($1) AND l.pid <> pg_backend_pid()) holders`,
    [`"${schema}"`],
  );
}


/** Connections this run may open without starving the server (max_connections minus what is in use). */
export async function freeConnections(target: PgTarget): Promise<number> {
  return withPg(target, async (client) => {
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
  suites: JudgedSuite[];
  bookings: JudgedBooking[];
}

/** The final rows of the scenario's tiers (not the warm-up tier), read with plain pg, not through the code under test. */
export async function readFinalRows(scratch: ScratchSchema): Promise<FinalRows> {
  return inScratch(scratch, async (client) => {
    const suites = (
      await client.query<{ suite: string; tier: string; active: boolean }>(
        `SELECT s.number AS suite, t.name AS tier, s.active FROM suites s JOIN tiers t ON t.id = s.tier_id WHERE t.name <> $1`,
        [WARM_UP_TIER],
      )
    ).rows;
    const rows = (
      await client.query<{ suite: string; tier: string; check_in: string; check_out: string; status: string; guest_name: string }>(
        `SELECT s.number AS suite, t.name AS tier, to_char(b.check_in, 'YYYY-MM-DD') AS check_in,
                to_char(b.check_out, 'YYYY-MM-DD') AS check_out, b.status, b.guest_name
           FROM bookings b JOIN suites s ON s.id = b.suite_id JOIN tiers t ON t.id = s.tier_id
          WHERE t.name <> $1`,
        [WARM_UP_TIER],
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

/** The server's PostgreSQL version, for the report. */
export async function serverVersion(scratch: ScratchSchema): Promise<string> {
  return withPg(scratch.bookkeeping, async (client) => `PostgreSQL ${(await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?"}`);
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
