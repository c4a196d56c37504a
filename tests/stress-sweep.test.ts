import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BookkeepingSession } from "../src/stress/bookkeeping.js";
import { createScratchSchema, markKept, newScratchName, scratchUrl, sweepAbandonedScratchSchemas } from "../src/stress/scratch.js";
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

describe("a run's bookkeeping session", () => {
  const backend = async (session: BookkeepingSession): Promise<number> =>
    session.run(async (client) => (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid ?? 0);

  it("runs every step on one connection named for the run, reconnects once the server ends it, and ends it on close", async () => {
    const name = newScratchName();
    const session = new BookkeepingSession(scratchUrl(db.url, name));
    const first = await backend(session);
    // Steps asked for at once still run one after another, on the same backend.
    expect(await Promise.all([backend(session), backend(session), backend(session)])).toEqual([first, first, first]);
    expect(await db.query(`SELECT application_name AS name FROM pg_stat_activity WHERE pid = $1`, [first])).toEqual([{ name }]);

    await db.query("SELECT pg_terminate_backend($1)", [first]);
    await expect.poll(() => backend(session).catch(() => first)).not.toBe(first);
    const second = await backend(session);

    await session.close();
    await expect(backend(session)).rejects.toThrow(/closed/);
    await expect.poll(async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1`, [second]))[0]?.n).toBe(0);
  });
});
