import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchSchema, markKept, newScratchName, sweepAbandonedScratchSchemas } from "../src/stress/scratch.js";
import { withSessionSettings } from "../src/db/url.js";
import { createTestDatabase, type TestDatabase } from "./support/db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

const schemas = async (): Promise<string[]> =>
  (await db.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'hotel\\_stress\\_%' ORDER BY 1`)).map((r) => r.name);
const backdate = (name: string) => db.query(`COMMENT ON SCHEMA "${name}" IS 'hotel stress scratch schema, created 2020-01-01T00:00:00.000Z'`);

describe("scratch schemas left by a killed stress run", () => {
  it("are swept by the next run; kept, fresh and in-use schemas stay", async () => {
    const [abandoned, kept, fresh, inUse] = [newScratchName(), newScratchName(), newScratchName(), newScratchName()];
    for (const name of [abandoned, kept, fresh, inUse]) await createScratchSchema(db.url, name);
    await backdate(abandoned);
    await backdate(inUse);
    await markKept(db.url, kept);
    // A run still connected to its schema (its sessions carry the schema's name).
    const session = new pg.Client({ connectionString: withSessionSettings(db.url, { application_name: inUse }) });
    await session.connect();
    try {
      expect(await sweepAbandonedScratchSchemas(db.url)).toEqual([abandoned]);
    } finally {
      await session.end();
    }
    expect(await schemas()).toEqual([kept, fresh, inUse].sort());
    expect(await sweepAbandonedScratchSchemas(db.url)).toEqual([inUse]);
    expect(await schemas()).toEqual([kept, fresh].sort());
  });
});
