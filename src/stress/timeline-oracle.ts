import { epochDay } from "./oracle.js";

/**
 * Judges the refusals of a run that mixes operations (book, hold, confirm,
 * change, move, cancel, checkin, checkout, noshow), from the event log the
 * core writes (one event per write, with the booking before and after, at
 * the database's clock) and the window [started, ended] in which each
 * refused operation ran. Independent of the code under test: it replays
 * documents, it never asks the database what is free.
 *
 * A refusal is judged unjustified only when it is wrong whatever instant of
 * its window the operation decided at:
 * - NO_AVAILABILITY: the request fits even against the most the suites
 *   could have been taken during the window: everything taken when it
 *   started, plus everything any write took before it ended; frees during
 *   the window are ignored;
 * - INVALID_STATE / HOLD_EXPIRED: the booking stayed, for the whole window,
 *   in a state that allows the operation (no write to it in the window), as
 *   the migrations' rules say (a checked-in stay keeps its check-in; check-in
 *   from the first night to the last; a no-show from the first night on).
 * A refusal whose booking was written during its window is not judged (its
 * own stay or tier may have moved under it). Clocks: the run's and the
 * database's are the same machine's; `slackMs` widens each window.
 *
 * An event's time is the clock inside the writing transaction, before its
 * commit: others see the write only from the commit on, up to `commitLagMs`
 * later. So each window starts that much earlier: a write stamped just
 * before a refused request started may have committed only after the
 * request read the booking (it refused on the state before the write, as it
 * should), and it counts as a write during the window.
 */

const TAKEN = new Set(["held", "confirmed", "checked_in", "checked_out"]);

/** A booking as the events record it. */
export interface BookingDoc {
  id: number;
  suite: string;
  tier: string;
  checkIn: string;
  checkOut: string;
  status: string;
  expiresAt?: string;
}

export interface TimelineEvent {
  /** The database's clock at the write (epoch ms). */
  at: number;
  bookingId: number;
  before: BookingDoc | null;
  after: BookingDoc | null;
}

export type JudgedOperation =
  | { operation: "book" | "hold"; tier: string; checkIn: string; checkOut: string }
  | { operation: "change"; bookingId: number; checkIn: string; checkOut: string }
  | { operation: "move"; bookingId: number; tier?: string; suite?: string }
  | { operation: "confirm" | "checkin" | "checkout" | "noshow" | "cancel"; bookingId: number; today: string };

export interface TimedRefusal {
  index: number;
  code: string;
  startedAt: number;
  endedAt: number;
  request: JudgedOperation;
}

export interface Inventory {
  /** Active suites per tier, in the order the core picks them (lowest number first). */
  suitesByTier: ReadonlyMap<string, readonly string[]>;
}

export interface UnjustifiedRefusal {
  index: number;
  operation: JudgedOperation["operation"];
  code: string;
  why: string;
}

export interface TimelineJudgement {
  judged: number;
  /** Refusals whose booking changed during their window: not judged. */
  skipped: number;
  unjustified: UnjustifiedRefusal[];
}

interface Interval {
  bookingId: number;
  suite: string;
  from: number;
  to: number;
  /** Taken over [takenFrom, takenUntil) of wall time (a hold until its expiry). */
  takenFrom: number;
  takenUntil: number;
}

/** Each booking's versions in time: what suite-nights it took, and when. */
function intervalsOf(events: readonly TimelineEvent[]): Interval[] {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const open = new Map<number, Interval>();
  const out: Interval[] = [];
  for (const event of sorted) {
    const current = open.get(event.bookingId);
    if (current) {
      current.takenUntil = Math.min(current.takenUntil, event.at);
      out.push(current);
      open.delete(event.bookingId);
    }
    const doc = event.after;
    if (doc && TAKEN.has(doc.status)) {
      const until = doc.status === "held" && doc.expiresAt ? Date.parse(doc.expiresAt) : Infinity;
      open.set(event.bookingId, { bookingId: doc.id, suite: doc.suite, from: epochDay(doc.checkIn), to: epochDay(doc.checkOut), takenFrom: event.at, takenUntil: until });
    }
  }
  out.push(...open.values());
  return out;
}

/** Suite-nights that may have been taken at some instant of [from, to], except by `except`. */
function maximalOccupancy(intervals: readonly Interval[], from: number, to: number, except: number): Map<string, Set<number>> {
  const taken = new Map<string, Set<number>>();
  for (const interval of intervals) {
    if (interval.bookingId === except || interval.takenFrom > to || interval.takenUntil <= from) continue;
    const nights = taken.get(interval.suite) ?? new Set<number>();
    for (let night = interval.from; night < interval.to; night++) nights.add(night);
    taken.set(interval.suite, nights);
  }
  return taken;
}

const fits = (taken: Map<string, Set<number>>, suite: string, from: number, to: number): boolean => {
  const nights = taken.get(suite);
  for (let night = from; night < to; night++) if (nights?.has(night)) return false;
  return true;
};

/** The booking as it was at `at` (its latest event before), or undefined; `events` are its own, in time order. */
function stateAt(events: readonly TimelineEvent[], at: number): BookingDoc | undefined {
  let state: BookingDoc | undefined;
  for (const event of events) if (event.at <= at && event.after) state = event.after;
  return state;
}

/** Each booking's events in time order, so a refusal looks only at its own booking's. */
function eventsByBooking(events: readonly TimelineEvent[]): Map<number, TimelineEvent[]> {
  const byBooking = new Map<number, TimelineEvent[]>();
  for (const event of [...events].sort((a, b) => a.at - b.at)) {
    const list = byBooking.get(event.bookingId);
    if (list) list.push(event);
    else byBooking.set(event.bookingId, [event]);
  }
  return byBooking;
}

function allows(operation: JudgedOperation, doc: BookingDoc, at: number): boolean {
  const live = doc.status !== "held" || (doc.expiresAt !== undefined && Date.parse(doc.expiresAt) > at);
  switch (operation.operation) {
    case "confirm":
      return doc.status === "held" && live;
    case "checkin":
      return doc.status === "confirmed" && operation.today >= doc.checkIn && operation.today < doc.checkOut;
    case "checkout":
      return doc.status === "checked_in";
    case "noshow":
      return doc.status === "confirmed" && operation.today >= doc.checkIn;
    case "cancel":
      return doc.status === "confirmed" || doc.status === "held";
    case "change":
      // A guest in house keeps the check-in: only the check-out can change.
      return (doc.status === "held" && live) || doc.status === "confirmed" || (doc.status === "checked_in" && operation.checkIn === doc.checkIn);
    case "move":
      return (doc.status === "held" && live) || doc.status === "confirmed" || doc.status === "checked_in";
    default:
      return false;
  }
}

export function judgeTimeline(events: readonly TimelineEvent[], refusals: Iterable<TimedRefusal>, inventory: Inventory, slackMs = 2, commitLagMs = 0): TimelineJudgement {
  const intervals = intervalsOf(events);
  const byBooking = eventsByBooking(events);
  const judgement: TimelineJudgement = { judged: 0, skipped: 0, unjustified: [] };
  for (const refusal of refusals) {
    const from = refusal.startedAt - slackMs - commitLagMs;
    const to = refusal.endedAt + slackMs;
    const op = refusal.request;
    const bookingId = "bookingId" in op ? op.bookingId : 0;
    const own = byBooking.get(bookingId) ?? [];
    if (bookingId && own.some((event) => event.at >= from && event.at <= to)) {
      judgement.skipped++;
      continue;
    }
    judgement.judged++;
    const why = unjustifiedBecause(refusal, own, intervals, inventory, from, to);
    if (why) judgement.unjustified.push({ index: refusal.index, operation: op.operation, code: refusal.code, why });
  }
  return judgement;
}

function unjustifiedBecause(refusal: TimedRefusal, own: readonly TimelineEvent[], intervals: readonly Interval[], inventory: Inventory, from: number, to: number): string | undefined {
  const op = refusal.request;
  if (!("bookingId" in op)) {
    if (refusal.code !== "NO_AVAILABILITY") return undefined;
    const taken = maximalOccupancy(intervals, from, to, 0);
    const free = (inventory.suitesByTier.get(op.tier) ?? []).find((suite) => fits(taken, suite, epochDay(op.checkIn), epochDay(op.checkOut)));
    return free && `suite ${free} was free for ${op.tier} ${op.checkIn}..${op.checkOut} throughout`;
  }
  const doc = stateAt(own, from);
  if (!doc) return undefined;
  if (refusal.code === "INVALID_STATE" || refusal.code === "HOLD_EXPIRED") {
    return allows(op, doc, to) ? `booking #${op.bookingId} was ${doc.status} throughout, which allows ${op.operation}` : undefined;
  }
  if (refusal.code !== "NO_AVAILABILITY" || !allows(op, doc, to)) return undefined;
  const taken = maximalOccupancy(intervals, from, to, op.bookingId);
  if (op.operation === "change") {
    const candidates = inventory.suitesByTier.get(doc.tier) ?? [];
    const free = candidates.find((suite) => fits(taken, suite, epochDay(op.checkIn), epochDay(op.checkOut)));
    return free && `suite ${free} was free for booking #${op.bookingId}'s new stay ${op.checkIn}..${op.checkOut} throughout`;
  }
  if (op.operation === "move") {
    const candidates = op.suite !== undefined ? [...inventory.suitesByTier.values()].flat().filter((suite) => suite === op.suite) : (inventory.suitesByTier.get(op.tier ?? "") ?? []);
    const free = candidates.find((suite) => suite !== doc.suite && fits(taken, suite, epochDay(doc.checkIn), epochDay(doc.checkOut)));
    return free && `suite ${free} was free for booking #${op.bookingId}'s stay ${doc.checkIn}..${doc.checkOut} throughout`;
  }
  return undefined;
}
