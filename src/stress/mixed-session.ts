import type { BookingView } from "../core/booking.js";
import { addDays, formatDate, parseDate } from "../core/dates.js";
import type { TaskAnswer } from "./results.js";
import type { BookingAction, ResolvedOperation, StressOperation } from "./scenarios.js";
import type { JudgedOperation } from "./timeline-oracle.js";

/**
 * The memory of one process sending a mixed scenario: the bookings its
 * requests made (a ring of the latest RING_SIZE, and of the latest
 * RECENT_HOLDS holds), so that an operation's `pick` becomes a booking id.
 * Bounded whatever n is. An operation with nothing to pick from yet books
 * instead (the first requests of a run).
 */

const RING_SIZE = 4096;
/** confirm picks among this many latest holds: some still live, more lapsed (a run makes ~100 holds a second). */
const RECENT_HOLDS = 256;

interface Known {
  id: number;
  checkIn: string;
  checkOut: string;
}

class Ring {
  private readonly entries: Known[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  get length(): number {
    return this.entries.length;
  }

  add(entry: Known): void {
    if (this.entries.length < this.size) this.entries.push(entry);
    else this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.size;
  }

  pick(draw: number): Known | undefined {
    return this.entries.length === 0 ? undefined : this.entries[draw % this.entries.length];
  }

  /** The latest stay known of a booking (a change accepted since), wherever it sits. */
  update(booking: BookingView): void {
    for (const entry of this.entries) {
      if (entry.id !== booking.id) continue;
      entry.checkIn = booking.checkIn;
      entry.checkOut = booking.checkOut;
    }
  }
}

export class MixedSession {
  private readonly bookings = new Ring(RING_SIZE);
  private readonly holds = new Ring(RECENT_HOLDS);

  /**
   * What to send for a planned operation: its booking known, or a booking of
   * its own when none is yet. `fixedDay`: the day a target acts on when it
   * cannot be told one (HTTP).
   */
  resolve(operation: StressOperation, fallback: () => ResolvedOperation, fixedDay?: string): ResolvedOperation {
    if (operation.operation === "book" || operation.operation === "hold") return operation;
    const known = (operation.operation === "confirm" ? this.holds : this.bookings).pick(operation.pick) ?? this.bookings.pick(operation.pick);
    if (!known) return fallback();
    const bookingId = known.id;
    switch (operation.operation) {
      case "change":
        return { operation: "change", bookingId, checkIn: operation.checkIn, checkOut: operation.checkOut };
      case "move":
        return { operation: "move", bookingId, ...(operation.suite === undefined ? { tier: operation.tier } : { suite: operation.suite }) };
      default:
        return { operation: operation.operation, bookingId, today: fixedDay ?? formatDate(addDays(parseDate(known.checkIn, "check-in"), operation.dayOffset)) };
    }
  }

  /** Learns from an accepted operation's booking. */
  observe(operation: ResolvedOperation, booking: BookingView): void {
    if (operation.operation === "book" || operation.operation === "hold") {
      const entry = { id: booking.id, checkIn: booking.checkIn, checkOut: booking.checkOut };
      this.bookings.add(entry);
      if (operation.operation === "hold") this.holds.add({ ...entry });
    } else if (operation.operation === "change") {
      this.bookings.update(booking);
      this.holds.update(booking);
    }
  }
}

/** What the oracle needs of an operation to judge its refusal. */
export function judgedOf(operation: ResolvedOperation): JudgedOperation {
  if (operation.operation === "book" || operation.operation === "hold") {
    const { tier, checkIn, checkOut } = operation.request;
    return { operation: operation.operation, tier, checkIn, checkOut };
  }
  return operation satisfies BookingAction;
}

/**
 * The answer, with what the oracle needs to judge it when it is a refusal:
 * the request and its window by the wall clock, `startedAt` (ms) taken
 * before it was sent; the end rounds up (Date.now() counts whole ms).
 */
export function withJudged(answer: TaskAnswer, operation: ResolvedOperation, refused: boolean, startedAt: number): TaskAnswer {
  return refused ? { ...answer, judged: { request: judgedOf(operation), startedAt, endedAt: Date.now() + 1 } } : answer;
}
