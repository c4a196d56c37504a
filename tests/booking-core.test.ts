import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { book, type BookingStrategy } from "../src/core/book.js";
import { cancel } from "../src/core/front-desk.js";
import type { Hotel } from "../src/core/hotel.js";
import { availability } from "../src/core/availability.js";
import { bookedPerNight, createTier, type TestDatabase, openHotelDatabase } from "./support/db.js";

let testDb: TestDatabase;
let hotel: Hotel;

beforeAll(async () => ({ testDb, hotel } = await openHotelDatabase({ poolSize: 25 })));
afterAll(async () => testDb?.drop());

const confirmedCount = async (tier: string): Promise<number> =>
  Number(
    (await testDb.query<{ n: string }>(
      `SELECT count(*) AS n FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = $1 AND b.status = 'confirmed'`,
      [tier],
    ))[0]?.n,
  );

// Both forms of the booking transaction must give the same guarantees.
describe.each<BookingStrategy>(["locked", "interactive"])("booking core (%s)", (strategy) => {
  const tier = (name: string): string => `${name}-${strategy}`;

  it("books the lowest-numbered free suite and stores a confirmed row", async () => {
    const [first] = await createTier(testDb, tier("single"), 3, `A${strategy[0]}`);
    const result = await book(hotel, { tier: tier("single"), guestName: "Ada", checkIn: "2031-03-01", checkOut: "2031-03-03" }, { strategy });
    expect(result.outcome).toBe("accepted");
    if (result.outcome !== "accepted") return;
    expect(result.booking).toMatchObject({ suite: first, guest: "Ada", checkIn: "2031-03-01", checkOut: "2031-03-03", status: "confirmed" });
    const rows = await testDb.query(`SELECT guest_name, to_char(check_in,'YYYY-MM-DD') ci, to_char(check_out,'YYYY-MM-DD') co, status FROM bookings WHERE id = $1`, [result.booking.id]);
    expect(rows).toEqual([{ guest_name: "Ada", ci: "2031-03-01", co: "2031-03-03", status: "confirmed" }]);
  });

  it("20 concurrent bookings for a tier of 10: exactly 10 accepted, 10 refused", async () => {
    await createTier(testDb, tier("flash"), 10, `F${strategy[0]}`);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        book(hotel, { tier: tier("flash"), guestName: `Guest ${i}`, checkIn: "2031-04-01", checkOut: "2031-04-02" }, { strategy }),
      ),
    );
    expect(results.filter((r) => r.outcome === "accepted")).toHaveLength(10);
    expect(results.filter((r) => r.outcome === "refused" && r.code === "NO_AVAILABILITY")).toHaveLength(10);
    expect(await confirmedCount(tier("flash"))).toBe(10);
    const suites = await testDb.query(`SELECT DISTINCT suite_id FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = $1`, [tier("flash")]);
    expect(suites).toHaveLength(10);
  });

  it("overlapping stays with different check-in days never overbook a night, and a stay that fits is never refused", async () => {
    const capacity = 4;
    await createTier(testDb, tier("overlap"), capacity, `O${strategy[0]}`);
    // Deterministic mix of 1-4 night stays starting on days 0-7.
    const stays = Array.from({ length: 60 }, (_, i) => ({ start: (i * 7) % 8, nights: 1 + ((i * 5) % 4) }));
    const day = (offset: number): string => new Date(Date.UTC(2031, 4, 1 + offset)).toISOString().slice(0, 10);
    const results = await Promise.all(
      stays.map((stay, i) =>
        book(hotel, { tier: tier("overlap"), guestName: `G${i}`, checkIn: day(stay.start), checkOut: day(stay.start + stay.nights) }, { strategy }),
      ),
    );
    expect(results.every((r) => r.outcome === "accepted" || (r.outcome === "refused" && r.code === "NO_AVAILABILITY"))).toBe(true);
    const perNight = await bookedPerNight(testDb, tier("overlap"));
    expect(Math.max(...Object.values(perNight))).toBeLessThanOrEqual(capacity);
    // After the run, every refused stay must still not fit: if it fit now it
    // fitted then too (bookings only accumulate), so the refusal was wrong.
    for (const [i, result] of results.entries()) {
      if (result.outcome !== "refused") continue;
      const stay = stays[i]!;
      const free = await testDb.query(
        `SELECT s.id FROM suites s JOIN tiers t ON t.id = s.tier_id WHERE t.name = $1 AND s.active AND NOT EXISTS (
           SELECT 1 FROM bookings b WHERE b.suite_id = s.id AND b.status = 'confirmed'
             AND daterange(b.check_in, b.check_out) && daterange($2::date, $3::date))`,
        [tier("overlap"), day(stay.start), day(stay.start + stay.nights)],
      );
      expect(free, `refused stay ${JSON.stringify(stay)} fits in a suite`).toHaveLength(0);
    }
    expect(results.filter((r) => r.outcome === "accepted").length).toBeGreaterThan(capacity);
  });

  it("treats stays as half-open: checking out on the 5th frees the suite for a check-in on the 5th", async () => {
    await createTier(testDb, tier("edge"), 1, `E${strategy[0]}`);
    const first = await book(hotel, { tier: tier("edge"), guestName: "Out", checkIn: "2031-06-03", checkOut: "2031-06-05" }, { strategy });
    const second = await book(hotel, { tier: tier("edge"), guestName: "In", checkIn: "2031-06-05", checkOut: "2031-06-07" }, { strategy });
    const clash = await book(hotel, { tier: tier("edge"), guestName: "Clash", checkIn: "2031-06-04", checkOut: "2031-06-06" }, { strategy });
    expect([first.outcome, second.outcome, clash.outcome]).toEqual(["accepted", "accepted", "refused"]);
    expect(await confirmedCount(tier("edge"))).toBe(2);
  });

  it("cancel frees the suite at once", async () => {
    await createTier(testDb, tier("cancel"), 1, `C${strategy[0]}`);
    const stay = { tier: tier("cancel"), checkIn: "2031-07-01", checkOut: "2031-07-04" };
    const first = await book(hotel, { ...stay, guestName: "First" }, { strategy });
    expect((await book(hotel, { ...stay, guestName: "Second" }, { strategy })).outcome).toBe("refused");
    if (first.outcome !== "accepted") throw new Error("first booking refused");
    const cancelled = await cancel(hotel, first.booking.id);
    expect(cancelled).toMatchObject({ changed: true, booking: { status: "cancelled" } });
    expect(await cancel(hotel, first.booking.id)).toMatchObject({ changed: false });
    const again = await book(hotel, { ...stay, guestName: "Second" }, { strategy });
    expect(again.outcome).toBe("accepted");
    const rows = await testDb.query(`SELECT status FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = $1 ORDER BY b.id`, [tier("cancel")]);
    expect(rows.map((r) => r.status)).toEqual(["cancelled", "confirmed"]);
  });

  it("an idempotent replay returns the first booking and books nothing; other details with the same key are refused", async () => {
    await createTier(testDb, tier("idem"), 5, `I${strategy[0]}`);
    const request = { tier: tier("idem"), guestName: "Key", checkIn: "2031-08-01", checkOut: "2031-08-02", idempotencyKey: `key-${strategy}` };
    const results = await Promise.all(Array.from({ length: 10 }, () => book(hotel, request, { strategy })));
    const ids = new Set(results.map((r) => (r.outcome === "accepted" ? r.booking.id : -1)));
    expect(ids.size).toBe(1);
    expect(ids.has(-1)).toBe(false);
    expect(results.filter((r) => r.outcome === "accepted" && !r.replayed)).toHaveLength(1);
    expect(await confirmedCount(tier("idem"))).toBe(1);
    await expect(book(hotel, { ...request, checkOut: "2031-08-03" }, { strategy })).rejects.toMatchObject({ code: "IDEMPOTENCY_MISMATCH" });
    await expect(book(hotel, { ...request, guestName: "Other" }, { strategy })).rejects.toMatchObject({ code: "IDEMPOTENCY_MISMATCH" });
    expect(await confirmedCount(tier("idem"))).toBe(1);
  });
});

describe("booking core: input and refusals", () => {
  beforeAll(async () => {
    await createTier(testDb, "valid", 2, "VA");
  });

  it("refuses an unknown tier with NOT_FOUND and writes nothing", async () => {
    const before = await testDb.query(`SELECT count(*)::int AS n FROM bookings`);
    await expect(book(hotel, { tier: "nope'; DROP TABLE bookings; --", guestName: "X", checkIn: "2031-01-01", checkOut: "2031-01-02" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await testDb.query(`SELECT count(*)::int AS n FROM bookings`)).toEqual(before);
  });

  it.each([
    ["impossible date", { checkIn: "2031-02-30", checkOut: "2031-03-02" }],
    ["check-out before check-in", { checkIn: "2031-03-05", checkOut: "2031-03-02" }],
    ["zero nights", { checkIn: "2031-03-05", checkOut: "2031-03-05" }],
    ["year out of range", { checkIn: "99999-01-01", checkOut: "2031-03-02" }],
    ["too long a stay", { checkIn: "2031-01-01", checkOut: "2033-01-01" }],
    ["empty guest", { guestName: "   " }],
    ["control characters in guest", { guestName: "Evil\u001b[2J" }],
    ["200 KB guest name", { guestName: "x".repeat(200_000) }],
  ])("refuses %s with INVALID_INPUT and writes nothing", async (_label, override) => {
    const before = await testDb.query(`SELECT count(*)::int AS n FROM bookings`);
    const request = { tier: "valid", guestName: "Valid", checkIn: "2031-03-01", checkOut: "2031-03-02", ...override };
    await expect(book(hotel, request)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(await testDb.query(`SELECT count(*)::int AS n FROM bookings`)).toEqual(before);
  });

  it("availability counts booked and free suites per night, half-open", async () => {
    await createTier(testDb, "avail", 3, "AV");
    await book(hotel, { tier: "avail", guestName: "A", checkIn: "2031-09-01", checkOut: "2031-09-03" });
    await book(hotel, { tier: "avail", guestName: "B", checkIn: "2031-09-02", checkOut: "2031-09-03" });
    const result = await availability(hotel, { from: "2031-09-01", to: "2031-09-04", tier: "avail" });
    expect(result).toEqual({
      from: "2031-09-01",
      to: "2031-09-04",
      tiers: [
        {
          tier: "avail",
          capacity: 3,
          nights: [
            { date: "2031-09-01", booked: 1, held: 0, free: 2 },
            { date: "2031-09-02", booked: 2, held: 0, free: 1 },
            { date: "2031-09-03", booked: 0, held: 0, free: 3 },
          ],
        },
      ],
    });
  });
});

describe("night counts behind the fast refusal", () => {
  const counts = (tier: string) =>
    testDb.query(
      `SELECT to_char(n.night, 'YYYY-MM-DD') AS night, n.booked FROM tier_night_counts n JOIN tiers t ON t.id = n.tier_id WHERE t.name = $1 ORDER BY n.night`,
      [tier],
    );
  const suiteCounts = (tier: string) =>
    testDb.query(`SELECT c.active, c.inactive FROM tier_suite_counts c JOIN tiers t ON t.id = c.tier_id WHERE t.name = $1`, [tier]);

  it("follow bookings, cancellations and disabled suites exactly, and never refuse a stay that fits", async () => {
    const [first, second] = await createTier(testDb, "counted", 2, "CT");
    const stay = { tier: "counted", checkIn: "2031-11-01", checkOut: "2031-11-03" };
    const a = await book(hotel, { ...stay, guestName: "A" });
    const b = await book(hotel, { ...stay, checkIn: "2031-11-02", guestName: "B" });
    expect([a.outcome, b.outcome]).toEqual(["accepted", "accepted"]);
    expect(await counts("counted")).toEqual([
      { night: "2031-11-01", booked: 1 },
      { night: "2031-11-02", booked: 2 },
    ]);
    expect((await book(hotel, { ...stay, checkIn: "2031-11-02", guestName: "Full" })).outcome).toBe("refused");

    // Suite B out of service with its booking still on it: the count of the
    // night (2) no longer says anything about the one active suite.
    await testDb.query(`UPDATE suites SET active = false WHERE number = $1`, [second]);
    expect(await suiteCounts("counted")).toEqual([{ active: 1, inactive: 1 }]);
    if (a.outcome !== "accepted") throw new Error("unreachable");
    await cancel(hotel, a.booking.id);
    expect(await counts("counted")).toEqual([
      { night: "2031-11-01", booked: 0 },
      { night: "2031-11-02", booked: 1 },
    ]);
    const fits = await book(hotel, { ...stay, checkIn: "2031-11-02", guestName: "Fits" });
    expect(fits).toMatchObject({ outcome: "accepted", booking: { suite: first } });
    const { checkIntegrity } = await import("../src/core/audit.js");
    expect((await checkIntegrity(hotel)).problems.filter((p) => p.kind === "count-drift" || p.kind === "stale-mark")).toEqual([]);
  });
});

describe("low-water marks behind the free-suite search", () => {
  const mark = async (tier: string, night: string) =>
    (await testDb.query<{ low_water: string | null }>(
      `SELECT n.low_water FROM tier_night_counts n JOIN tiers t ON t.id = n.tier_id
        JOIN tier_suite_counts c ON c.tier_id = t.id AND c.generation = n.generation
        WHERE t.name = $1 AND n.night = $2`,
      [tier, night],
    ))[0]?.low_water ?? null;
  const night = { checkIn: "2031-12-01", checkOut: "2031-12-02" };
  const suiteOf = async (tier: string, guestName: string): Promise<string | undefined> => {
    const result = await book(hotel, { tier, guestName, ...night });
    return result.outcome === "accepted" ? result.booking.suite : undefined;
  };

  it("still give the lowest free suite after cancellations, re-enabled suites and added suites", async () => {
    const suites = await createTier(testDb, "marked", 6, "MK");
    expect(await suiteOf("marked", "1")).toBe(suites[0]);
    expect(await suiteOf("marked", "2")).toBe(suites[1]);
    expect(await suiteOf("marked", "3")).toBe(suites[2]);
    expect(await mark("marked", night.checkIn)).toBe(suites[2]);

    // A cancellation below the mark frees that suite: it must be found again.
    const second = (await testDb.query<{ id: number }>(`SELECT id FROM bookings WHERE guest_name = '2' AND check_in = $1`, [night.checkIn]))[0]!;
    await cancel(hotel, second.id);
    expect(await mark("marked", night.checkIn)).toBeNull();
    expect(await suiteOf("marked", "4")).toBe(suites[1]);

    // A suite that comes back into service below the mark must be found too.
    await testDb.query(`UPDATE suites SET active = false WHERE number = $1`, [suites[3]]);
    expect(await suiteOf("marked", "5")).toBe(suites[4]);
    expect(await mark("marked", night.checkIn)).toBe(suites[4]);
    await testDb.query(`UPDATE suites SET active = true WHERE number = $1`, [suites[3]]);
    expect(await mark("marked", night.checkIn)).toBeNull();
    expect(await suiteOf("marked", "6")).toBe(suites[3]);

    // So must a suite freed by moving its booking to another suite.
    await testDb.query(
      `UPDATE bookings SET suite_id = (SELECT id FROM suites WHERE number = $2) WHERE guest_name = '1' AND suite_id = (SELECT id FROM suites WHERE number = $1)`,
      [suites[0], suites[5]],
    );
    expect(await mark("marked", night.checkIn)).toBeNull();
    expect(await suiteOf("marked", "moved")).toBe(suites[0]);

    // So must a suite added with a low number.
    await testDb.query(`INSERT INTO suites (property_id, number, tier_id) SELECT 1, 'MK000', tier_id FROM suites WHERE number = $1`, [suites[0]]);
    expect(await suiteOf("marked", "7")).toBe("MK000");
    expect(await suiteOf("marked", "8")).toBeUndefined();
    const { checkIntegrity } = await import("../src/core/audit.js");
    expect((await checkIntegrity(hotel)).problems.filter((p) => p.kind === "count-drift" || p.kind === "stale-mark")).toEqual([]);
  });

  it("a multi-night stay searches above the highest mark of its nights", async () => {
    const suites = await createTier(testDb, "marked-multi", 4, "MM");
    await book(hotel, { tier: "marked-multi", guestName: "a", checkIn: "2031-12-10", checkOut: "2031-12-11" });
    await book(hotel, { tier: "marked-multi", guestName: "b", checkIn: "2031-12-10", checkOut: "2031-12-11" });
    await book(hotel, { tier: "marked-multi", guestName: "c", checkIn: "2031-12-11", checkOut: "2031-12-12" });
    const stay = await book(hotel, { tier: "marked-multi", guestName: "two nights", checkIn: "2031-12-10", checkOut: "2031-12-12" });
    expect(stay).toMatchObject({ outcome: "accepted", booking: { suite: suites[2] } });
    const later = await book(hotel, { tier: "marked-multi", guestName: "d", checkIn: "2031-12-11", checkOut: "2031-12-12" });
    expect(later).toMatchObject({ outcome: "accepted", booking: { suite: suites[1] } });
  });
});

describe("the schema's safety net", () => {
  it("the exclusion constraint refuses a direct double insert of one suite", async () => {
    await createTier(testDb, "net", 1, "N");
    const suite = (await testDb.query<{ id: number; tier_id: number }>(`SELECT s.id, s.tier_id FROM suites s JOIN tiers t ON t.id = s.tier_id WHERE t.name = 'net'`))[0]!;
    const insert = (ci: string, co: string) =>
      testDb.query(`INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out) VALUES (1, $1, $2, 'x', $3, $4)`, [suite.id, suite.tier_id, ci, co]);
    await insert("2031-10-01", "2031-10-05");
    await expect(insert("2031-10-04", "2031-10-06")).rejects.toMatchObject({ code: "23P01" });
    await insert("2031-10-05", "2031-10-06");
    await expect(insert("2031-10-06", "2031-10-06")).rejects.toMatchObject({ code: "23514" });
    expect(await testDb.query(`SELECT count(*)::int AS n FROM bookings WHERE suite_id = $1`, [suite.id])).toEqual([{ n: 2 }]);
  });
});
