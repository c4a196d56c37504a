import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkIntegrity, repairIntegrity, type Repair } from "../src/core/audit.js";
import { book, hold } from "../src/core/book.js";
import type { BookingOutcome } from "../src/core/booking.js";
import type { Hotel } from "../src/core/hotel.js";
import type { Database } from "../src/db/database.js";
import { waitFor } from "./support/cli.js";
import { runInProcess } from "./support/in-process.js";
import { holdNightLock, waitForLockWaiters } from "./support/sessions.js";
import { createTestDatabase, createTier, hotelOf, type TestDatabase } from "./support/db.js";

/**
 * `hotel check --repair` rebuilds the derived counts and marks from the
 * bookings under the night locks, and expires lapsed holds; `hotel check`
 * alone never writes. Drift is planted the ways it happens: a TRUNCATE or
 * DELETE with the triggers off (session_replication_role = replica), and
 * direct UPDATEs of the counts.
 */

let testDb: TestDatabase;
let db: Database;
let hotel: Hotel;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open({ poolSize: 30 });
  hotel = hotelOf(db, "repairer");
});
afterAll(async () => testDb?.drop());

/** Night counts that differ from a recomputation from the bookings (expanded night by night, the naive way). */
async function countsOffTruth(on: TestDatabase = testDb): Promise<unknown[]> {
  return on.query(`
    WITH actual AS (
      SELECT b.tier_id, n::date AS night, count(*) FILTER (WHERE b.status <> 'held')::int AS booked, count(*) FILTER (WHERE b.status = 'held')::int AS held
      FROM bookings b, generate_series(b.check_in, b.check_out - 1, interval '1 day') n
      WHERE b.status IN ('held', 'confirmed', 'checked_in', 'checked_out')
      GROUP BY 1, 2
    )
    SELECT coalesce(a.tier_id, c.tier_id) AS tier_id, coalesce(a.night, c.night) AS night, a.booked, a.held, c.booked AS c_booked, c.held AS c_held
    FROM actual a FULL JOIN tier_night_counts c ON c.tier_id = a.tier_id AND c.night = a.night
    WHERE coalesce(a.booked, 0) <> coalesce(c.booked, 0) OR coalesce(a.held, 0) <> coalesce(c.held, 0)
    UNION ALL
    SELECT t.id, NULL, count(s.id) FILTER (WHERE s.active), count(s.id) FILTER (WHERE NOT s.active), c.active, c.inactive
    FROM tiers t LEFT JOIN suites s ON s.tier_id = t.id LEFT JOIN tier_suite_counts c ON c.tier_id = t.id
    GROUP BY t.id, c.active, c.inactive
    HAVING count(s.id) FILTER (WHERE s.active) <> coalesce(c.active, 0) OR count(s.id) FILTER (WHERE NOT s.active) <> coalesce(c.inactive, 0)`);
}

const snapshot = async (): Promise<unknown[]> =>
  testDb.query(`
    SELECT 'night' AS what, tier_id, night::text AS at, booked, held, low_water, generation::text FROM tier_night_counts
    UNION ALL SELECT 'suites', tier_id, NULL, active, inactive, NULL, generation::text FROM tier_suite_counts
    UNION ALL SELECT 'events', NULL, NULL, count(*)::int, NULL, NULL, NULL FROM events
    UNION ALL SELECT 'bookings', NULL, string_agg(id || status, ',' ORDER BY id), NULL, NULL, NULL, NULL FROM bookings
    ORDER BY 1, 2, 3`);

const accepted = (results: BookingOutcome[]) => results.filter((result) => result.outcome === "accepted");
const kinds = (repairs: Repair[]) => repairs.map((repair) => repair.kind).sort();

describe("hotel check --repair", () => {
  it("rebuilds drifted counts, clears stale marks, expires lapsed holds, says what it changed and leaves one event per repair", async () => {
    await createTier(testDb, "drift", 4, "D");
    await createTier(testDb, "spare", 2, "P");
    const stays = [
      { checkIn: "2032-01-01", checkOut: "2032-01-04" },
      { checkIn: "2032-01-02", checkOut: "2032-01-03" },
      { checkIn: "2032-01-10", checkOut: "2032-01-11" },
      { checkIn: "2032-01-10", checkOut: "2032-01-11" },
    ];
    for (const [i, stay] of stays.entries()) expect((await book(hotel, { tier: "drift", guestName: `G${i}`, ...stay })).outcome).toBe("accepted");
    const lapsing = await hold(hotel, { tier: "drift", guestName: "Lapsing", checkIn: "2032-01-20", checkOut: "2032-01-22", ttlSeconds: 1 });
    expect(lapsing.outcome).toBe("accepted");
    await waitFor(async () => (await testDb.query(`SELECT count(*)::int AS n FROM bookings WHERE status = 'held' AND expires_at <= now()`))[0]?.n === 1, 15_000, "the hold to lapse");
    const tier = `(SELECT id FROM tiers WHERE name = 'drift')`;
    await testDb.query(`
      SET session_replication_role = replica;
      DELETE FROM bookings WHERE guest_name = 'G1';
      SET session_replication_role = origin;
      UPDATE tier_night_counts SET booked = booked + 2 WHERE tier_id = ${tier} AND night = '2032-01-03';
      DELETE FROM tier_night_counts WHERE tier_id = ${tier} AND night = '2032-01-01';
      UPDATE tier_night_counts SET low_water = 'D004' WHERE tier_id = ${tier} AND night = '2032-01-10';
      INSERT INTO tier_night_counts (property_id, tier_id, night, booked, held, low_water, generation)
        SELECT 1, tier_id, '2032-02-01', 0, 0, 'D002', generation FROM tier_suite_counts WHERE tier_id = ${tier};
      UPDATE tier_suite_counts SET active = 9 WHERE tier_id = (SELECT id FROM tiers WHERE name = 'spare');`);
    expect((await countsOffTruth()).length).toBeGreaterThan(0);

    // The audit alone reports and writes nothing, whatever it finds.
    const before = await snapshot();
    const audit = await runInProcess(["--database-url", testDb.url, "check", "--json"]);
    expect(audit.code, audit.stderr).toBe(1);
    expect(new Set(JSON.parse(audit.stdout).problems.map((p: { kind: string }) => p.kind))).toEqual(new Set(["count-drift", "stale-mark"]));
    expect(await snapshot()).toEqual(before);

    const repairs = await repairIntegrity(hotel);
    expect(kinds(repairs)).toEqual(["expired-hold", "night-counts", "night-counts", "night-counts", "night-counts", "night-counts", "suite-counts"]);
    expect(repairs).toEqual(
      expect.arrayContaining([
        { kind: "suite-counts", tier: "spare", before: { active: 9, inactive: 0 }, after: { active: 2, inactive: 0 } },
        { kind: "night-counts", tier: "drift", night: "2032-01-01", before: null, after: { booked: 1, held: 0, lowWater: null } },
        { kind: "night-counts", tier: "drift", night: "2032-01-02", before: { booked: 2, held: 0, lowWater: "D002" }, after: { booked: 1, held: 0, lowWater: null } },
        { kind: "night-counts", tier: "drift", night: "2032-01-03", before: { booked: 3, held: 0, lowWater: null }, after: { booked: 1, held: 0, lowWater: null } },
        { kind: "night-counts", tier: "drift", night: "2032-01-10", before: { booked: 2, held: 0, lowWater: "D004" }, after: { booked: 2, held: 0, lowWater: null } },
        { kind: "night-counts", tier: "drift", night: "2032-02-01", before: { booked: 0, held: 0, lowWater: "D002" }, after: { booked: 0, held: 0, lowWater: null } },
        expect.objectContaining({ kind: "expired-hold", tier: "drift", checkIn: "2032-01-20", checkOut: "2032-01-22" }),
      ]),
    );
    expect(await countsOffTruth()).toEqual([]);
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
    const events = await testDb.query<{ operation: string; actor: string; n: number }>(
      `SELECT operation, actor, count(*)::int AS n FROM events WHERE operation IN ('repair', 'expire') GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(events).toEqual([
      { operation: "expire", actor: "system", n: 1 },
      { operation: "repair", actor: "repairer", n: 6 },
    ]);
    const [mark] = await testDb.query(`SELECT before, after FROM events WHERE operation = 'repair' AND after->>'night' = '2032-01-10'`);
    expect(mark).toEqual({
      before: { tier: "drift", night: "2032-01-10", booked: 2, held: 0, lowWater: "D004" },
      after: { tier: "drift", night: "2032-01-10", booked: 2, held: 0, lowWater: null },
    });

    // A second repair finds nothing to do, and writes nothing.
    const settled = await snapshot();
    expect(await repairIntegrity(hotel)).toEqual([]);
    expect(await snapshot()).toEqual(settled);
  });

  it("from the command line: lists the repairs (--json: \"repaired\"), exits 0 once clean and 1 while problems it cannot fix remain", async () => {
    await createTier(testDb, "cli", 2, "C");
    expect((await book(hotel, { tier: "cli", guestName: "A", checkIn: "2033-05-01", checkOut: "2033-05-03" })).outcome).toBe("accepted");
    await testDb.query(`UPDATE tier_night_counts SET booked = 5 WHERE tier_id = (SELECT id FROM tiers WHERE name = 'cli') AND night = '2033-05-02'`);
    const repaired = await runInProcess(["--database-url", testDb.url, "check", "--repair", "--json"]);
    expect(repaired.code, repaired.stderr).toBe(0);
    const doc = JSON.parse(repaired.stdout);
    expect(doc).toMatchObject({ ok: true, problems: [], repaired: [{ kind: "night-counts", tier: "cli", night: "2033-05-02", before: { booked: 5 }, after: { booked: 1 } }] });
    expect(Object.keys(doc.timings)).toEqual(expect.arrayContaining(["overbooked-night", "double-booked-suite", "stale-mark", "night-count-drift"]));

    const human = await runInProcess(["--database-url", testDb.url, "check", "--repair"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Nothing to repair\.\nOK: no problems/);

    // A booking on a suite of another tier is for a person to settle: the
    // counts are repaired around it, it is reported, exit 1.
    await testDb.query(`
      SET session_replication_role = replica;
      INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
        SELECT 1, s.id, (SELECT id FROM tiers WHERE name = 'spare'), 'Astray', '2033-05-10', '2033-05-11' FROM suites s WHERE s.number = 'C001';
      SET session_replication_role = origin;`);
    const left = await runInProcess(["--database-url", testDb.url, "check", "--repair"]);
    expect(left.code).toBe(1);
    expect(left.stdout).toMatch(/^Repaired 1:\n {2}- night counts: spare on 2033-05-10: no count row -> bookings 1, holds 0\n/);
    expect(left.stdout).toMatch(/PROBLEMS: 1 remain after the repair \(it cannot fix them\)/);
    expect(left.stdout).toMatch(/orphan: booking #\d+: its tier differs from its suite's tier/);
    await testDb.query(`DELETE FROM bookings WHERE guest_name = 'Astray'`);
    expect((await runInProcess(["--database-url", testDb.url, "check", "-v"])).stdout).toMatch(/Timings \(ms\): overbooked-night [\d.]+, .*stale-mark [\d.]+/);
  });

  it("gives up on nights whose locks stay busy: exit 75, and what it repaired before is kept", async () => {
    await createTier(testDb, "held-up", 2, "H");
    expect((await book(hotel, { tier: "held-up", guestName: "A", checkIn: "2035-01-05", checkOut: "2035-01-06" })).outcome).toBe("accepted");
    const tier = `(SELECT id FROM tiers WHERE name = 'held-up')`;
    await testDb.query(`UPDATE tier_night_counts SET booked = 2 WHERE tier_id = ${tier}; UPDATE tier_suite_counts SET inactive = 3 WHERE tier_id = ${tier}`);
    const gate = await holdNightLock(testDb, "held-up", "2035-01-05");
    let result: Awaited<ReturnType<typeof runInProcess>>;
    try {
      result = await runInProcess(["--database-url", testDb.url, "--lock-timeout", "200", "check", "--repair", "--json"]);
    } finally {
      await gate.commit();
    }
    expect(result.code, result.stderr).toBe(75);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "BUSY", message: expect.stringMatching(/held-up's nights 2035-01-05 to 2035-01-05 stayed busy/) } });
    expect(await testDb.query(`SELECT inactive FROM tier_suite_counts WHERE tier_id = ${tier}`)).toEqual([{ inactive: 0 }]);
    expect(await testDb.query(`SELECT booked FROM tier_night_counts WHERE tier_id = ${tier}`)).toEqual([{ booked: 2 }]);
    expect((await runInProcess(["--database-url", testDb.url, "check", "--repair"])).code).toBe(0);
    expect(await testDb.query(`SELECT booked FROM tier_night_counts WHERE tier_id = ${tier}`)).toEqual([{ booked: 1 }]);
  });

  it("repairs while 50 bookings race for 10 suites: exactly 10 are accepted, the counts are exact and check is clean", async () => {
    await createTier(testDb, "race", 11, "R");
    // R011 is taken every night from the raced one on, and every count of
    // the tier is lost: each of those nights needs repairing.
    await testDb.query(`
      INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
        SELECT 1, s.id, s.tier_id, 'Filler', d::date, d::date + 1
        FROM suites s, generate_series(DATE '2034-07-01', DATE '2034-12-31', interval '1 day') d
        WHERE s.number = 'R011';
      DELETE FROM tier_night_counts WHERE tier_id = (SELECT id FROM tiers WHERE name = 'race');`);
    const night = { tier: "race", checkIn: "2034-07-01", checkOut: "2034-07-02" };
    const slow = { lockTimeoutMs: 30_000 };
    const racers = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => book(hotel, { ...night, guestName: `Racer ${from + i}` }, slow));
    // Everyone queues for the raced night's lock while the test holds it:
    // 5 racers, then a repair, then the 45 others (as many as the pool of 30
    // connections lets in; the rest follow them); a second repair runs freely.
    const gate = await holdNightLock(testDb, "race", night.checkIn);
    let results: Promise<BookingOutcome[]>[] = [];
    let repairs: Promise<Repair[]>[] = [];
    try {
      results = [Promise.all(racers(0, 5))];
      await waitForLockWaiters(testDb, 5, "advisory");
      repairs = [repairIntegrity(hotelOf(db, "repair-1"), { chunkNights: 3, ...slow })];
      await waitForLockWaiters(testDb, 6, "advisory");
      results.push(Promise.all(racers(5, 45)));
      await waitForLockWaiters(testDb, 20, "advisory");
      repairs.push(repairIntegrity(hotelOf(db, "repair-2"), { chunkNights: 2, ...slow }));
    } finally {
      await gate.commit();
    }
    const outcomes = (await Promise.all(results)).flat();
    const [first, second] = await Promise.all(repairs);
    expect(accepted(outcomes)).toHaveLength(10);
    expect(outcomes.filter((r) => r.outcome === "refused" && r.code === "NO_AVAILABILITY")).toHaveLength(40);
    // Between them the two repairs rebuilt each lost night once, the raced
    // one (R011's booking) after the first 5 racers and before the others.
    const repaired = [...(first ?? []), ...(second ?? [])].flatMap((r) => (r.kind === "night-counts" ? [r] : []));
    expect(new Set(repaired.map((r) => r.night)).size).toBe(184);
    expect(repaired).toHaveLength(184);
    const raced = repaired.find((r) => r.night === night.checkIn);
    expect(raced?.before?.booked).toBe(5);
    expect(raced?.after.booked).toBe((raced?.before?.booked ?? 0) + 1);
    expect(await countsOffTruth()).toEqual([]);
    expect((await checkIntegrity(hotel)).problems).toEqual([]);
  });
});

describe("TRUNCATE with the triggers off", () => {
  it("leaves every night full in the counts; --repair frees them and a booking fits again", async () => {
    const own = await createTestDatabase();
    try {
      const ownHotel = hotelOf(await own.open({ poolSize: 2 }));
      await createTier(own, "tiny", 2, "T");
      const stay = { tier: "tiny", checkIn: "2031-03-01", checkOut: "2031-03-04" };
      for (const guest of ["A", "B"]) expect((await book(ownHotel, { ...stay, guestName: guest })).outcome).toBe("accepted");
      await own.query(`SET session_replication_role = replica; TRUNCATE bookings; SET session_replication_role = origin;`);
      expect((await book(ownHotel, { ...stay, guestName: "Refused" })).outcome).toBe("refused");
      const result = await runInProcess(["--database-url", own.url, "check", "--repair", "--json"]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).repaired).toHaveLength(3);
      expect(await countsOffTruth(own)).toEqual([]);
      expect((await book(ownHotel, { ...stay, guestName: "Fits" })).outcome).toBe("accepted");
      expect((await checkIntegrity(ownHotel)).problems).toEqual([]);
    } finally {
      await own.drop();
    }
  });
});
