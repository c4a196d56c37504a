import { describe, expect, it } from "vitest";
import { judgeTimeline, type BookingDoc, type TimedRefusal, type TimelineEvent } from "../src/stress/timeline-oracle.js";

/** The oracle that judges refusals of mixed operations from the event log: planted cases. */

const inventory = { suitesByTier: new Map([["std", ["S1", "S2"]], ["dlx", ["D1"]]]) };
const doc = (id: number, suite: string, status: string, checkIn = "2031-01-01", checkOut = "2031-01-03", extra: Partial<BookingDoc> = {}): BookingDoc => ({
  id,
  suite,
  tier: suite.startsWith("S") ? "std" : "dlx",
  checkIn,
  checkOut,
  status,
  ...extra,
});
const made = (at: number, after: BookingDoc): TimelineEvent => ({ at, bookingId: after.id, before: null, after });
const written = (at: number, before: BookingDoc, after: BookingDoc): TimelineEvent => ({ at, bookingId: after.id, before, after });
const refusedBook = (index: number, startedAt: number, endedAt: number, tier = "std"): TimedRefusal => ({
  index,
  code: "NO_AVAILABILITY",
  startedAt,
  endedAt,
  request: { operation: "book", tier, checkIn: "2031-01-01", checkOut: "2031-01-02" },
});

describe("judging refusals against the event log", () => {
  it("a booking refused while a suite stayed free throughout is unjustified", () => {
    const events = [made(100, doc(1, "S1", "confirmed"))];
    const result = judgeTimeline(events, [refusedBook(7, 200, 210)], inventory, 0);
    expect(result.unjustified).toEqual([expect.objectContaining({ index: 7, why: expect.stringMatching(/suite S2 was free/) })]);
  });

  it("a refusal is justified when every suite was taken at its start, even if one was freed during its window", () => {
    const s2 = doc(2, "S2", "confirmed");
    const events = [made(100, doc(1, "S1", "confirmed")), made(110, s2), written(205, s2, { ...s2, status: "cancelled" })];
    expect(judgeTimeline(events, [refusedBook(7, 200, 210)], inventory, 0).unjustified).toEqual([]);
    // Once the cancellation committed before the request started, the suite was free.
    expect(judgeTimeline(events, [refusedBook(8, 300, 310)], inventory, 0).unjustified).toHaveLength(1);
  });

  it("a suite taken by a hold is free from the hold's expiry on, marked expired or not", () => {
    const events = [made(100, doc(1, "S1", "confirmed")), made(110, doc(2, "S2", "held", undefined, undefined, { expiresAt: new Date(150).toISOString() }))];
    expect(judgeTimeline(events, [refusedBook(1, 120, 130)], inventory, 0).unjustified).toEqual([]);
    expect(judgeTimeline(events, [refusedBook(2, 160, 170)], inventory, 0).unjustified).toHaveLength(1);
  });

  it("a booking taken during the window counts: the refused request may have seen it", () => {
    const events = [made(100, doc(1, "S1", "confirmed")), made(205, doc(2, "S2", "confirmed"))];
    expect(judgeTimeline(events, [refusedBook(3, 200, 210)], inventory, 0).unjustified).toEqual([]);
  });

  it("a change refused while another suite of its tier was free for the new stay is unjustified; its own nights do not count", () => {
    const own = doc(1, "S1", "confirmed", "2031-01-01", "2031-01-02");
    const events = [made(100, own), made(110, doc(2, "S2", "confirmed", "2031-01-02", "2031-01-03"))];
    const change = (index: number): TimedRefusal => ({ index, code: "NO_AVAILABILITY", startedAt: 200, endedAt: 210, request: { operation: "change", bookingId: 1, checkIn: "2031-01-01", checkOut: "2031-01-03" } });
    expect(judgeTimeline(events, [change(4)], inventory, 0).unjustified).toEqual([expect.objectContaining({ why: expect.stringMatching(/suite S1 was free/) })]);
    const blocked = [...events, made(120, doc(3, "S1", "confirmed", "2031-01-02", "2031-01-03"))];
    expect(judgeTimeline(blocked, [change(5)], inventory, 0).unjustified).toEqual([]);
  });

  it("a state refusal is unjustified only if the booking's state allowed the operation throughout", () => {
    const hold = doc(1, "S1", "held", undefined, undefined, { expiresAt: new Date(1000).toISOString() });
    const events = [made(100, hold), made(110, doc(2, "S2", "confirmed"))];
    const refusal = (index: number, bookingId: number, operation: "confirm" | "checkin", code = "INVALID_STATE"): TimedRefusal => ({
      index,
      code,
      startedAt: 200,
      endedAt: 210,
      request: { operation, bookingId, today: "2031-01-01" },
    });
    const result = judgeTimeline(events, [refusal(1, 1, "confirm", "HOLD_EXPIRED"), refusal(2, 2, "confirm"), refusal(3, 2, "checkin"), refusal(4, 1, "checkin")], inventory, 0);
    expect(result.unjustified.map((u) => u.index)).toEqual([1, 3]);
  });

  it("a guest in house may change the check-out only: refusing a new check-in is justified", () => {
    const events = [made(100, doc(1, "S1", "checked_in", "2031-01-01", "2031-01-03"))];
    const change = (index: number, checkIn: string): TimedRefusal => ({ index, code: "INVALID_STATE", startedAt: 200, endedAt: 210, request: { operation: "change", bookingId: 1, checkIn, checkOut: "2031-01-04" } });
    expect(judgeTimeline(events, [change(1, "2031-01-02"), change(2, "2031-01-01")], inventory, 0).unjustified.map((u) => u.index)).toEqual([2]);
  });

  it("a refusal whose booking was written during its window is skipped, not judged", () => {
    const own = doc(1, "S1", "confirmed");
    const events = [made(100, own), written(205, own, { ...own, status: "cancelled" })];
    const result = judgeTimeline(events, [{ index: 1, code: "INVALID_STATE", startedAt: 200, endedAt: 210, request: { operation: "cancel", bookingId: 1, today: "2031-01-01" } }], inventory, 0);
    expect(result).toEqual({ judged: 0, skipped: 1, unjustified: [] });
  });

  it("a write stamped just before a refusal started counts as written during it when it may have committed later", () => {
    // The check-in was stamped at 195 inside its transaction; a checkout read the booking at 200,
    // before that transaction committed, and was rightly refused: the guest was not in yet.
    const own = doc(1, "S1", "confirmed");
    const events = [made(100, own), written(195, own, { ...own, status: "checked_in" })];
    const checkout: TimedRefusal = { index: 1, code: "INVALID_STATE", startedAt: 200, endedAt: 210, request: { operation: "checkout", bookingId: 1, today: "2031-01-01" } };
    expect(judgeTimeline(events, [checkout], inventory, 0, 20)).toEqual({ judged: 0, skipped: 1, unjustified: [] });
    // Committed for certain before the request started (the lag is shorter): judged, and wrong.
    expect(judgeTimeline(events, [checkout], inventory, 0, 4).unjustified).toEqual([expect.objectContaining({ index: 1, why: expect.stringMatching(/checked_in throughout/) })]);
  });

  it("a suite freed just before a refusal started may still have looked taken to it", () => {
    const s2 = doc(2, "S2", "confirmed");
    const events = [made(100, doc(1, "S1", "confirmed")), made(110, s2), written(195, s2, { ...s2, status: "cancelled" })];
    expect(judgeTimeline(events, [refusedBook(7, 200, 210)], inventory, 0, 20).unjustified).toEqual([]);
    expect(judgeTimeline(events, [refusedBook(7, 200, 210)], inventory, 0, 4).unjustified).toHaveLength(1);
  });
});
