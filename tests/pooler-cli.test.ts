import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localMigrations } from "../src/db/migrate.js";
import { bookedPerNight, createTestDatabase, createTier, serverUrl, type TestDatabase } from "./support/db.js";
import { runInProcess, startInProcess, type StartedInProcess } from "./support/in-process.js";
import { type PgBouncer, startPgBouncer } from "./support/pgbouncer.js";

// The CLI, in-process, with --database-url pointing at a real PgBouncer in
// transaction pooling mode (tests/support/pgbouncer.ts). Several `hotel serve`
// processes through it are in serve-many.test.ts.

let bouncer: PgBouncer;

beforeAll(async () => {
  bouncer = await startPgBouncer(serverUrl());
});
afterAll(async () => bouncer?.stop());

describe("the CLI through PgBouncer", () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => testDb?.drop());

  const hotel = async (...args: string[]): Promise<{ code: number | null; json: Record<string, unknown>; stderr: string }> => {
    const result = await runInProcess([...args, "--json", "--database-url", bouncer.url(testDb.url)]);
    return { code: result.code, json: JSON.parse(result.stdout) as Record<string, unknown>, stderr: result.stderr };
  };

  it("db migrate, db status, db seed, book, availability and check all work, and agree with the database", async () => {
    const migrated = await hotel("db", "migrate");
    expect(migrated).toMatchObject({ code: 0, json: { applied: localMigrations().map((m) => m.name) } });
    expect(await hotel("db", "migrate")).toMatchObject({ code: 0, json: { applied: [] } });
    expect(await hotel("db", "status")).toMatchObject({ code: 0, json: { upToDate: true } });

    expect(await hotel("db", "seed")).toMatchObject({ code: 0, json: { suitesCreated: 17 } });
    const booked = await hotel("book", "--tier", "deluxe", "--check-in", "2031-04-01", "--nights", "2", "--guest", "Ada Lovelace");
    expect(booked).toMatchObject({ code: 0, json: { outcome: "accepted", booking: { tier: "deluxe", checkIn: "2031-04-01", checkOut: "2031-04-03" } } });
    expect(await bookedPerNight(testDb, "deluxe")).toEqual({ "2031-04-01": 1, "2031-04-02": 1 });

    const available = await hotel("availability", "--from", "2031-04-01", "--nights", "2", "--tier", "deluxe");
    expect(available.code).toBe(0);
    expect(available.json).toMatchObject({
      tiers: [{ tier: "deluxe", capacity: 5, nights: [{ date: "2031-04-01", booked: 1, free: 4 }, { date: "2031-04-02", booked: 1, free: 4 }] }],
    });
    expect(await hotel("check")).toMatchObject({ code: 0 });
  });
});

describe("hotel serve through PgBouncer", () => {
  let testDb: TestDatabase;
  const started: StartedInProcess[] = [];
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    // A failed test must not leave a server listening: the first signal stops it gracefully, a second forces it.
    for (const served of started) served.signals.emit("SIGTERM");
    await Promise.all(started.map(({ done }) => done));
    await testDb?.drop();
  });

  const post = (base: string, body: Record<string, unknown>): Promise<number> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        `${base}/api/bookings`,
        { method: "POST", agent: false, headers: { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });

  it("answers 20 racing POSTs for 5 suites with exactly 5 x 201 and 15 x 409, and stops cleanly", async () => {
    await createTier(testDb, "pooled-serve", 5, "PS");
    const served = startInProcess(["serve", "--port", "0", "--json", "--database-url", bouncer.url(testDb.url)]);
    started.push(served);
    await served.printed(/"event":"listening"/);
    const listening = served.stdout().split("\n").map((line) => JSON.parse(line || "{}") as Record<string, unknown>).find((line) => line.event === "listening");
    const base = String(listening?.url);

    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(base, { tier: "pooled-serve", checkIn: "2031-03-01", checkOut: "2031-03-02", guestName: `Racer ${i}` })),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status === 409)).toHaveLength(15);
    expect(await bookedPerNight(testDb, "pooled-serve")).toEqual({ "2031-03-01": 5 });

    served.signals.emit("SIGTERM");
    expect((await served.done).code).toBe(0);
  });
});
