import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkIntegrity } from "../src/core/audit.js";
import { book, hold } from "../src/core/book.js";
import type { BookingView } from "../src/core/booking.js";
import { cancel, change, checkin, checkout, confirm, move, noshow } from "../src/core/front-desk.js";
import type { Hotel } from "../src/core/hotel.js";
import { createTier, type TestDatabase, openHotelDatabase } from "./support/db.js";
import { holdNightLock, waitForLockWaiters } from "./support/sessions.js";

/** change, move, checkin, checkout, noshow, confirm and cancel on a real PostgreSQL. */

let testDb: TestDatabase;
let hotel: Hotel;

beforeAll(async () => ({ testDb, hotel } = await openHotelDatabase({ poolSize: 30 })));
afterAll(async () => testDb?.drop());

async function booked(tier: string, guestName: string, checkIn: string, checkOut: string): Promise<BookingView> {
  const result = await book(hotel, { tier, guestName, checkIn, checkOut });
  if (result.outcome !== "accepted") throw new Error(`${guestName} was not booked: ${JSON.stringify(result)}`);
  return result.booking;
}

/** The stored row, whole, with its version (xmin): equal only if nothing touched it. */
const rowOf = async (id: number) =>
  (await testDb.query(`SELECT xmin::text AS version, to_jsonb(b) AS row FROM bookings b WHERE id = $1`, [id]))[0];

const problems = async () => (await checkIntegrity(hotel)).problems;

describe("change", () => {
  it("extends in place when the suite is free, else moves to the lowest free suite; previous names the old stay", async () => {
    const [s1, s2, s3] = await createTier(testDb, "chg", 3, "CH");
    const guest = await booked("chg", "Guest", "2032-01-01", "2032-01-03");
    expect(guest.suite).toBe(s1);
    const extended = await change(hotel, guest.id, { checkOut: "2032-01-04" });
    expect(extended).toMatchObject({ outcome: "changed", changed: true, booking: { suite: s1, checkIn: "2032-01-01", checkOut: "2032-01-04" }, previous: { suite: s1, checkOut: "2032-01-03" } });
    // s1 is taken on the 5th by someone else: extending to the 6th must move.
    await booked("chg", "Blocker", "2032-01-05", "2032-01-06");
    await booked("chg", "Second", "2032-01-05", "2032-01-06");
    const moved = await change(hotel, guest.id, { checkOut: "2032-01-06" });
    expect(moved).toMatchObject({ outcome: "changed", booking: { suite: s3, checkOut: "2032-01-06" }, previous: { suite: s1, checkOut: "2032-01-04" } });
    // A shift keeps the length, and the suite, which is free then.
    const shifted = await change(hotel, guest.id, { checkIn: "2032-02-01" });
    expect(shifted).toMatchObject({ booking: { suite: s3, checkIn: "2032-02-01", checkOut: "2032-02-06" } });
    // Shortening frees the nights at once.
    expect(await change(hotel, guest.id, { nights: 1 })).toMatchObject({ booking: { suite: s3, checkIn: "2032-02-01", checkOut: "2032-02-02" } });
    await booked("chg", "Later 1", "2032-02-02", "2032-02-06");
    await booked("chg", "Later 2", "2032-02-02", "2032-02-06");
    expect((await booked("chg", "Later 3", "2032-02-02", "2032-02-06")).suite).toBe(s3);
    expect(s2).toBeDefined();
    expect(await problems()).toEqual([]);
  });

  it("a refused change leaves the booking exactly as it was (same row version) and writes no event", async () => {
    await createTier(testDb, "full", 1, "FU");
    const guest = await booked("full", "Stays", "2032-03-01", "2032-03-03");
    await booked("full", "Next", "2032-03-03", "2032-03-05");
    const before = await rowOf(guest.id);
    const events = await testDb.query(`SELECT count(*)::int AS n FROM events`);
    const refused = await change(hotel, guest.id, { checkOut: "2032-03-04" });
    expect(refused).toMatchObject({ outcome: "refused", status: 409, code: "NO_AVAILABILITY" });
    expect(await rowOf(guest.id)).toEqual(before);
    expect(await testDb.query(`SELECT count(*)::int AS n FROM events`)).toEqual(events);
  });

  it("refuses by state, unknown ids and bad input without writing", async () => {
    await createTier(testDb, "states", 2, "ST");
    const guest = await booked("states", "Gone", "2032-04-01", "2032-04-03");
    await cancel(hotel, guest.id);
    expect(await change(hotel, guest.id, { checkOut: "2032-04-04" })).toMatchObject({ outcome: "refused", code: "INVALID_STATE", message: expect.stringMatching(/is cancelled/) });
    await expect(change(hotel, 999_999, { checkOut: "2032-04-04" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(change(hotel, guest.id, {})).rejects.toMatchObject({ code: "USAGE" });
    await expect(change(hotel, guest.id, { checkIn: "2032-04-05", checkOut: "2032-04-04" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(change(hotel, "abc", { nights: 1 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("an in-house guest can change the check-out only", async () => {
    await createTier(testDb, "inhouse", 1, "IH");
    const guest = await booked("inhouse", "Here", "2032-05-01", "2032-05-03");
    expect(await checkin(hotel, guest.id, { now: new Date(2032, 4, 1, 15) })).toMatchObject({ outcome: "checked_in", changed: true });
    expect(await change(hotel, guest.id, { checkIn: "2032-05-02" })).toMatchObject({ outcome: "refused", code: "INVALID_STATE" });
    expect(await change(hotel, guest.id, { checkOut: "2032-05-05" })).toMatchObject({ outcome: "changed", booking: { status: "checked_in", checkOut: "2032-05-05" } });
  });

  it("the same idempotency key replays the first change; another change with it is refused", async () => {
    await createTier(testDb, "idem-change", 2, "IC");
    const guest = await booked("idem-change", "Key", "2032-06-01", "2032-06-02");
    const first = await change(hotel, guest.id, { checkOut: "2032-06-03", idempotencyKey: "ext-1" });
    const again = await change(hotel, guest.id, { checkOut: "2032-06-03", idempotencyKey: "ext-1" });
    expect(again).toMatchObject({ outcome: "changed", replayed: true, booking: { checkOut: "2032-06-03" }, previous: { checkOut: "2032-06-02" } });
    expect(first).toMatchObject({ replayed: false });
    await expect(change(hotel, guest.id, { checkOut: "2032-06-05", idempotencyKey: "ext-1" })).rejects.toMatchObject({ code: "IDEMPOTENCY_MISMATCH" });
    expect(await testDb.query(`SELECT count(*)::int AS n FROM events WHERE booking_id = $1 AND operation = 'change'`, [guest.id])).toEqual([{ n: 1 }]);
  });
});

describe("move", () => {
  it("to a named suite of any tier if active and free; to the lowest free suite of a tier; refused otherwise", async () => {
    const [a1] = await createTier(testDb, "mv-a", 2, "MA");
    const [b1, b2] = await createTier(testDb, "mv-b", 2, "MB");
    const guest = await booked("mv-a", "Mover", "2032-07-01", "2032-07-03");
    expect(guest.suite).toBe(a1);
    const up = await move(hotel, guest.id, { tier: "mv-b" });
    expect(up).toMatchObject({ outcome: "moved", booking: { suite: b1, tier: "mv-b" }, previous: { suite: a1, tier: "mv-a" } });
    expect(await move(hotel, guest.id, { suite: b2 as string })).toMatchObject({ outcome: "moved", booking: { suite: b2 } });
    expect(await move(hotel, guest.id, { suite: b2 as string })).toMatchObject({ outcome: "moved", changed: false });
    await testDb.query(`UPDATE suites SET active = false WHERE number = $1`, [b1]);
    expect(await move(hotel, guest.id, { suite: b1 as string })).toMatchObject({ outcome: "refused", code: "NO_AVAILABILITY", message: expect.stringMatching(/out of service/) });
    // Each suite of mv-a is taken on one night of the stay: none is free for all of it.
    await booked("mv-a", "Blocker", "2032-07-02", "2032-07-03");
    await booked("mv-a", "Blocker 2", "2032-07-01", "2032-07-02");
    await booked("mv-a", "Blocker 3", "2032-07-01", "2032-07-02");
    expect(await move(hotel, guest.id, { tier: "mv-a" })).toMatchObject({ outcome: "refused", code: "NO_AVAILABILITY" });
    await expect(move(hotel, guest.id, { suite: "NOPE" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(move(hotel, guest.id, { tier: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(move(hotel, guest.id, {})).rejects.toMatchObject({ code: "USAGE" });
    expect(await problems()).toEqual([]);
  });
});

describe("check-in, check-out, no-show, confirm, cancel", () => {
  const day = (y: number, m: number, d: number): Date => new Date(y, m - 1, d, 12);

  it("follow a booking's life, refuse what the state forbids, and repeating one changes nothing", async () => {
    await createTier(testDb, "life", 2, "LF");
    const stay = await booked("life", "Life", "2032-08-10", "2032-08-14");
    expect(await checkin(hotel, stay.id, { now: day(2032, 8, 9) })).toMatchObject({ outcome: "refused", code: "INVALID_STATE", message: expect.stringMatching(/checks in on 2032-08-10/) });
    expect(await checkout(hotel, stay.id, { now: day(2032, 8, 10) })).toMatchObject({ outcome: "refused", code: "INVALID_STATE" });
    expect(await checkin(hotel, stay.id, { now: day(2032, 8, 10) })).toMatchObject({ outcome: "checked_in", changed: true, booking: { status: "checked_in" } });
    expect(await checkin(hotel, stay.id, { now: day(2032, 8, 10) })).toMatchObject({ outcome: "checked_in", changed: false });
    expect(await cancel(hotel, stay.id)).toMatchObject({ outcome: "refused", code: "INVALID_STATE" });
    expect(await noshow(hotel, stay.id, { now: day(2032, 8, 10) })).toMatchObject({ outcome: "refused", code: "INVALID_STATE" });
    // Leaving on the 12th of a stay booked to the 14th: the 12th and 13th are free at once.
    const early = await checkout(hotel, stay.id, { now: day(2032, 8, 12) });
    expect(early).toMatchObject({ outcome: "checked_out", changed: true, booking: { status: "checked_out", checkOut: "2032-08-12" } });
    const a = await booked("life", "A", "2032-08-12", "2032-08-14");
    const b = await booked("life", "B", "2032-08-12", "2032-08-14");
    expect(new Set([a.suite, b.suite]).size).toBe(2);
    expect(await checkout(hotel, stay.id, { now: day(2032, 8, 12) })).toMatchObject({ outcome: "checked_out", changed: false });
    expect(await change(hotel, stay.id, { checkOut: "2032-08-15" })).toMatchObject({ outcome: "refused", code: "INVALID_STATE" });
    expect(await problems()).toEqual([]);
  });

  it("checkout on the first day keeps one night; a no-show frees every night", async () => {
    await createTier(testDb, "short", 1, "SH");
    const first = await booked("short", "First", "2032-09-01", "2032-09-05");
    await checkin(hotel, first.id, { now: day(2032, 9, 1) });
    expect(await checkout(hotel, first.id, { now: day(2032, 9, 1) })).toMatchObject({ booking: { checkOut: "2032-09-02" } });
    const second = await booked("short", "Second", "2032-09-02", "2032-09-06");
    expect(await noshow(hotel, second.id, { now: day(2032, 9, 1) })).toMatchObject({ outcome: "refused", code: "INVALID_STATE" });
    expect(await noshow(hotel, second.id, { now: day(2032, 9, 3) })).toMatchObject({ outcome: "no_show", changed: true, booking: { status: "no_show" } });
    expect((await booked("short", "Third", "2032-09-02", "2032-09-06")).suite).toBe(second.suite);
    expect(await problems()).toEqual([]);
  });

  it("confirm turns a live hold into a booking; a hold cannot check in; cancel releases a hold", async () => {
    await createTier(testDb, "held", 2, "HL");
    const held = await hold(hotel, { tier: "held", guestName: "Phone", checkIn: "2032-10-01", checkOut: "2032-10-02", ttlSeconds: 600 });
    if (held.outcome !== "accepted") throw new Error("not held");
    expect(held.booking).toMatchObject({ status: "held", expiresAt: expect.any(String) });
    expect(await checkin(hotel, held.booking.id, { now: day(2032, 10, 1) })).toMatchObject({ outcome: "refused", code: "INVALID_STATE", message: expect.stringMatching(/confirm the hold/) });
    expect(await confirm(hotel, held.booking.id)).toMatchObject({ outcome: "confirmed", changed: true, booking: { status: "confirmed" } });
    expect(await confirm(hotel, held.booking.id)).toMatchObject({ outcome: "confirmed", changed: false });
    const other = await hold(hotel, { tier: "held", guestName: "Web", checkIn: "2032-10-01", checkOut: "2032-10-02", ttlSeconds: 600 });
    if (other.outcome !== "accepted") throw new Error("not held");
    expect(await cancel(hotel, other.booking.id)).toMatchObject({ outcome: "cancelled", changed: true });
    expect(await confirm(hotel, other.booking.id)).toMatchObject({ outcome: "refused", code: "INVALID_STATE" });
    expect(await problems()).toEqual([]);
  });
});

describe("exact under concurrency", () => {
  it("N extensions into a full night racing N new bookings for it end with exactly capacity", async () => {
    const capacity = 6;
    await createTier(testDb, "race-ext", capacity, "RX");
    const guests = await Promise.all(Array.from({ length: capacity }, (_, i) => booked("race-ext", `Stay ${i}`, "2033-01-01", "2033-01-03")));
    const extensions = guests.map((guest) => change(hotel, guest.id, { checkOut: "2033-01-04" }));
    const newcomers = Array.from({ length: capacity }, (_, i) => book(hotel, { tier: "race-ext", guestName: `New ${i}`, checkIn: "2033-01-03", checkOut: "2033-01-04" }));
    const results = await Promise.all([...extensions, ...newcomers]);
    const won = results.filter((r) => r.outcome === "changed" || r.outcome === "accepted");
    expect(won).toHaveLength(capacity);
    expect(results.filter((r) => r.outcome === "refused" && r.code === "NO_AVAILABILITY")).toHaveLength(capacity);
    const night = await testDb.query(
      `SELECT count(*)::int AS n FROM bookings b JOIN tiers t ON t.id = b.tier_id
        WHERE t.name = 'race-ext' AND b.status = 'confirmed' AND b.check_in <= '2033-01-03' AND b.check_out > '2033-01-03'`,
    );
    expect(night).toEqual([{ n: capacity }]);
    expect(await problems()).toEqual([]);
  });

  it("changes, moves and cancels racing each other never overbook or double-book, and the counts stay exact", async () => {
    const seed = 20_331;
    let state = seed;
    const random = (): number => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 4_294_967_296;
    };
    await createTier(testDb, "race-mix", 4, "RM");
    await createTier(testDb, "race-mix-up", 2, "RU");
    const day = (offset: number): string => new Date(Date.UTC(2033, 2, 1 + offset)).toISOString().slice(0, 10);
    const guests = (await Promise.all(Array.from({ length: 12 }, (_, i) => book(hotel, { tier: "race-mix", guestName: `M${i}`, checkIn: day(i % 6), checkOut: day((i % 6) + 1 + (i % 3)) }))))
      .flatMap((r) => (r.outcome === "accepted" ? [r.booking] : []));
    const operations = Array.from({ length: 60 }, () => {
      const guest = guests[Math.floor(random() * guests.length)] as BookingView;
      const pick = random();
      if (pick < 0.4) {
        const start = Math.floor(random() * 6);
        return change(hotel, guest.id, { checkIn: day(start), nights: 1 + Math.floor(random() * 3) });
      }
      if (pick < 0.6) return move(hotel, guest.id, { tier: random() < 0.5 ? "race-mix-up" : "race-mix" });
      if (pick < 0.7) return cancel(hotel, guest.id);
      return book(hotel, { tier: "race-mix", guestName: "Walk-in", checkIn: day(Math.floor(random() * 6)), checkOut: day(6) });
    });
    const results = await Promise.all(operations);
    expect(results.filter((r) => r.outcome === "busy"), `seed ${seed}`).toEqual([]);
    expect(await problems(), `seed ${seed}`).toEqual([]);
  });

  it("a change whose backend is killed while it waits loses nothing and leaves no half-change", async () => {
    await createTier(testDb, "killed", 2, "KL");
    const guest = await booked("killed", "Victim", "2033-05-01", "2033-05-02");
    const before = await rowOf(guest.id);
    const lock = await holdNightLock(testDb, "killed", "2033-05-02");
    const changing = change(hotel, guest.id, { checkOut: "2033-05-03" }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await waitForLockWaiters(testDb, 1, "advisory");
    const killed = await testDb.query(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'advisory' AND query LIKE '%hotel_change%'`,
      [testDb.name],
    );
    expect(killed).toEqual([{ killed: true }]);
    await lock.commit();
    const outcome = await changing;
    const after = await rowOf(guest.id);
    const changeEvents = await testDb.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE booking_id = $1 AND operation = 'change'`, [guest.id]);
    if ("value" in outcome && outcome.value.outcome === "changed") {
      // The retry (a change is safe to repeat) went through once.
      expect(after?.row).toMatchObject({ check_out: "2033-05-03" });
      expect(changeEvents).toEqual([{ n: 1 }]);
    } else {
      expect(after).toEqual(before);
      expect(changeEvents).toEqual([{ n: 0 }]);
    }
    expect(await problems()).toEqual([]);
  });
});
