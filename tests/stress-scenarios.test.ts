import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveStressConfig, runStress } from "../src/stress/index.js";
import { judgeMixed, type MixedEvidence } from "../src/stress/mixed-oracle.js";
import { operationAt } from "../src/stress/scenarios.js";
import { dropScratchSchema } from "../src/stress/scratch.js";
import type { TimedRefusal } from "../src/stress/timeline-oracle.js";
import { createTestDatabase, type TestDatabase } from "./support/db.js";
import { testSeed } from "./support/random.js";

// The scenarios that mix operations (front-desk, holds), run through the
// library on a real PostgreSQL, and their oracle shown to catch what it must.

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => testDb?.drop());

const scratchSchemas = (): Promise<unknown[]> => testDb.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hotel\\_stress\\_%'`);

describe("mixed scenarios on scratch data", () => {
  it("front-desk: every operation runs, every refusal is judged justified, and hotel check is clean", async () => {
    // 400 requests: every operation and both kinds of refusal with room to spare. Which check-ins are
    // accepted depends on timing too: 250 requests once gave none on a loaded machine; 400 gave 6-15 in 6 seeds.
    const config = resolveStressConfig({ n: 400, scenario: "front-desk", concurrency: 12, capacity: 3, seed: testSeed() });
    const report = await runStress(config, { baseUrl: testDb.url });
    expect(report.invariants, JSON.stringify(report.findings)).toMatchObject({ ok: true, overbookedNights: 0, doubleBookedSuites: 0, unjustifiedRefusals: 0, phantomBookings: 0, lostBookings: 0, checkProblems: 0 });
    expect(report.errors, JSON.stringify(report.errorMessages)).toBe(0);
    const operations = report.operations ?? {};
    expect(Object.keys(operations).sort()).toEqual(["book", "cancel", "change", "checkin", "checkout", "confirm", "hold", "move", "noshow"]);
    expect(Object.values(operations).reduce((sum, counts) => sum + counts.requested, 0)).toBe(400);
    // Each kind of refusal happened, and the oracle judged refusals (not only skipped them).
    const refusedCodes = new Set(Object.values(operations).flatMap((counts) => Object.keys(counts.refused)));
    expect([...refusedCodes]).toEqual(expect.arrayContaining(["NO_AVAILABILITY", "INVALID_STATE"]));
    expect(report.invariants.judgedRefusals).toBeGreaterThan(0);
    expect(operations.checkin?.accepted).toBeGreaterThan(0);
    expect(operations.change?.accepted).toBeGreaterThan(0);
    expect(await scratchSchemas()).toEqual([]);
  });

  it("holds: holds of 1-2 s lapse while bookings race them; refusals are judged by the expiry instant", async () => {
    // 200 requests a second for 400 requests: the run (2 s) outlives its first holds.
    const config = resolveStressConfig({ n: 400, rate: 200, scenario: "holds", concurrency: 16, capacity: 8, keep: true, seed: testSeed() });
    const report = await runStress(config, { baseUrl: testDb.url });
    const schema = report.scratch?.schema as string;
    try {
      expect(report.invariants, JSON.stringify(report.findings)).toMatchObject({ ok: true, unjustifiedRefusals: 0, checkProblems: 0 });
      expect(report.errors, JSON.stringify(report.errorMessages)).toBe(0);
      const { hold, book, confirm } = report.operations ?? {};
      const counts = JSON.stringify(report.operations);
      expect(hold?.accepted, counts).toBeGreaterThan(0);
      expect(confirm?.accepted, counts).toBeGreaterThan(0);
      // Bookings and holds were refused while holds held the suites...
      expect((book?.refused.NO_AVAILABILITY ?? 0) + (hold?.refused.NO_AVAILABILITY ?? 0), counts).toBeGreaterThan(0);
      expect(report.invariants.judgedRefusals, counts).toBeGreaterThan(0);
      // ...and holds were left to lapse: marked expired by a booking that needed the night, or still held (lapsed or lapsing).
      const [lapsed] = await testDb.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".bookings WHERE status IN ('expired', 'held')`);
      expect(lapsed?.n, `${counts} in ${report.wallTimeMs} ms`).toBeGreaterThan(0);
    } finally {
      await dropScratchSchema(testDb.url, schema);
    }
  }, 30_000);

  it("front-desk --via http: each operation goes to a hotel serve of the run's own, on the server's own date", async () => {
    const config = resolveStressConfig({ n: 150, scenario: "front-desk", via: "http", concurrency: 8, capacity: 2, seed: testSeed() });
    const report = await runStress(config, { baseUrl: testDb.url });
    expect(report.invariants, JSON.stringify(report.findings)).toMatchObject({ ok: true, unjustifiedRefusals: 0, checkProblems: 0 });
    expect(report.errors, JSON.stringify(report.errorMessages)).toBe(0);
    const operations = report.operations ?? {};
    for (const operation of ["book", "change", "move", "cancel"]) expect(operations[operation]?.accepted, operation).toBeGreaterThan(0);
    // The stays are a month ahead and serve acts on today: no guest can check in yet, and the oracle agrees.
    expect(operations.checkin?.accepted).toBe(0);
    expect(report.invariants.judgedRefusals).toBeGreaterThan(0);
    expect(await scratchSchemas()).toEqual([]);
  }, 30_000);

  it("refuses --url with a mixed scenario (usage) and plans the same operations from the same seed", () => {
    expect(() => resolveStressConfig({ scenario: "front-desk", url: "http://127.0.0.1:1" })).toThrow(expect.objectContaining({ code: "USAGE" }));
    expect(() => resolveStressConfig({ scenario: "holds", strategy: "serializable" })).toThrow(expect.objectContaining({ code: "USAGE" }));
    const config = resolveStressConfig({ scenario: "front-desk", seed: 5, checkIn: "2031-01-01" });
    const plan = Array.from({ length: 50 }, (_, i) => operationAt(config, i));
    expect(Array.from({ length: 50 }, (_, i) => operationAt(config, i))).toEqual(plan);
    expect(new Set(plan.map((operation) => operation.operation)).size).toBeGreaterThan(5);
  });
});

describe("the mixed scenarios' oracle catches planted violations", () => {
  const suites = [
    { suite: "S1", tier: "std", active: true },
    { suite: "S2", tier: "std", active: true },
  ];
  const doc = (id: number, suite: string, status = "confirmed") => ({ id, suite, tier: "std", checkIn: "2031-01-01", checkOut: "2031-01-02", status });
  const booking = (id: number, suite: string, requestIndex: number) => ({ id, suite, tier: "std", checkIn: "2031-01-01", checkOut: "2031-01-02", status: "confirmed", requestIndex });
  const reported = { outcomeOf: () => "accepted" as const, acceptedIds: [1] };
  const refusedBook: TimedRefusal = { index: 9, code: "NO_AVAILABILITY", startedAt: 200, endedAt: 210, request: { operation: "book", tier: "std", checkIn: "2031-01-01", checkOut: "2031-01-02" } };

  it("an unjustified refusal: a booking refused while a suite stayed free", () => {
    const evidence: MixedEvidence = { suites, bookings: [booking(1, "S1", 0)], events: [{ at: 100, bookingId: 1, before: null, after: doc(1, "S1") }] };
    const judgement = judgeMixed(evidence, [refusedBook], reported, [], 0);
    expect(judgement).toMatchObject({ ok: false, unjustifiedRefusals: 1, judgedRefusals: 1 });
    expect(judgement.findings).toEqual([expect.objectContaining({ kind: "unjustified-refusal", detail: expect.stringContaining("suite S2 was free") })]);
    // With S2 taken too, the same refusal is justified.
    const full = { ...evidence, bookings: [...evidence.bookings, booking(2, "S2", 1)], events: [...evidence.events, { at: 150, bookingId: 2, before: null, after: doc(2, "S2") }] };
    expect(judgeMixed(full, [refusedBook], { ...reported, acceptedIds: [1, 2] }, [], 0)).toMatchObject({ ok: true, judgedRefusals: 1 });
  });

  it("an overbooking, a double-booked suite, a lost booking and a finding of hotel check", () => {
    const evidence: MixedEvidence = { suites: suites.slice(0, 1), bookings: [booking(1, "S1", 0), booking(2, "S1", 1)], events: [] };
    const judgement = judgeMixed(evidence, [], { ...reported, acceptedIds: [1, 2, 3] }, ["count drift: std"], 0);
    expect(judgement).toMatchObject({ ok: false, overbookedNights: 1, doubleBookedSuites: 1, lostBookings: 1, checkProblems: 1 });
    expect(judgement.findings.map((finding) => finding.kind)).toEqual(["overbooked-night", "double-booked-suite", "lost-booking", "check"]);
  });
});
