import type { Busy, Refused } from "../core/booking.js";
import { HotelError } from "../core/errors.js";
import { redactSecrets } from "../db/url.js";
import type { ReportedOutcome } from "./oracle.js";
import type { OperationName } from "./scenarios.js";
import { Histogram } from "./stats.js";
import { Timeline } from "./timeline.js";
import type { TimedRefusal } from "./timeline-oracle.js";

/**
 * A refused operation as the oracle judges it: what was asked, and a window
 * that holds the database's decision, by the wall clock (Date.now(), which
 * on one machine is the database's clock; the driver's monotonic clock
 * drifts from it by up to a millisecond every few seconds).
 */
export type JudgedWindow = Pick<TimedRefusal, "request" | "startedAt" | "endedAt">;

/**
 * What a run's requests came to, in memory that does not grow with n beyond
 * 17 bytes a request (outcome, start and end, which the oracle needs): counts,
 * histograms per outcome and a per-second timeline. Each full result is
 * handed to `sink` (the --out file) as it arrives and then dropped. Results
 * from worker processes land here too.
 */

export const OUTCOME = { pending: 0, accepted: 1, noAvailability: 2, conflict: 3, busy: 4, error: 5, invalidState: 6, holdExpired: 7 } as const;
export type OutcomeCode = (typeof OUTCOME)[keyof typeof OUTCOME];
const HIGHEST_OUTCOME = OUTCOME.holdExpired;

/** The refusal code of each refused outcome. */
export const REFUSAL_CODE: Partial<Record<OutcomeCode, Refused["code"]>> = {
  [OUTCOME.noAvailability]: "NO_AVAILABILITY",
  [OUTCOME.conflict]: "CONFLICT",
  [OUTCOME.invalidState]: "INVALID_STATE",
  [OUTCOME.holdExpired]: "HOLD_EXPIRED",
};

/** The four outcomes reports speak of (refused = any 409: no availability, conflict, invalid state, hold expired). */
export const OUTCOME_CLASSES = ["accepted", "refused", "busy", "error"] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

export function outcomeClass(code: OutcomeCode): OutcomeClass {
  if (code === OUTCOME.accepted) return "accepted";
  if (REFUSAL_CODE[code] !== undefined) return "refused";
  return code === OUTCOME.busy ? "busy" : "error";
}

/** What a request came to, as the target reports it. */
export interface TaskAnswer {
  operation: OperationName;
  outcome: OutcomeCode;
  /** The HTTP status (or the core's equivalent); null when there was none. */
  status: number | null;
  /** Time spent waiting for the booking locks, NaN when not measured. */
  lockWaitMs: number;
  /** The booking an accepted request made (needed to cancel it on a remote server). */
  bookingId?: number;
  /** For errors: what went wrong (one line, secrets redacted). */
  message?: string;
  /** Mixed scenarios, refusals only: what was asked and when, for the oracle. */
  judged?: JudgedWindow;
}

export interface RequestResult extends TaskAnswer {
  index: number;
  /** Epoch milliseconds (stats.clock), comparable across processes. */
  scheduledAt: number;
  startedAt: number;
  endedAt: number;
  /** Open model: no connection was free at its due time, or it left more than LATE_START_MS after it. */
  late: boolean;
}

/** The code of an operation's outcome: anything but a refusal or busy was accepted. */
export function outcomeCode(outcome: Refused | Busy | { outcome: string }): OutcomeCode {
  if (outcome.outcome === "busy") return OUTCOME.busy;
  if (outcome.outcome !== "refused") return OUTCOME.accepted;
  switch ((outcome as Refused).code) {
    case "CONFLICT":
      return OUTCOME.conflict;
    case "INVALID_STATE":
      return OUTCOME.invalidState;
    case "HOLD_EXPIRED":
      return OUTCOME.holdExpired;
    default:
      return OUTCOME.noAvailability;
  }
}

/** How the answered requests ended, each in exactly one count: the figures of the report and of the progress line. */
export interface OutcomeCounts {
  accepted: number;
  /** Any 409: no availability, a conflict, an invalid state, an expired hold. */
  refused: number;
  /** Busy (503). */
  failed: number;
  errors: number;
}

/** The requests answered: the sum of the counts. */
export const answered = (counts: OutcomeCounts): number => counts.accepted + counts.refused + counts.failed + counts.errors;

export interface Progress extends OutcomeCounts {
  /** Requests the run will send; null when a duration bounds it. */
  total: number | null;
  done: number;
}

const MAX_ERROR_MESSAGES = 5;
const CHUNK = 65_536;

export interface RecorderOptions {
  /** Keep outcome, start and end per request for the oracle (off for bench's limit). */
  columns?: boolean;
  /** Keep the booking id of every accepted book or hold (a remote run cancels them at the end). */
  bookingIds?: boolean;
  sink?(result: RequestResult): void;
}

export class RunRecorder {
  readonly latency = new Histogram();
  readonly service = new Histogram();
  readonly lockWait = new Histogram();
  readonly startDelay = new Histogram();
  readonly byOutcome: Record<OutcomeClass, Histogram> = { accepted: new Histogram(), refused: new Histogram(), busy: new Histogram(), error: new Histogram() };
  readonly timeline = new Timeline();
  /** [request index, booking id] of every accepted book or hold, when asked for. */
  readonly acceptedBookings: [number, number][] = [];
  /** Outcome counts per operation (indexed by OutcomeCode). */
  readonly byOperation = new Map<string, number[]>();
  /** Mixed scenarios: every refusal the oracle can judge, with its window. */
  readonly timedRefusals: TimedRefusal[] = [];
  lateStarts = 0;
  private readonly counts = new Array<number>(HIGHEST_OUTCOME + 1).fill(0);
  private readonly messages = new Map<string, number>();
  private readonly outcomeChunks: Uint8Array[] = [];
  private readonly startChunks: Float64Array[] = [];
  private readonly endChunks: Float64Array[] = [];
  private highestIndex = -1;
  private firstStart = Infinity;
  private lastStart = -Infinity;
  private lastEnd = -Infinity;
  private origin = Number.NaN;

  constructor(private readonly options: RecorderOptions = {}) {}

  /** The run's zero (epoch ms): --out and the timeline count from it. */
  start(origin: number): void {
    this.origin = origin;
  }

  get startedAtOrigin(): number {
    return this.origin;
  }

  record(result: RequestResult): void {
    const { index } = result;
    if (!Number.isInteger(index) || index < 0) throw new HotelError("INTERNAL", `result for unknown request ${index}`);
    if (result.outcome < OUTCOME.accepted || result.outcome > HIGHEST_OUTCOME) throw new HotelError("INTERNAL", `request ${index}: unknown outcome ${result.outcome}`);
    if (this.options.columns !== false) this.store(result);
    this.counts[result.outcome] = (this.counts[result.outcome] ?? 0) + 1;
    const latency = result.endedAt - result.scheduledAt;
    const kind = outcomeClass(result.outcome);
    this.latency.record(latency);
    this.service.record(result.endedAt - result.startedAt);
    this.byOutcome[kind].record(latency);
    this.lockWait.record(result.lockWaitMs);
    this.startDelay.record(result.startedAt - result.scheduledAt);
    if (result.late) this.lateStarts++;
    if (Number.isNaN(this.origin)) this.origin = result.scheduledAt;
    this.timeline.record((result.endedAt - this.origin) / 1000, kind, latency);
    this.firstStart = Math.min(this.firstStart, result.startedAt);
    this.lastStart = Math.max(this.lastStart, result.startedAt);
    this.lastEnd = Math.max(this.lastEnd, result.endedAt);
    if (result.outcome === OUTCOME.error) this.noteError(result.message ?? "unknown error");
    const made = result.operation === "book" || result.operation === "hold";
    if (this.options.bookingIds && made && result.outcome === OUTCOME.accepted && result.bookingId !== undefined) this.acceptedBookings.push([index, result.bookingId]);
    this.countOperation(result);
    this.options.sink?.(result);
  }

  private countOperation(result: RequestResult): void {
    let counts = this.byOperation.get(result.operation);
    if (!counts) this.byOperation.set(result.operation, (counts = new Array<number>(HIGHEST_OUTCOME + 1).fill(0)));
    counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
    const code = REFUSAL_CODE[result.outcome];
    // CONFLICT (retries used up) is never wrong, so it is not judged.
    if (result.judged && code !== undefined && code !== "CONFLICT") {
      this.timedRefusals.push({ index: result.index, code, ...result.judged });
    }
  }

  private store(result: RequestResult): void {
    const { index } = result;
    const chunk = Math.floor(index / CHUNK);
    while (this.outcomeChunks.length <= chunk) {
      this.outcomeChunks.push(new Uint8Array(CHUNK));
      this.startChunks.push(new Float64Array(CHUNK));
      this.endChunks.push(new Float64Array(CHUNK));
    }
    const at = index % CHUNK;
    const outcomes = this.outcomeChunks[chunk] as Uint8Array;
    if (outcomes[at] !== OUTCOME.pending) throw new HotelError("INTERNAL", `request ${index} reported twice`);
    outcomes[at] = result.outcome;
    (this.startChunks[chunk] as Float64Array)[at] = result.startedAt;
    (this.endChunks[chunk] as Float64Array)[at] = result.endedAt;
    this.highestIndex = Math.max(this.highestIndex, index);
  }

  private noteError(raw: string): void {
    const message = redactSecrets(raw).replace(/\s*\n\s*/g, " ").slice(0, 300);
    const seen = this.messages.get(message);
    if (seen !== undefined) this.messages.set(message, seen + 1);
    else if (this.messages.size < MAX_ERROR_MESSAGES) this.messages.set(message, 1);
  }

  count(outcome: OutcomeCode): number {
    return this.counts[outcome] ?? 0;
  }

  get done(): number {
    return this.latency.count;
  }

  outcomeCounts(): OutcomeCounts {
    return {
      accepted: this.count(OUTCOME.accepted),
      refused: this.count(OUTCOME.noAvailability) + this.count(OUTCOME.conflict) + this.count(OUTCOME.invalidState) + this.count(OUTCOME.holdExpired),
      failed: this.count(OUTCOME.busy),
      errors: this.count(OUTCOME.error),
    };
  }

  progress(total: number | null): Progress {
    const counts = this.outcomeCounts();
    return { total, done: answered(counts), ...counts };
  }

  /** One more than the highest request index recorded. */
  get span(): number {
    return this.highestIndex + 1;
  }

  outcomeAt(index: number): OutcomeCode {
    return (this.outcomeChunks[Math.floor(index / CHUNK)]?.[index % CHUNK] ?? OUTCOME.pending) as OutcomeCode;
  }

  reportedAt(index: number): ReportedOutcome | undefined {
    const code = this.outcomeAt(index);
    if (code === OUTCOME.pending) return undefined;
    const kind = outcomeClass(code);
    return kind === "busy" ? "failed" : kind;
  }

  startedAt(index: number): number {
    return this.startChunks[Math.floor(index / CHUNK)]?.[index % CHUNK] ?? Number.NaN;
  }

  endedAt(index: number): number {
    return this.endChunks[Math.floor(index / CHUNK)]?.[index % CHUNK] ?? Number.NaN;
  }

  /** Indices below `expected` that are still unanswered (the first ten). */
  missing(expected: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < expected && out.length < 10; i++) if (this.outcomeAt(i) === OUTCOME.pending) out.push(i);
    return out;
  }

  /** From the first request's start to the last one's end. */
  wallTimeMs(): number {
    return this.lastEnd > this.firstStart ? this.lastEnd - this.firstStart : 0;
  }

  /** Starts per second between the first and the last start. */
  achievedRate(): number | null {
    const starts = this.done;
    return starts > 1 && this.lastStart > this.firstStart ? ((starts - 1) * 1000) / (this.lastStart - this.firstStart) : null;
  }

  errorMessages(): { message: string; count: number }[] {
    return [...this.messages].map(([message, count]) => ({ message, count }));
  }
}
