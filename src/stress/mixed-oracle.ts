import { checkIntegrity, describeProblem } from "../core/check/index.js";
import { openDatabase } from "../db/database.js";
import { judgeRun, type Finding, type JudgedBooking, type JudgedSuite } from "./oracle.js";
import type { Invariants } from "./report.js";
import type { RunRecorder } from "./results.js";
import { requestIndexOf, WARM_UP_TIER } from "./scenarios.js";
import { withPg } from "./bookkeeping.js";
import { inScratch, type ScratchSchema } from "./scratch.js";
import { stressHotel } from "./targets.js";
import { judgeTimeline, type BookingDoc, type Inventory, type TimedRefusal, type TimelineEvent } from "./timeline-oracle.js";

/**
 * The judgement of a run that mixes operations (front-desk, holds), read
 * after the load with plain pg, not through the code under test:
 * - refusals (NO_AVAILABILITY, INVALID_STATE, HOLD_EXPIRED; not CONFLICT,
 *   which only says retries ran out) against the event log, each within its
 *   [started, ended] window (timeline-oracle.ts);
 * - no overbooked tier-night and no double-booked suite among the bookings
 *   that hold their suite at the end (held ones only until they lapse, by
 *   the database's clock), by oracle.ts's counts over the final rows;
 * - phantom bookings (a row for a request told refused or busy, or two rows
 *   for one request) and lost ones (an accepted book or hold with no row);
 * - `hotel check` clean: counts and marks exact, every check of the core's
 *   audit (core/check).
 */

export interface MixedEvidence {
  suites: JudgedSuite[];
  /** The final rows: status `confirmed` for every booking that holds its suite now. */
  bookings: (JudgedBooking & { id: number })[];
  events: TimelineEvent[];
}

/** Rows, events and inventory of the scenario's tiers (not the warm-up tier). */
export async function readMixedEvidence(scratch: ScratchSchema): Promise<MixedEvidence> {
  return inScratch(scratch, async (client) => {
    const suites = (
      await client.query<JudgedSuite>(
        `SELECT s.number AS suite, t.name AS tier, s.active FROM suites s JOIN tiers t ON t.id = s.tier_id WHERE t.name <> $1 ORDER BY s.number`,
        [WARM_UP_TIER],
      )
    ).rows;
    const rows = (
      await client.query<{ id: number; suite: string; tier: string; check_in: string; check_out: string; holds: boolean; guest_name: string }>(
        `SELECT b.id, s.number AS suite, t.name AS tier, to_char(b.check_in, 'YYYY-MM-DD') AS check_in, to_char(b.check_out, 'YYYY-MM-DD') AS check_out,
                (b.status IN ('confirmed', 'checked_in', 'checked_out') OR (b.status = 'held' AND b.expires_at > clock_timestamp())) AS holds, b.guest_name
           FROM bookings b JOIN suites s ON s.id = b.suite_id JOIN tiers t ON t.id = b.tier_id
          WHERE t.name <> $1`,
        [WARM_UP_TIER],
      )
    ).rows;
    const events = (
      await client.query<{ at: number; booking_id: number; before: BookingDoc | null; after: BookingDoc | null }>(
        `SELECT (extract(epoch FROM e.at) * 1000)::float8 AS at, e.booking_id, e.before, e.after
           FROM events e
          WHERE e.booking_id IS NOT NULL AND coalesce(e.after ->> 'tier', e.before ->> 'tier') <> $1
          ORDER BY e.id`,
        [WARM_UP_TIER],
      )
    ).rows;
    return {
      suites,
      bookings: rows.map((row) => ({
        id: row.id,
        suite: row.suite,
        tier: row.tier,
        checkIn: row.check_in,
        checkOut: row.check_out,
        status: row.holds ? "confirmed" : "free",
        requestIndex: requestIndexOf(row.guest_name),
      })),
      events: events.map((row) => ({ at: row.at, bookingId: row.booking_id, before: row.before, after: row.after })),
    };
  });
}

export function inventoryOf(suites: readonly JudgedSuite[]): Inventory {
  const suitesByTier = new Map<string, string[]>();
  for (const suite of [...suites].sort((a, b) => (a.suite < b.suite ? -1 : a.suite > b.suite ? 1 : 0))) {
    if (!suite.active) continue;
    suitesByTier.set(suite.tier, [...(suitesByTier.get(suite.tier) ?? []), suite.suite]);
  }
  return { suitesByTier };
}

export interface MixedJudgement extends Invariants {
  findings: Finding[];
}

const MAX_FINDINGS = 10;

/** Judges the evidence; `problems` are what `hotel check` found (described). */
export function judgeMixed(
  evidence: MixedEvidence,
  refusals: readonly TimedRefusal[],
  reported: { outcomeOf(index: number): "accepted" | "refused" | "failed" | "error" | undefined; acceptedIds: readonly number[] },
  problems: readonly string[],
  slackMs: number,
  commitLagMs = 0,
): MixedJudgement {
  const rows = judgeRun({ suites: evidence.suites, bookings: evidence.bookings });
  const timeline = judgeTimeline(evidence.events, refusals, inventoryOf(evidence.suites), slackMs, commitLagMs);
  const findings: Finding[] = [...rows.findings];
  const note = (finding: Finding): void => {
    if (findings.length < MAX_FINDINGS) findings.push(finding);
  };
  for (const refusal of timeline.unjustified) note({ kind: "unjustified-refusal", detail: `request ${refusal.index} (${refusal.operation}, ${refusal.code}): ${refusal.why}` });
  let phantomBookings = 0;
  const seen = new Set<number>();
  for (const booking of evidence.bookings) {
    const index = booking.requestIndex;
    if (index === undefined) continue;
    const outcome = reported.outcomeOf(index);
    if (seen.has(index) || outcome === "refused" || outcome === "failed") {
      phantomBookings++;
      note({ kind: "phantom-booking", detail: `request ${index} (reported ${outcome ?? "nothing"}) has booking #${booking.id}${seen.has(index) ? ", its second" : ""}` });
    }
    seen.add(index);
  }
  const ids = new Set(evidence.bookings.map((booking) => booking.id));
  const lost = reported.acceptedIds.filter((id) => !ids.has(id));
  for (const id of lost) note({ kind: "lost-booking", detail: `booking #${id} was reported made but no row holds it` });
  for (const problem of problems) note({ kind: "check", detail: problem });
  const unjustifiedRefusals = timeline.unjustified.length;
  const bad = rows.overbookedNights + rows.doubleBookedSuites + unjustifiedRefusals + phantomBookings + lost.length + problems.length;
  return {
    overbookedNights: rows.overbookedNights,
    doubleBookedSuites: rows.doubleBookedSuites,
    unjustifiedRefusals,
    phantomBookings,
    lostBookings: lost.length,
    judgedRefusals: timeline.judged,
    skippedRefusals: timeline.skipped,
    checkProblems: problems.length,
    ok: bad === 0,
    findings,
  };
}

/**
 * The database's clock minus this machine's wall clock (ms), from the
 * round trip with the shortest time of a few, and how far off that can be
 * (half the round trip): the database may be on another machine.
 */
export async function clockOffset(scratch: ScratchSchema, samples = 5): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  return withPg(scratch.bookkeeping, async (client) => {
    let best = { offsetMs: 0, uncertaintyMs: Infinity };
    for (let i = 0; i < samples; i++) {
      const sent = Date.now();
      const { rows } = await client.query<{ at: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS at");
      const back = Date.now() + 1;
      const at = rows[0]?.at ?? Number.NaN;
      if (Number.isFinite(at) && (back - sent) / 2 < best.uncertaintyMs) best = { offsetMs: at - (sent + back) / 2, uncertaintyMs: (back - sent) / 2 };
    }
    return best.uncertaintyMs === Infinity ? { offsetMs: 0, uncertaintyMs: 0 } : best;
  });
}

/** The whole judgement of a scratch run of a mixed scenario; `slackMs` widens each refusal's window. */
export async function judgeMixedScratch(scratch: ScratchSchema, recorder: RunRecorder, slackMs: number): Promise<MixedJudgement> {
  const evidence = await readMixedEvidence(scratch);
  const { offsetMs, uncertaintyMs } = await clockOffset(scratch);
  // Events in this machine's time, like the refusals' windows.
  const events = evidence.events.map((event) => ({ ...event, at: event.at - offsetMs }));
  const db = await openDatabase({ databaseUrl: scratch.databaseUrl, schema: scratch.name, poolSize: 1 });
  let problems: string[];
  try {
    problems = (await checkIntegrity(stressHotel(db))).problems.map(describeProblem);
  } finally {
    await db.close();
  }
  const reported = { outcomeOf: (index: number) => recorder.reportedAt(index), acceptedIds: recorder.acceptedBookings.map(([, id]) => id) };
  // Every write of the run was made inside one of its requests, so it committed
  // before that request's answer came back: no later after its event than the
  // longest request took.
  const commitLagMs = recorder.service.max;
  return judgeMixed({ ...evidence, events }, recorder.timedRefusals, reported, problems, slackMs + uncertaintyMs, commitLagMs);
}
