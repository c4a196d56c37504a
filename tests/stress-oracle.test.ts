import { describe, expect, it } from "vitest";
import { judgeRun, type JudgedBooking, type JudgedRefusal, type JudgedSuite } from "../src/stress/oracle.js";
import { resolveStressConfig } from "../src/stress/config.js";
import { OVERLAP_MAX_NIGHTS, OVERLAP_WINDOW_DAYS, requestAt } from "../src/stress/scenarios.js";
import { encodeResult, parseWorkerPlan, workerPlans, workerShare } from "../src/stress/workers.js";

// The oracle, statistics and request plan are pure: no database here.

const suites = (tier: string, count: number, prefix = tier.slice(0, 1).toUpperCase()): JudgedSuite[] =>
  Array.from({ length: count }, (_, i) => ({ suite: `${prefix}${i + 1}`, tier, active: true }));

const booking = (suite: string, checkIn: string, checkOut: string, extra: Partial<JudgedBooking> = {}): JudgedBooking => ({
  suite,
  tier: "standard",
  checkIn,
  checkOut,
  status: "confirmed",
  ...extra,
});

const refusal = (requestIndex: number, checkIn: string, checkOut: string, endedAt: number, tier = "standard"): JudgedRefusal => ({
  requestIndex,
  tier,
  checkIn,
  checkOut,
  endedAt,
});

describe("invariant oracle", () => {
  it("passes rows that respect every invariant, half-open stays included", () => {
    const result = judgeRun({
      suites: suites("standard", 2),
      bookings: [booking("S1", "2031-03-01", "2031-03-03"), booking("S1", "2031-03-03", "2031-03-05"), booking("S2", "2031-03-02", "2031-03-04")],
      refusals: [refusal(9, "2031-03-02", "2031-03-03", 100)],
    });
    expect(result).toMatchObject({ overbookedNights: 0, doubleBookedSuites: 0, unjustifiedRefusals: 0, ok: true, findings: [] });
  });

  it("catches a planted overbooked tier-night", () => {
    const result = judgeRun({
      suites: [...suites("standard", 2), { suite: "S3", tier: "standard", active: false }],
      // Three confirmed on the 2nd, two active suites: S3 is out of service.
      bookings: [booking("S1", "2031-03-01", "2031-03-03"), booking("S2", "2031-03-02", "2031-03-03"), booking("S3", "2031-03-02", "2031-03-04")],
    });
    expect(result.overbookedNights).toBe(1);
    expect(result.doubleBookedSuites).toBe(0);
    expect(result.ok).toBe(false);
    expect(result.findings[0]).toMatchObject({ kind: "overbooked-night" });
    expect(result.findings[0]?.detail).toContain("2031-03-02");
  });

  it("catches a planted double-booked suite but not a cancelled or back-to-back stay", () => {
    const result = judgeRun({
      suites: suites("standard", 10),
      bookings: [
        booking("S1", "2031-03-01", "2031-03-04"),
        booking("S1", "2031-03-03", "2031-03-05"),
        booking("S2", "2031-03-01", "2031-03-03"),
        booking("S2", "2031-03-03", "2031-03-05"),
        booking("S3", "2031-03-01", "2031-03-03"),
        booking("S3", "2031-03-01", "2031-03-03", { status: "cancelled" }),
      ],
    });
    expect(result.doubleBookedSuites).toBe(1);
    expect(result.overbookedNights).toBe(0);
    expect(result.findings).toEqual([expect.objectContaining({ kind: "double-booked-suite", detail: expect.stringContaining("S1") })]);
  });

  it("same-dates: a refusal while fewer than capacity were accepted is unjustified", () => {
    const accepted = [booking("S1", "2031-03-01", "2031-03-02", { startedAt: 1 }), booking("S2", "2031-03-01", "2031-03-02", { startedAt: 2 })];
    const result = judgeRun({ suites: suites("standard", 3), bookings: accepted, refusals: [refusal(7, "2031-03-01", "2031-03-02", 50)] });
    expect(result.unjustifiedRefusals).toBe(1);
    expect(result.findings[0]?.detail).toMatch(/request 7 .* suite S3 was free/);
  });

  it("only bookings whose request had started can justify a refusal", () => {
    const full = suites("standard", 2);
    const early = booking("S1", "2031-03-01", "2031-03-02", { startedAt: 10 });
    const late = booking("S2", "2031-03-01", "2031-03-02", { startedAt: 60 });
    // Refused at t=50: S2's booking had not even started, so S2 was free then.
    expect(judgeRun({ suites: full, bookings: [early, late], refusals: [refusal(3, "2031-03-01", "2031-03-02", 50)] }).unjustifiedRefusals).toBe(1);
    // Refused at t=70: both bookings may have been visible.
    expect(judgeRun({ suites: full, bookings: [early, late], refusals: [refusal(3, "2031-03-01", "2031-03-02", 70)] }).unjustifiedRefusals).toBe(0);
    // Clock slack between processes widens what counts as visible.
    expect(judgeRun({ suites: full, bookings: [early, late], refusals: [refusal(3, "2031-03-01", "2031-03-02", 59)], clockSlackMs: 2 }).unjustifiedRefusals).toBe(0);
  });

  it("overlapping: a refusal is justified when every night has room but no single suite is free for the whole stay", () => {
    const result = judgeRun({
      suites: suites("standard", 2),
      bookings: [booking("S1", "2031-03-01", "2031-03-02", { startedAt: 1 }), booking("S2", "2031-03-02", "2031-03-03", { startedAt: 1 })],
      refusals: [refusal(5, "2031-03-01", "2031-03-03", 10)],
    });
    expect(result.unjustifiedRefusals).toBe(0);
    // With S2's booking moved a day later S2 is free on the 1st and 2nd: unjustified.
    const fits = judgeRun({
      suites: suites("standard", 2),
      bookings: [booking("S1", "2031-03-01", "2031-03-02", { startedAt: 1 }), booking("S2", "2031-03-03", "2031-03-04", { startedAt: 1 })],
      refusals: [refusal(5, "2031-03-01", "2031-03-03", 10)],
    });
    expect(fits.unjustifiedRefusals).toBe(1);
  });

  it("tiers do not justify each other's refusals, and inactive suites never count as free", () => {
    const result = judgeRun({
      suites: [...suites("standard", 1), ...suites("deluxe", 1), { suite: "D9", tier: "deluxe", active: false }],
      bookings: [booking("S1", "2031-03-01", "2031-03-02", { startedAt: 1 }), booking("D1", "2031-03-01", "2031-03-02", { tier: "deluxe", startedAt: 1 })],
      refusals: [refusal(1, "2031-03-01", "2031-03-02", 5, "standard"), refusal(2, "2031-03-01", "2031-03-02", 5, "deluxe"), refusal(3, "2031-03-02", "2031-03-03", 5, "deluxe")],
    });
    expect(result.unjustifiedRefusals).toBe(1);
    expect(result.findings[0]?.detail).toContain("request 3");
  });

  it("takes the refusals in the order they came back, and says so when they are not", () => {
    const refusals = [refusal(1, "2031-03-01", "2031-03-02", 9), refusal(2, "2031-03-01", "2031-03-02", 5)];
    expect(() => judgeRun({ suites: suites("standard", 1), bookings: [], refusals })).toThrow(/order/);
    // A generator works as well as an array: the oracle never holds the refusals.
    function* ordered(): Generator<JudgedRefusal> {
      yield refusal(2, "2031-03-01", "2031-03-02", 5);
      yield refusal(1, "2031-03-01", "2031-03-02", 9);
    }
    expect(judgeRun({ suites: suites("standard", 1), bookings: [], refusals: ordered() }).unjustifiedRefusals).toBe(2);
  });

  it("catches phantom bookings (written for a refused or failed request, or twice) and lost ones", () => {
    const outcomes = ["accepted", "refused", "failed", "accepted", "error", "accepted"] as const;
    const result = judgeRun({
      suites: suites("standard", 10),
      bookings: [
        booking("S1", "2031-03-01", "2031-03-02", { requestIndex: 0 }),
        booking("S2", "2031-03-01", "2031-03-02", { requestIndex: 1 }),
        booking("S3", "2031-03-01", "2031-03-02", { requestIndex: 2 }),
        booking("S4", "2031-03-01", "2031-03-02", { requestIndex: 3 }),
        booking("S5", "2031-03-02", "2031-03-03", { requestIndex: 3 }),
        booking("S6", "2031-03-01", "2031-03-02", { requestIndex: 4 }),
      ],
      reported: { count: outcomes.length, outcomeOf: (i) => outcomes[i] },
    });
    // 1 (refused) and 2 (failed) were written, 3 twice; 4 is an error, whose fate is unknown; 5 was lost.
    expect(result).toMatchObject({ phantomBookings: 3, lostBookings: 1, ok: false });
  });
});

describe("stress plan", () => {
  it.each([
    ["zero requests", { n: "0" }],
    ["negative requests", { n: "-5" }],
    ["non-numeric requests", { n: "twenty" }],
    ["more workers than requests", { n: "2", workers: "3" }],
    ["fewer connections than workers", { n: "20", workers: "4", concurrency: "2" }],
    ["zero capacity", { capacity: "0" }],
    ["a bad date", { checkIn: "2031-02-30" }],
    ["a non-numeric seed", { seed: "abc" }],
    ["a negative threshold", { maxP99: "-1" }],
  ])("refuses %s with INVALID_INPUT", (_label, options) => {
    expect(() => resolveStressConfig(options)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
  });

  it.each([
    ["--strategy seed (now serializable)", { strategy: "seed" }],
    ["--arrival without --rate", { arrival: "poisson" }],
    ["an unknown --via", { via: "grpc" }],
    ["--url with --via core", { url: "http://127.0.0.1:3000", via: "core" }],
    ["--url with --capacity", { url: "http://127.0.0.1:3000", capacity: "5" }],
    ["--via http with another strategy", { via: "http", strategy: "interactive" }],
  ])("refuses %s with USAGE", (_label, options) => {
    expect(() => resolveStressConfig(options)).toThrow(expect.objectContaining({ code: "USAGE" }));
  });

  it.each([
    ["a zero rate", { rate: "0" }],
    ["a rate that is not a number", { rate: "fast" }],
    ["a duration without a unit it knows", { duration: "3 fortnights" }],
    ["a zero duration", { duration: "0s" }],
    ["an --out in a missing directory", { out: "/nonexistent-dir/requests.ndjson" }],
    ["an --html that is a directory", { html: "/tmp" }],
    ["--out and --html the same file", { out: "/tmp/x.out", html: "/tmp/x.out" }],
    ["a --url that is not http", { url: "ftp://example.com" }],
    ["a --url with a query", { url: "http://127.0.0.1:3000/?x=1" }],
  ])("refuses %s with INVALID_INPUT", (_label, options) => {
    expect(() => resolveStressConfig(options)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
  });

  it("load models: closed by default, open with --rate; --duration alone lifts the request count", () => {
    expect(resolveStressConfig({})).toMatchObject({ n: 20, durationMs: null, rate: null, via: "core", urls: [] });
    expect(resolveStressConfig({ rate: "250", duration: "1.5m", arrival: "poisson" })).toMatchObject({ n: null, durationMs: 90_000, rate: 250, arrival: "poisson", concurrency: 100 });
    expect(resolveStressConfig({ rate: 50, n: 10 })).toMatchObject({ n: 10, durationMs: null, concurrency: 100 });
    expect(resolveStressConfig({ duration: "500ms", n: 7 })).toMatchObject({ n: 7, durationMs: 500 });
    expect(resolveStressConfig({ duration: 2 }).durationMs).toBe(2000);
    const remote = resolveStressConfig({ url: ["http://a.test:3000/", "https://b.test/hotel"] });
    expect(remote).toMatchObject({ via: "http", urls: ["http://a.test:3000", "https://b.test/hotel"], warmUpRequests: 0 });
  });

  it("defaults: 20 requests, concurrency n capped at 100, standard tier of 10, 30 days from today", () => {
    const config = resolveStressConfig({}, new Date(2031, 0, 10, 12));
    expect(config).toMatchObject({ n: 20, concurrency: 20, capacity: 10, checkIn: "2031-02-09", nights: 1, scenario: "same-dates", strategy: "locked", workers: 1 });
    expect(resolveStressConfig({ strategy: "serializable" }).strategy).toBe("serializable");
    expect(config.tiers).toEqual([{ name: "standard", prefix: "STA", capacity: 10 }]);
    expect(resolveStressConfig({ n: 5000 }).concurrency).toBe(100);
  });

  it("derives every request from (seed, index): repeatable, stays of 1-7 nights inside the window", () => {
    const config = resolveStressConfig({ scenario: "overlapping", seed: 7, checkIn: "2031-03-01", n: 500 });
    const again = resolveStressConfig({ scenario: "overlapping", seed: 7, checkIn: "2031-03-01", n: 500 });
    const other = resolveStressConfig({ scenario: "overlapping", seed: 8, checkIn: "2031-03-01", n: 500 });
    const stays = Array.from({ length: 500 }, (_, i) => requestAt(config, i));
    expect(stays).toEqual(Array.from({ length: 500 }, (_, i) => requestAt(again, i)));
    expect(stays).not.toEqual(Array.from({ length: 500 }, (_, i) => requestAt(other, i)));
    const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 86_400_000 - Date.parse("2031-03-01T00:00:00Z") / 86_400_000;
    const starts = new Set(stays.map((s) => day(s.checkIn)));
    const lengths = new Set(stays.map((s) => day(s.checkOut) - day(s.checkIn)));
    expect(Math.min(...starts)).toBe(0);
    expect(Math.max(...starts)).toBe(OVERLAP_WINDOW_DAYS - 1);
    expect([...lengths].sort()).toEqual(Array.from({ length: OVERLAP_MAX_NIGHTS }, (_, i) => i + 1));
    expect(stays[42]?.guestName).toBe("stress-42");
  });

  it("mixed-tiers spreads requests over distinct tiers with distinct suite prefixes", () => {
    const config = resolveStressConfig({ scenario: "mixed-tiers", tier: "deluxe", capacity: 4, seed: 1 });
    expect(config.tiers.map((t) => t.name)).toEqual(["deluxe", "standard", "presidential"]);
    expect(new Set(config.tiers.map((t) => t.prefix)).size).toBe(3);
    const used = new Set(Array.from({ length: 60 }, (_, i) => requestAt(config, i).tier));
    expect(used.size).toBe(3);
  });

  it("splits requests and connections over workers without overlap", () => {
    const config = resolveStressConfig({ n: 10, workers: 3, concurrency: 7 });
    const plans = workerPlans(config, { via: "core", schema: "hotel_stress_0123456789ab" }, config.concurrency);
    expect(plans.map((p) => p.concurrency)).toEqual([3, 2, 2]);
    expect(plans.map((p) => workerShare({ ...p, n: 10 }))).toEqual([4, 3, 3]);
    expect(parseWorkerPlan(JSON.stringify(plans[1]))).toEqual(plans[1]);
    expect(() => parseWorkerPlan(JSON.stringify({ ...plans[1], target: { via: "core", schema: "public" } }))).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    const result = { index: 3, operation: "book", outcome: 5, status: null, scheduledAt: 1, startedAt: 1.5, endedAt: 2.5, lockWaitMs: Number.NaN, late: true, message: "x" } as const;
    expect(JSON.parse(encodeResult(result))).toEqual([3, "book", 5, 1, 1.5, 2.5, null, null, 1, null, "x"]);
  });
});
