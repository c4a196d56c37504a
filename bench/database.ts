import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { resolveDatabaseUrl } from "../src/db/database.js";
import { describeServer, redactSecrets, withDatabase } from "../src/db/url.js";
import { withPg } from "../src/stress/bookkeeping.js";

/**
 * Where the benchmark runs: `--database-url`, BENCH_DATABASE_URL or
 * DATABASE_URL, else an embedded server in a temporary home. On that server
 * it creates a database of its own when it may (so that its advisory locks
 * never meet another application's: they are per database, not per schema),
 * else it works in scratch schemas of the given database. Everything is
 * dropped at the end.
 */

export interface BenchDatabase {
  /** Base URL the scratch schemas are created in (holds the password: never print it). */
  url: string;
  /** Safe to print. */
  server: string;
  /** The database created for this run, if any. */
  created?: string;
  note?: string;
  info(): Promise<{ postgres: string; settings: Record<string, string> }>;
  close(): Promise<void>;
}

/** --database-url, else BENCH_DATABASE_URL, else what every hotel command uses (DATABASE_URL); undefined: embedded. */
export const resolveUrl = (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined =>
  resolveDatabaseUrl({ databaseUrl: flag ?? (env.BENCH_DATABASE_URL || undefined), env });

export async function openBenchDatabase(explicit: string | undefined, log: (line: string) => void): Promise<BenchDatabase> {
  let serverUrl = explicit;
  let server: string;
  let release: () => Promise<void> = async () => undefined;
  if (serverUrl === undefined) {
    const { acquireEmbeddedServer } = await import("../src/db/embedded.js");
    const home = mkdtempSync(path.join(tmpdir(), "hotel-bench-"));
    log(`starting an embedded PostgreSQL in ${home} (pass --database-url to use a server)`);
    const lease = await acquireEmbeddedServer({ home });
    serverUrl = lease.url;
    server = `embedded PostgreSQL (${home})`;
    release = async () => {
      await lease.release();
      rmSync(home, { recursive: true, force: true });
    };
  } else {
    server = describeServer(serverUrl);
  }
  const adminUrl = serverUrl;
  const name = `hotel_bench_${randomBytes(6).toString("hex")}`;
  let created: string | undefined;
  let note: string | undefined;
  try {
    await withPg(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
    created = name;
  } catch (error) {
    note = `could not create a database of its own (${redactSecrets(error instanceof Error ? error.message : String(error))}): scratch schemas in the given database instead`;
  }
  const url = created ? withDatabase(adminUrl, created) : adminUrl;
  if (created) {
    // Creating a database writes a copy of template1; flush it now, or the
    // first measurements share the disk with that writeback.
    await withPg(url, (client) => client.query("CHECKPOINT")).catch(() => undefined);
  }
  return {
    url,
    server,
    created,
    note,
    async info() {
      return withPg(url, async (client) => {
        const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?";
        const settings: Record<string, string> = {};
        for (const setting of ["max_connections", "shared_buffers", "synchronous_commit", "fsync", "wal_sync_method"]) {
          settings[setting] = (await client.query<Record<string, string>>(`SHOW ${setting}`)).rows[0]?.[setting] ?? "?";
        }
        return { postgres: `PostgreSQL ${version}`, settings };
      });
    },
    async close() {
      try {
        if (created) await withPg(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${created}" WITH (FORCE)`));
      } finally {
        await release();
      }
    },
  };
}
