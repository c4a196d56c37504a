import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { checkIntegrity } from "../src/core/audit.js";
import { availability } from "../src/core/availability.js";
import { book, hold } from "../src/core/book.js";
import type { BookingOutcome } from "../src/core/booking.js";
import { listBookings } from "../src/core/bookings.js";
import { cancel, confirm } from "../src/core/front-desk.js";
import type { Hotel } from "../src/core/hotel.js";
import { waitFor } from "./support/cli.js";
import { createTier, type TestDatabase, openHotelDatabase } from "./support/db.js";

/**
 * Holds lapse at expires_at by the database's clock, with no sweeper: every
 * test below waits only for that clock, never for another process.
 * The tests that wait for it run at once (it.concurrent): each has its own
 * tier and nights, and a hold lapses (and is marked) only for its own tier
 * and nights, so none sees another's. The one that fakes the clock runs
 * first, alone.
 */

let testDb: TestDatabase;
let hotel: Hotel;

beforeAll(async () => ({ testDb, hotel } = await openHotelDatabase({ poolSize: 30 })));
afterAll(async () => testDb?.drop());
afterEach(() => {
  vi.useRealTimers();
});

const accepted = (results: BookingOutcome[]) => results.filter((r) => r.outcome === "accepted");

/** Waits until the database's clock has passed `at`. */
const untilDatabaseTime = (at: string, plusMs = 0): Promise<void> =>
  waitFor(async () => (await testDb.query<{ past: boolean }>(`SELECT clock_timestamp() >= $1::timestamptz + $2 * interval '1 ms' AS past`, [at, plusMs]))[0]?.past === true, 30_000, `database time ${at} + ${plusMs} ms`);

const dbNow = async (): Promise<Date> => (await testDb.query<{ now: Date }>(`SELECT clock_timestamp() AS now`))[0]!.now;

describe("holds", () => {
  it("the client's clock does not matter: a process whose clock is a year off holds and confirms by the database's", async () => {
    await createTier(testDb, "skewed", 1, "SK");
    const before = await dbNow();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(before.getTime() - 365 * 86_400_000));
    const held = await hold(hotel, { tier: "skewed", guestName: "Skewed", checkIn: "2034-05-01", checkOut: "2034-05-02", ttlSeconds: 60 });
    vi.useRealTimers();
    if (held.outcome !== "accepted") throw new Error("not held");
    const expires = Date.parse(held.booking.expiresAt as string);
    expect(expires - before.getTime()).toBeGreaterThanOrEqual(60_000);
    expect(expires - before.getTime()).toBeLessThan(70_000);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(before.getTime() + 365 * 86_400_000));
    expect(await confirm(hotel, held.booking.id)).toMatchObject({ outcome: "confirmed", changed: true });
  });

  it.concurrent("20 racing holds for 10 suites: exactly 10 held, a booking is refused; after the ttl 12 racing bookings get exactly 10", async () => {
    await createTier(testDb, "flash-hold", 10, "FH");
    const night = { tier: "flash-hold", checkIn: "2034-01-01", checkOut: "2034-01-02" };
    // Long enough for the checks below on a loaded machine; the test waits it out.
    const holds = await Promise.all(Array.from({ length: 20 }, (_, i) => hold(hotel, { ...night, guestName: `Hold ${i}`, ttlSeconds: 4 })));
    expect(accepted(holds)).toHaveLength(10);
    expect(holds.filter((r) => r.outcome === "refused" && r.code === "NO_AVAILABILITY")).toHaveLength(10);
    expect(await book(hotel, { ...night, guestName: "Too early" })).toMatchObject({ outcome: "refused", code: "NO_AVAILABILITY" });
    const held = await availability(hotel, { from: night.checkIn, nights: 1, tier: "flash-hold" });
    expect(held.tiers[0]?.nights[0]).toEqual({ date: night.checkIn, booked: 0, held: 10, free: 0 });

    const latest = accepted(holds).map((r) => (r.outcome === "accepted" ? (r.booking.expiresAt as string) : "")).sort().at(-1) as string;
    await untilDatabaseTime(latest, 1);
    expect((await availability(hotel, { from: night.checkIn, nights: 1, tier: "flash-hold" })).tiers[0]?.nights[0]).toEqual({ date: night.checkIn, booked: 0, held: 0, free: 10 });
    const bookings = await Promise.all(Array.from({ length: 12 }, (_, i) => book(hotel, { ...night, guestName: `Book ${i}` })));
    expect(accepted(bookings)).toHaveLength(10);
    expect(await testDb.query(`SELECT status, count(*)::int AS n FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = 'flash-hold' GROUP BY 1 ORDER BY 1`)).toEqual([
      { status: "confirmed", n: 10 },
      { status: "expired", n: 10 },
    ]);
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
  });

  it.concurrent("a 2 s hold: a booking 1 s in is refused, 2.5 s in accepted, with nothing else run in between", async () => {
    await createTier(testDb, "timed", 1, "TM");
    const stay = { tier: "timed", checkIn: "2034-02-01", checkOut: "2034-02-03" };
    const held = await hold(hotel, { ...stay, guestName: "Deciding", ttlSeconds: 2 });
    if (held.outcome !== "accepted") throw new Error("not held");
    const expiresAt = held.booking.expiresAt as string;
    await untilDatabaseTime(expiresAt, -1000);
    expect(await book(hotel, { ...stay, guestName: "At 1 s" })).toMatchObject({ outcome: "refused" });
    await untilDatabaseTime(expiresAt, 500);
    expect(await book(hotel, { ...stay, guestName: "At 2.5 s" })).toMatchObject({ outcome: "accepted", booking: { suite: held.booking.suite } });
    const listed = await listBookings(hotel, { tier: "timed", status: "expired" });
    expect(listed.map((b) => b.guest)).toEqual(["Deciding"]);
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
  });

  it.concurrent("before any operation marks it, a lapsed hold is reported expired and its suite free", async () => {
    await createTier(testDb, "lapsing", 1, "LP");
    const held = await hold(hotel, { tier: "lapsing", guestName: "Gone", checkIn: "2034-03-01", checkOut: "2034-03-02", ttlSeconds: 1 });
    if (held.outcome !== "accepted") throw new Error("not held");
    await untilDatabaseTime(held.booking.expiresAt as string, 1);
    expect(await testDb.query(`SELECT status FROM bookings WHERE id = $1`, [held.booking.id])).toEqual([{ status: "held" }]);
    expect((await listBookings(hotel, { tier: "lapsing" }))[0]).toMatchObject({ status: "expired" });
    expect((await availability(hotel, { from: "2034-03-01", nights: 1, tier: "lapsing" })).tiers[0]?.nights[0]).toMatchObject({ held: 0, free: 1 });
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
    expect(await confirm(hotel, held.booking.id)).toMatchObject({ outcome: "refused", code: "HOLD_EXPIRED" });
    expect(await testDb.query(`SELECT status FROM bookings WHERE id = $1`, [held.booking.id])).toEqual([{ status: "held" }]);
  });

  it.concurrent("confirm racing expiry: never both 'confirmed' and 'someone else booked the suite'", async () => {
    await createTier(testDb, "photo-finish", 1, "PF");
    for (let round = 0; round < 4; round++) {
      const stay = { tier: "photo-finish", checkIn: `2034-04-${String(round + 1).padStart(2, "0")}`, checkOut: `2034-04-${String(round + 2).padStart(2, "0")}` };
      const held = await hold(hotel, { ...stay, guestName: `Hold ${round}`, ttlSeconds: 1 });
      if (held.outcome !== "accepted") throw new Error("not held");
      // Fire both around the expiry instant, a little earlier or later each round.
      await untilDatabaseTime(held.booking.expiresAt as string, -45 + round * 30);
      const [confirmed, booked] = await Promise.all([confirm(hotel, held.booking.id), book(hotel, { ...stay, guestName: `Rival ${round}` })]);
      const confirmWon = confirmed.outcome === "confirmed" && confirmed.changed;
      const rivalWon = booked.outcome === "accepted";
      const context = `round ${round}: confirm ${JSON.stringify(confirmed)}, rival ${JSON.stringify(booked)}`;
      expect(confirmWon && rivalWon, context).toBe(false);
      if (!confirmWon) expect(confirmed, context).toMatchObject({ outcome: "refused", code: "HOLD_EXPIRED" });
      if (!confirmWon && !rivalWon) {
        // The rival decided while the hold was still live, and the confirm came
        // after its expiry: both refusals were right, and the suite is free now.
        expect(await book(hotel, { ...stay, guestName: `After ${round}` }), context).toMatchObject({ outcome: "accepted" });
      }
    }
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
  });

  it.concurrent("per-night counts, marks and check stay exact through hold, confirm, expiry and cancel", async () => {
    await createTier(testDb, "counted-holds", 3, "CHD");
    const night = { tier: "counted-holds", checkIn: "2034-06-01", checkOut: "2034-06-02" };
    const counts = () => testDb.query(`SELECT n.booked, n.held FROM tier_night_counts n JOIN tiers t ON t.id = n.tier_id WHERE t.name = 'counted-holds'`);
    const a = await hold(hotel, { ...night, guestName: "A", ttlSeconds: 600 });
    const b = await hold(hotel, { ...night, guestName: "B", ttlSeconds: 1 });
    const c = await book(hotel, { ...night, guestName: "C" });
    expect(await counts()).toEqual([{ booked: 1, held: 2 }]);
    if (a.outcome !== "accepted" || b.outcome !== "accepted" || c.outcome !== "accepted") throw new Error("setup");
    await confirm(hotel, a.booking.id);
    expect(await counts()).toEqual([{ booked: 2, held: 1 }]);
    await untilDatabaseTime(b.booking.expiresAt as string, 1);
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
    const d = await book(hotel, { ...night, guestName: "D" });
    expect(d).toMatchObject({ outcome: "accepted", booking: { suite: b.booking.suite } });
    expect(await counts()).toEqual([{ booked: 3, held: 0 }]);
    await cancel(hotel, a.booking.id);
    expect(await counts()).toEqual([{ booked: 2, held: 0 }]);
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
    await expect(hold(hotel, { ...night, guestName: "Bad ttl", ttlSeconds: 0 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(hold(hotel, { ...night, guestName: "Bad ttl", ttlSeconds: 86_401 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
