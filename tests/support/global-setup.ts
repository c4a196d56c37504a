import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Tests run against a real PostgreSQL: TEST_DATABASE_URL or DATABASE_URL when
 * set (CI and these machines), else an embedded server started here for the
 * whole run and stopped at the end. Each test file then creates its own
 * database on that server (tests/support/db.ts).
 */
declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (fromEnv) {
    project.provide("serverUrl", fromEnv);
    return async () => undefined;
  }
  const { acquireEmbeddedServer } = await import("../../src/db/embedded.js");
  const home = mkdtempSync(path.join(tmpdir(), "hotel-test-"));
  const lease = await acquireEmbeddedServer({ home });
  project.provide("serverUrl", lease.url);
  return async () => {
    await lease.release();
    rmSync(home, { recursive: true, force: true });
  };
}
