/**
 * The invariant oracle: judges a run from the final rows alone, independently
 * of the code under test (`judgeRun`; `hotel check`'s audit is core/audit.ts).
 * A pure function over plain data, so a test can hand it rows that break each
 * invariant and see it report them. It holds the rows, not the requests:
 * refusals stream past it one by one.
 *
 * - Overbooked tier-nights: confirmed bookings of a tier on a night exceed the
 *   tier's active suites.
 * - Double-booked suites: a suite holds two confirmed bookings whose half-open
 *   stays [checkIn, checkOut) overlap.
 * - Unjustified refusals: a refused request i for which some active suite of
 *   its tier was free for its whole stay even counting every accepted booking
 *   whose request had started before i's answer came back (nothing else can
 *   have been visible to i). Bookings only accumulate during a run, so a
 *   suite free against that superset was free against what i saw.
 *   For same-dates this reduces to "refused while accepted < capacity".
 * - Phantom bookings: a row for a request reported as refused or failed (a
 *   503 must have written nothing), or a second row for one request.
 * - Lost bookings: a request reported as accepted with no confirmed row.
 */

const DAY_MS = 86_400_000;

export interface JudgedSuite {
  suite: string;
  tier: string;
  active: boolean;
}

export interface JudgedBooking {
  suite: string;
  tier: string;
  checkIn: string;
  checkOut: string;
  status: string;
  /** The stress request that wrote the row, when known. */
  requestIndex?: number;
  /** When that request started (epoch ms); unknown means "visible to everyone". */
  startedAt?: number;
}

export interface JudgedRefusal {
  requestIndex: number;
  tier: string;
  checkIn: string;
  checkOut: string;
  /** When the refusal came back (epoch ms). */
  endedAt: number;
}

export type ReportedOutcome = "accepted" | "refused" | "failed" | "error";

export interface RunEvidence {
  suites: readonly JudgedSuite[];
  bookings: readonly JudgedBooking[];
  /** Every refused request, in the order the refusals came back (ascending endedAt). */
  refusals?: Iterable<JudgedRefusal>;
  /**
   * Clock disagreement to allow between processes (epoch ms): bookings that
   * started up to this much after a refusal ended still count as visible.
   */
  clockSlackMs?: number;
  /** What the clients were told, for phantom and lost bookings. */
  reported?: { count: number; outcomeOf(requestIndex: number): ReportedOutcome | undefined };
}

/** "server-check": a problem a remote server's own audit (GET /api/check) reported; "check": one `hotel check` found after a scratch run. */
export type FindingKind = "overbooked-night" | "double-booked-suite" | "unjustified-refusal" | "phantom-booking" | "lost-booking" | "server-check" | "check";

export interface Finding {
  kind: FindingKind;
  detail: string;
}

export interface Judgement {
  overbookedNights: number;
  doubleBookedSuites: number;
  unjustifiedRefusals: number;
  phantomBookings: number;
  lostBookings: number;
  ok: boolean;
  /** The first few violations, described. */
  findings: Finding[];
}

const MAX_FINDINGS = 10;

/** A YYYY-MM-DD day as days since 1970-01-01 (both oracles count nights so). */
export const epochDay = (day: string): number => Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
const dayText = (epoch: number): string => new Date(epoch * DAY_MS).toISOString().slice(0, 10);
const tierNightKey = (tier: string, day: number): string => `${tier}\u0000${day}`;

interface Stay {
  from: number;
  to: number;
}

export function judgeRun(input: RunEvidence): Judgement {
  const findings: Finding[] = [];
  const note = (kind: FindingKind, detail: string): void => {
    if (findings.length < MAX_FINDINGS) findings.push({ kind, detail });
  };
  const confirmed = input.bookings.filter((booking) => booking.status === "confirmed");
  const activeByTier = new Map<string, string[]>();
  const activeSuites = new Set<string>();
  for (const suite of input.suites) {
    if (!suite.active) continue;
    activeSuites.add(suite.suite);
    const list = activeByTier.get(suite.tier) ?? [];
    list.push(suite.suite);
    activeByTier.set(suite.tier, list);
  }

  const overbookedNights = countOverbookedNights(confirmed, activeByTier, note);
  const doubleBookedSuites = countDoubleBookedSuites(confirmed, note);
  const unjustifiedRefusals = countUnjustifiedRefusals(confirmed, input.refusals ?? [], activeByTier, activeSuites, input.clockSlackMs ?? 0, note);
  const { phantomBookings, lostBookings } = countPhantomAndLost(confirmed, input.reported, note);
  return {
    overbookedNights,
    doubleBookedSuites,
    unjustifiedRefusals,
    phantomBookings,
    lostBookings,
    ok: overbookedNights + doubleBookedSuites + unjustifiedRefusals + phantomBookings + lostBookings === 0,
    findings,
  };
}

type Note = (kind: FindingKind, detail: string) => void;

function countOverbookedNights(confirmed: readonly JudgedBooking[], activeByTier: Map<string, string[]>, note: Note): number {
  const perNight = new Map<string, { tier: string; day: number; booked: number }>();
  for (const booking of confirmed) {
    const stay = stayOf(booking);
    for (let day = stay.from; day < stay.to; day++) {
      const key = tierNightKey(booking.tier, day);
      const entry = perNight.get(key) ?? { tier: booking.tier, day, booked: 0 };
      entry.booked++;
      perNight.set(key, entry);
    }
  }
  let overbooked = 0;
  for (const { tier, day, booked } of perNight.values()) {
    const capacity = activeByTier.get(tier)?.length ?? 0;
    if (booked > capacity) {
      overbooked++;
      note("overbooked-night", `${tier} on ${dayText(day)}: ${booked} confirmed bookings, ${capacity} active suites`);
    }
  }
  return overbooked;
}

function countDoubleBookedSuites(confirmed: readonly JudgedBooking[], note: Note): number {
  const bySuite = new Map<string, Stay[]>();
  for (const booking of confirmed) {
    const list = bySuite.get(booking.suite) ?? [];
    list.push(stayOf(booking));
    bySuite.set(booking.suite, list);
  }
  let doubled = 0;
  for (const [suite, stays] of bySuite) {
    stays.sort((a, b) => a.from - b.from);
    let latestEnd = -Infinity;
    for (const stay of stays) {
      if (stay.from < latestEnd) {
        doubled++;
        note("double-booked-suite", `suite ${suite} holds overlapping stays around ${dayText(stay.from)}`);
        break;
      }
      latestEnd = Math.max(latestEnd, stay.to);
    }
  }
  return doubled;
}

/**
 * Sweeps refusals in the order their answers came back, adding each accepted
 * booking once its request has started (the most that could be visible).
 */
function countUnjustifiedRefusals(
  confirmed: readonly JudgedBooking[],
  refusals: Iterable<JudgedRefusal>,
  activeByTier: Map<string, string[]>,
  activeSuites: Set<string>,
  clockSlackMs: number,
  note: Note,
): number {
  const visibleOrder = [...confirmed].sort((a, b) => (a.startedAt ?? -Infinity) - (b.startedAt ?? -Infinity));
  const occupied = new Map<string, Set<number>>();
  const bookedPerTierNight = new Map<string, number>();
  const occupy = (booking: JudgedBooking): void => {
    const nights = occupied.get(booking.suite) ?? new Set<number>();
    occupied.set(booking.suite, nights);
    const stay = stayOf(booking);
    for (let day = stay.from; day < stay.to; day++) {
      if (nights.has(day)) continue;
      nights.add(day);
      if (activeSuites.has(booking.suite)) {
        const key = tierNightKey(booking.tier, day);
        bookedPerTierNight.set(key, (bookedPerTierNight.get(key) ?? 0) + 1);
      }
    }
  };
  let unjustified = 0;
  let next = 0;
  let lastEnded = -Infinity;
  for (const refusal of refusals) {
    if (refusal.endedAt < lastEnded) throw new RangeError(`refusals must come in the order they ended: request ${refusal.requestIndex} ended before the one before it`);
    lastEnded = refusal.endedAt;
    while (next < visibleOrder.length && ((visibleOrder[next] as JudgedBooking).startedAt ?? -Infinity) < refusal.endedAt + clockSlackMs) {
      occupy(visibleOrder[next] as JudgedBooking);
      next++;
    }
    const free = freeSuite(refusal, activeByTier.get(refusal.tier) ?? [], occupied, bookedPerTierNight);
    if (free !== undefined) {
      unjustified++;
      note("unjustified-refusal", `request ${refusal.requestIndex} (${refusal.tier} ${refusal.checkIn}..${refusal.checkOut}) was refused while suite ${free} was free`);
    }
  }
  return unjustified;
}

function freeSuite(refusal: JudgedRefusal, suites: string[], occupied: Map<string, Set<number>>, bookedPerTierNight: Map<string, number>): string | undefined {
  const stay = stayOf(refusal);
  // A night with every suite taken settles it without looking at suites.
  for (let day = stay.from; day < stay.to; day++) {
    if ((bookedPerTierNight.get(tierNightKey(refusal.tier, day)) ?? 0) >= suites.length) return undefined;
  }
  for (const suite of suites) {
    const nights = occupied.get(suite);
    let free = true;
    for (let day = stay.from; free && day < stay.to; day++) free = !nights?.has(day);
    if (free) return suite;
  }
  return undefined;
}

function countPhantomAndLost(confirmed: readonly JudgedBooking[], reported: RunEvidence["reported"], note: Note): { phantomBookings: number; lostBookings: number } {
  if (!reported) return { phantomBookings: 0, lostBookings: 0 };
  let phantomBookings = 0;
  const written = new Set<number>();
  for (const booking of confirmed) {
    const index = booking.requestIndex;
    if (index === undefined) continue;
    const outcome = reported.outcomeOf(index);
    if (written.has(index)) {
      phantomBookings++;
      note("phantom-booking", `request ${index} has more than one confirmed booking`);
    } else if (outcome === "refused" || outcome === "failed") {
      phantomBookings++;
      note("phantom-booking", `request ${index} was reported ${outcome} but its booking of suite ${booking.suite} was written`);
    }
    written.add(index);
  }
  let lostBookings = 0;
  for (let index = 0; index < reported.count; index++) {
    if (reported.outcomeOf(index) === "accepted" && !written.has(index)) {
      lostBookings++;
      note("lost-booking", `request ${index} was reported accepted but no confirmed booking holds it`);
    }
  }
  return { phantomBookings, lostBookings };
}

function stayOf(stay: { checkIn: string; checkOut: string }): Stay {
  return { from: epochDay(stay.checkIn), to: epochDay(stay.checkOut) };
}
