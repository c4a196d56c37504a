import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS, checkIntegrity, repairIntegrity, type Problem } from "../src/core/audit.js";
import { generateYears } from "../src/core/check/generate.js";
import { formatDate, today } from "../src/core/dates.js";
import type { Hotel } from "../src/core/hotel.js";
import { below, mulberry32 } from "../src/stress/random.js";
import { createTestDatabase, createTier, hotelOf, type TestDatabase } from "./support/db.js";
import { referenceProblems } from "./support/reference-audit.js";

/**
 * The linear checks find exactly what the first release's quadratic audit
 * finds (tests/support/reference-audit.ts), on generated years of bookings
 * with problems planted at random, the guards that prevent them switched
 * off. Seeded: CHECK_SEED=<seed> repeats a run; a failure prints its seed.
 */

let testDb: TestDatabase;
let hotel: Hotel;
const seed = Number(process.env.CHECK_SEED ?? Math.floor(Math.random() * 2 ** 31));

beforeAll(async () => {
  testDb = await createTestDatabase();
  hotel = hotelOf(await testDb.open({ poolSize: 4 }));
});
afterAll(async () => testDb?.drop());

const canonical = (problems: Problem[]): string[] =>
  problems
    .filter((p) => p.kind !== "modified-migration")
    .map((p) => JSON.stringify(p, Object.keys(p).sort()))
    .sort();

async function expectSameFindings(round: string): Promise<Problem[]> {
  const report = await checkIntegrity(hotel);
  const expected = await referenceProblems(testDb, formatDate(today()));
  expect(canonical(report.problems), `seed ${seed}, ${round}`).toEqual(canonical(expected));
  return report.problems;
}

/** One random plant, as a DBA or a bug could leave it. */
function plants(next: () => number): string[] {
  const pick = <T>(items: readonly T[]): T => items[below(next, items.length)] as T;
  const suite = `'Y${String(1 + below(next, 24)).padStart(3, "0")}'`;
  const night = `DATE '2032-02-01' - ${below(next, 260)}`;
  const years = `(SELECT id FROM tiers WHERE name = 'years')`;
  const all = [
    // A stay on a suite whatever it holds (the exclusion constraint is gone).
    `INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
       SELECT 1, id, tier_id, 'twin', ${night}, ${night} + ${1 + below(next, 3)} FROM suites WHERE number = ${suite}`,
    // A crowd on one night: more stays than suites.
    `INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
       SELECT 1, id, tier_id, 'crowd', ${night}, ${night} + 1 FROM suites WHERE tier_id = ${years} ORDER BY number LIMIT 10`,
    // A hold, live or lapsed.
    `INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out, status, expires_at)
       SELECT 1, id, tier_id, 'hold', ${night}, ${night} + 2, 'held', now() + ${pick(["interval '1 hour'", "interval '-1 hour'"])} FROM suites WHERE number = ${suite}`,
    // Rows the triggers never saw: deleted, cancelled, or pointing elsewhere.
    `SET session_replication_role = replica;
     DELETE FROM bookings WHERE id IN (SELECT id FROM bookings WHERE check_in = ${night} ORDER BY id LIMIT ${1 + below(next, 3)});
     SET session_replication_role = origin`,
    `SET session_replication_role = replica;
     UPDATE bookings SET status = 'cancelled' WHERE id IN (SELECT id FROM bookings WHERE check_in = ${night} AND status <> 'cancelled' ORDER BY id LIMIT 1);
     SET session_replication_role = origin`,
    `SET session_replication_role = replica;
     INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
       VALUES (1, ${pick(["9999", `(SELECT id FROM suites WHERE number = ${suite})`])}, ${pick(["9999", "(SELECT id FROM tiers WHERE name = 'other')"])}, 'astray', ${night}, ${night} + 1);
     SET session_replication_role = origin`,
    // Counts and marks edited by hand.
    `UPDATE tier_night_counts SET ${pick(["booked", "held"])} = ${pick(["booked", "held"])} + ${1 + below(next, 3)} WHERE tier_id = ${years} AND night = ${night}`,
    `DELETE FROM tier_night_counts WHERE tier_id = ${years} AND night = ${night}`,
    `UPDATE tier_night_counts n SET low_water = ${suite}, generation = c.generation FROM tier_suite_counts c
       WHERE c.tier_id = n.tier_id AND n.tier_id = ${years} AND n.night = ${night}`,
    // A suite taken out of service behind the application's back (it moves the tier's generation: the marks stop counting).
    `UPDATE suites SET active = NOT active WHERE number = ${suite}`,
    `UPDATE tier_suite_counts SET active = active + 1 WHERE tier_id = ${years}`,
  ];
  return [pick(all), pick(all), pick(all)];
}

describe("the linear checks against the first release's audit", () => {
  it("a generated hotel is clean, and its counts and marks are what the reference recomputes", async () => {
    const made = await generateYears(hotel, { bookings: 2000, suites: 24, until: "2032-02-01" });
    expect(made).toMatchObject({ tier: "years", added: 2000, total: 2000, lastNight: "2032-02-01" });
    expect(await testDb.query(`SELECT count(*)::int AS n FROM tier_night_counts WHERE low_water IS NOT NULL`)).not.toEqual([{ n: 0 }]);
    await createTier(testDb, "other", 3, "O");
    const report = await checkIntegrity(hotel);
    expect(report.problems).toEqual([]);
    expect(report.checked).toEqual({ bookings: 2000, suites: 27, tiers: 2 });
    expect(Object.keys(report.timings)).toEqual([...CHECKS.map((check) => check.name), "totals"]);
    expect(await referenceProblems(testDb, formatDate(today()))).toEqual([]);
  });

  it(`finds exactly what the reference finds, round after round of planted problems (seed ${seed})`, async () => {
    const next = mulberry32(seed);
    // Without the constraint's index the reference would scan every booking per booking.
    await testDb.query(`ALTER TABLE bookings DROP CONSTRAINT bookings_no_double_booking; CREATE INDEX ON bookings (suite_id, check_in)`);
    for (let round = 1; round <= 8; round++) {
      const planted = plants(next);
      for (const sql of planted) await testDb.query(sql);
      await expectSameFindings(`round ${round} after ${planted.map((sql) => sql.replace(/\s+/g, " ").slice(0, 60)).join(" | ")}`);
    }
    // The repair settles what is derived, and the rest stays as the reference sees it.
    await repairIntegrity(hotel);
    const left = await expectSameFindings("after the repair");
    expect(left.filter((p) => p.kind === "count-drift" || p.kind === "stale-mark"), `seed ${seed}`).toEqual([]);
  }, 180_000);
});
