import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkIntegrity } from "../src/core/audit.js";
import { availability } from "../src/core/availability.js";
import { book } from "../src/core/book.js";
import type { Hotel } from "../src/core/hotel.js";
import { disableSuite } from "../src/core/inventory.js";
import { change } from "../src/core/front-desk.js";
import { openDatabase } from "../src/db/database.js";
import { createInventory, createScratchSchema, dropScratchSchema, newScratchName } from "../src/stress/scratch.js";
import { createTestDatabase, createTier, hotelOf, type TestDatabase, openHotelDatabase } from "./support/db.js";
import { holdNightLock, openSession, waitForLockWaiters } from "./support/sessions.js";

/** The holes review found around the booking core (one test each that failed before the fix). */

let testDb: TestDatabase;
let hotel: Hotel;

beforeAll(async () => ({ testDb, hotel } = await openHotelDatabase({ poolSize: 10 })));
afterAll(async () => testDb?.drop());

const settled = <T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe("a suite disable racing a booking", () => {
  it("never books the suite being disabled: exactly one of the two wins, and check stays clean", async () => {
    const [lowest, highest] = await createTier(testDb, "presidential", 2, "P");
    // One booking sets the night's low-water mark to the lowest suite, so the
    // next booking's candidate is the highest one, read before it is locked.
    const stay = { tier: "presidential", checkIn: "2031-01-10", checkOut: "2031-01-11" };
    expect(await book(hotel, { ...stay, guestName: "First" })).toMatchObject({ outcome: "accepted", booking: { suite: lowest } });

    // Hold the tier's suite counts, so the disable stops after its UPDATE of the suite row...
    const counts = await openSession(testDb);
    await counts.query(`SELECT c.* FROM tier_suite_counts c JOIN tiers t ON t.id = c.tier_id WHERE t.name = 'presidential' FOR UPDATE OF c`);
    const disabling = settled(disableSuite(hotel, highest as string));
    await waitForLockWaiters(testDb, 1);
    // ...and the booking then waits for that suite's row.
    const booking = settled(book(hotel, { ...stay, guestName: "Second" }));
    await waitForLockWaiters(testDb, 2);
    await counts.commit();

    const [disabled, booked] = await Promise.all([disabling, booking]);
    const bookingWon = booked.ok && booked.value.outcome === "accepted";
    expect(bookingWon !== disabled.ok, `exactly one wins: booking ${JSON.stringify(booked)}, disable ${JSON.stringify(disabled)}`).toBe(true);
    if (!bookingWon) expect(booked).toMatchObject({ ok: true, value: { outcome: "refused", code: "NO_AVAILABILITY" } });
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
  });

  it("a change racing a disable of the suite it wants is refused or the disable is, never both won", async () => {
    const [first, second] = await createTier(testDb, "racing-change", 2, "RC");
    const a = await book(hotel, { tier: "racing-change", guestName: "A", checkIn: "2031-02-01", checkOut: "2031-02-02" });
    const b = await book(hotel, { tier: "racing-change", guestName: "B", checkIn: "2031-02-02", checkOut: "2031-02-03" });
    expect([a.outcome, b.outcome]).toEqual(["accepted", "accepted"]);
    if (a.outcome !== "accepted") return;
    expect(a.booking.suite).toBe(first);
    // Extending A into the 2nd needs another suite: `second`, which is being disabled.
    const counts = await openSession(testDb);
    await counts.query(`SELECT c.* FROM tier_suite_counts c JOIN tiers t ON t.id = c.tier_id WHERE t.name = 'racing-change' FOR UPDATE OF c`);
    const disabling = settled(disableSuite(hotel, second as string));
    await waitForLockWaiters(testDb, 1);
    const extending = settled(change(hotel, a.booking.id, { checkOut: "2031-02-03" }));
    await waitForLockWaiters(testDb, 2);
    await counts.commit();
    const [disabled, extended] = await Promise.all([disabling, extending]);
    const changeWon = extended.ok && extended.value.outcome === "changed";
    expect(changeWon !== disabled.ok, `change ${JSON.stringify(extended)}, disable ${JSON.stringify(disabled)}`).toBe(true);
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
  });
});

describe("lock keys name their inventory", () => {
  it("a live booking's night locks never delay a stress scratch schema, nor the other way round", async () => {
    await createTier(testDb, "standard", 2, "S");
    const scratchName = newScratchName();
    const scratch = await createScratchSchema(testDb.url, scratchName);
    const scratchDb = await openDatabase({ databaseUrl: scratch.databaseUrl, schema: scratchName, poolSize: 2 });
    try {
      await createInventory(scratch, { tiers: [{ name: "standard", prefix: "STA", capacity: 2 }], checkIn: "2031-08-01", warmUpRequests: 0, prefill: 0, historyNights: 0 });
      const scratchHotel = hotelOf(scratchDb, "stress");
      const keys = await testDb.query<{ live: number; scratch: number; live_id: number; scratch_id: number }>(
        `SELECT l.lock_key AS live, s.lock_key AS scratch, l.id AS live_id, s.id AS scratch_id
           FROM tiers l, "${scratchName}".tiers s WHERE l.name = 'standard' AND s.name = 'standard'`,
      );
      const key = keys[0]!;
      expect(key.live).not.toBe(key.scratch);

      // A live transaction holds the night: by lock key, and by tier id as the first release keyed it.
      const night = "2031-08-01";
      const live = await holdNightLock(testDb, "standard", night);
      await live.query(`SELECT pg_advisory_xact_lock(t, $1::date - DATE '1970-01-01') FROM unnest($2::int[]) t`, [night, [key.live_id, key.scratch_id]]);
      const started = Date.now();
      const inScratch = await book(scratchHotel, { tier: "standard", guestName: "stress-0", checkIn: night, checkOut: "2031-08-02" }, { lockTimeoutMs: 2000 });
      expect(inScratch.outcome).toBe("accepted");
      expect(Date.now() - started).toBeLessThan(1500);
      await live.commit();

      // And a scratch transaction holding its night never delays a live booking.
      const stress = await openSession(testDb);
      await stress.query(`SELECT pg_advisory_xact_lock($1::int, $2::date - DATE '1970-01-01')`, [key.scratch, night]);
      const liveBooking = await book(hotel, { tier: "standard", guestName: "Live", checkIn: night, checkOut: "2031-08-02" }, { lockTimeoutMs: 2000 });
      expect(liveBooking.outcome).toBe("accepted");
      await stress.commit();
    } finally {
      await scratchDb.close();
      await dropScratchSchema(testDb.url, scratchName);
    }
  });
});

describe("TRUNCATE and other bulk changes", () => {
  it("after TRUNCATE bookings every suite is free again, and check is clean", async () => {
    const own = await createTestDatabase();
    try {
      const ownDb = await own.open({ poolSize: 2 });
      const ownHotel = hotelOf(ownDb);
      await createTier(own, "tiny", 1, "T");
      const stay = { tier: "tiny", checkIn: "2031-03-01", checkOut: "2031-03-03" };
      expect((await book(ownHotel, { ...stay, guestName: "A" })).outcome).toBe("accepted");
      expect((await book(ownHotel, { ...stay, guestName: "B" })).outcome).toBe("refused");
      await own.query("TRUNCATE bookings");
      expect(await own.query(`SELECT count(*)::int AS n FROM tier_night_counts`)).toEqual([{ n: 0 }]);
      expect((await availability(ownHotel, { from: "2031-03-01", nights: 2 })).tiers[0]?.nights.map((n) => n.free)).toEqual([1, 1]);
      expect((await book(ownHotel, { ...stay, guestName: "C" })).outcome).toBe("accepted");
      expect((await checkIntegrity(ownHotel)).problems).toEqual([]);
    } finally {
      await own.drop();
    }
  });
});

describe("dates at the ends of the range", () => {
  const request = { tier: "dates", guestName: "Edge" };
  beforeAll(async () => {
    await createTier(testDb, "dates", 1, "DT");
  });

  it.each([
    ["1900-01-01", "1900-01-02"],
    ["2028-02-29", "2028-03-01"],
    ["9999-12-30", "9999-12-31"],
  ])("books %s to %s", async (checkIn, checkOut) => {
    expect(await book(hotel, { ...request, checkIn, checkOut })).toMatchObject({ outcome: "accepted", booking: { checkIn, checkOut } });
  });

  it.each([
    [{ checkIn: "9999-12-31", checkOut: "9999-12-31" }, /must be after/],
    [{ checkIn: "0050-01-01", checkOut: "0050-01-02" }, /year is out of range \(1900-9999\)/],
    [{ checkIn: "1899-12-31", checkOut: "1900-01-01" }, /year is out of range/],
    [{ checkIn: "2027-02-29", checkOut: "2027-03-01" }, /does not exist in the calendar/],
    [{ checkIn: "9999-12-31", checkOut: "10000-01-01" }, /not a date/],
  ])("refuses %j with INVALID_INPUT naming the problem", async (stay, message) => {
    await expect(book(hotel, { ...request, ...stay })).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(message) });
  });

  it("a range or stay ending after 9999-12-31 is an input error, not a database error", async () => {
    await expect(availability(hotel, { from: "9999-12-31", nights: 2 })).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/ends after 9999-12-31/) });
    await expect(availability(hotel, { from: "9999-12-30", nights: 1 })).resolves.toMatchObject({ to: "9999-12-31" });
    const { resolveStay } = await import("../src/core/dates.js");
    expect(() => resolveStay({ checkIn: "9999-12-31", nights: 1 })).toThrow(/ends after 9999-12-31/);
    const booked = await book(hotel, { ...request, checkIn: "2031-06-01", checkOut: "2031-06-02" });
    if (booked.outcome !== "accepted") throw new Error("not booked");
    await expect(change(hotel, booked.booking.id, { checkIn: "9999-12-31" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(change(hotel, booked.booking.id, { checkIn: "0050-01-01" })).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/year is out of range/) });
  });
});
