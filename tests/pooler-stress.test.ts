import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { change, move, transition } from "../src/core/front-desk.js";
import { book, hold } from "../src/core/book.js";
import { checkIntegrity } from "../src/core/audit.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { resolveStressConfig, runStress } from "../src/stress/index.js";
import { createTestDatabase, createTier, hotelOf, serverUrl, type TestDatabase } from "./support/db.js";
import { type PgBouncer, startPgBouncer } from "./support/pgbouncer.js";
import { testSeed } from "./support/random.js";

// hotel stress and the front desk's operations through a real PgBouncer in
// transaction mode: nothing may rely on a session's search_path or settings.

let bouncer: PgBouncer;
let testDb: TestDatabase;

beforeAll(async () => {
  bouncer = await startPgBouncer(serverUrl());
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb?.drop();
  await bouncer?.stop();
});

describe("hotel stress through PgBouncer", () => {
  it.each(["same-dates", "overlapping", "mixed-tiers"] as const)("%s: every invariant holds, and the scratch schema is gone afterwards", async (scenario) => {
    const config = resolveStressConfig({ n: 40, scenario, concurrency: 8, capacity: 5, seed: testSeed() });
    const report = await runStress(config, { baseUrl: bouncer.url(testDb.url) });
    expect(report.invariants, JSON.stringify(report.findings)).toMatchObject({ ok: true, unjustifiedRefusals: 0, overbookedNights: 0, doubleBookedSuites: 0 });
    expect(report.errors, JSON.stringify(report.errorMessages)).toBe(0);
    expect(report.accepted).toBeGreaterThan(0);
    expect(await testDb.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hotel\\_stress\\_%'`)).toEqual([]);
    // The live schema was never touched.
    expect(await testDb.query(`SELECT count(*)::int AS n FROM tiers`)).toEqual([{ n: 0 }]);
  });
});

describe("the front desk through PgBouncer", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: bouncer.url(testDb.url), poolSize: 6 });
  });
  afterAll(async () => db?.close());

  it("hold, confirm, change, move, check-in and check-out, each in its own transaction, and check stays clean", async () => {
    const hotel = hotelOf(db, "pooled");
    await createTier(testDb, "pooled", 2, "PO");
    await createTier(testDb, "pooled-up", 1, "PU");
    const held = await hold(hotel, { tier: "pooled", guestName: "Held", checkIn: "2039-01-01", checkOut: "2039-01-03", ttlSeconds: 60 });
    if (held.outcome !== "accepted") throw new Error("not held");
    const id = held.booking.id;
    expect(await transition(hotel, "confirm", id)).toMatchObject({ outcome: "confirmed", changed: true });
    expect(await change(hotel, id, { checkOut: "2039-01-04" })).toMatchObject({ outcome: "changed", booking: { checkOut: "2039-01-04" } });
    expect(await move(hotel, id, { tier: "pooled-up" })).toMatchObject({ outcome: "moved", booking: { suite: "PU001" } });
    expect(await transition(hotel, "checkin", id, { today: "2039-01-01" })).toMatchObject({ outcome: "checked_in" });
    expect(await transition(hotel, "checkout", id, { today: "2039-01-02" })).toMatchObject({ booking: { checkOut: "2039-01-02" } });
    expect(await book(hotel, { tier: "pooled-up", guestName: "Next", checkIn: "2039-01-02", checkOut: "2039-01-04" })).toMatchObject({ outcome: "accepted" });
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
    expect(await testDb.query(`SELECT operation FROM events WHERE booking_id = $1 ORDER BY id`, [id])).toEqual(
      ["hold", "confirm", "change", "move", "checkin", "checkout"].map((operation) => ({ operation })),
    );
  });
});
