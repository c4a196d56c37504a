import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrate } from "../../src/db/migrate.js";
import { withDatabase } from "../../src/db/url.js";

/**
 * Tests run against a real PostgreSQL: TEST_DATABASE_URL or DATABASE_URL when
 * set (CI and these machines), else an embedded server started here for the
 * whole run and stopped at the end. On it, one database is migrated here,
 * with the app's migrator, and each test file gets a copy of it as its own
 * database (tests/support/db.ts): as freshly migrated as if migrated for that
 * file, for one CREATE DATABASE instead of every migration per file.
 */
declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
    /** The migrated database that test files' databases are created from. */
    templateDatabase: string;
  }
}

async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createTemplate(serverUrl: string): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `hotel_test_template_${randomBytes(6).toString("hex")}`;
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const drop = async (): Promise<void> => {
    await onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  try {
    // Closed before any copy is made: CREATE DATABASE ... TEMPLATE needs the template without sessions.
    await onServer(withDatabase(serverUrl, name), (client) => migrate(client));
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, drop };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  let serverUrl: string;
  let stopServer = async (): Promise<void> => undefined;
  if (fromEnv) {
    serverUrl = fromEnv;
  } else {
    const { acquireEmbeddedServer } = await import("../../src/db/embedded.js");
    const home = mkdtempSync(path.join(tmpdir(), "hotel-test-"));
    const lease = await acquireEmbeddedServer({ home });
    serverUrl = lease.url;
    stopServer = async () => {
      await lease.release();
      rmSync(home, { recursive: true, force: true });
    };
  }
  let template: Awaited<ReturnType<typeof createTemplate>>;
  try {
    template = await createTemplate(serverUrl);
  } catch (error) {
    await stopServer();
    throw error;
  }
  project.provide("serverUrl", serverUrl);
  project.provide("templateDatabase", template.name);
  return async () => {
    try {
      await template.drop();
    } finally {
      await stopServer();
    }
  };
}
