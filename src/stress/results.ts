import type { BookingOutcome } from "../core/booking.js";
import { HotelError } from "../core/errors.js";
import { redactSecrets } from "../db/url.js";
import type { ReportedOutcome } from "./oracle.js";
import { distribution, type Distribution } from "./stats.js";

/**
 * Per-request results, kept compactly: typed arrays indexed by request, so
 * 20,000 requests cost well under a megabyte and no outcome object outlives
 * its request. Results from worker processes land here too.
 */

export const OUTCOME = { pending: 0, accepted: 1, noAvailability: 2, conflict: 3, busy: 4, error: 5 } as const;
export type OutcomeCode = (typeof OUTCOME)[keyof typeof OUTCOME];

export interface RequestResult {
  index: number;
  outcome: OutcomeCode;
  /** Epoch milliseconds (see stats.clock), comparable across processes. */
  startedAt: number;
  endedAt: number;
  /** Time spent waiting for the booking locks, NaN when not measured. */
  lockWaitMs: number;
  /** For errors: what went wrong (one line, secrets redacted). */
  message?: string;
}

export function outcomeCode(outcome: BookingOutcome): OutcomeCode {
  switch (outcome.outcome) {
    case "accepted":
      return OUTCOME.accepted;
    case "refused":
      return outcome.code === "CONFLICT" ? OUTCOME.conflict : OUTCOME.noAvailability;
    case "busy":
      return OUTCOME.busy;
  }
}

export interface Progress {
  total: number;
  done: number;
  accepted: number;
  refused: number;
  failed: number;
  errors: number;
}

const MAX_ERROR_MESSAGES = 5;

export class ResultLog {
  readonly n: number;
  private readonly outcomes: Uint8Array;
  private readonly started: Float64Array;
  private readonly ended: Float64Array;
  private readonly lockWait: Float64Array;
  private readonly counts = new Array<number>(6).fill(0);
  private readonly messages = new Map<string, number>();
  private firstStart = Infinity;
  private lastEnd = -Infinity;

  constructor(n: number) {
    this.n = n;
    this.outcomes = new Uint8Array(n);
    this.started = new Float64Array(n);
    this.ended = new Float64Array(n);
    this.lockWait = new Float64Array(n).fill(Number.NaN);
  }

  record(result: RequestResult): void {
    const { index } = result;
    if (!Number.isInteger(index) || index < 0 || index >= this.n) throw new HotelError("INTERNAL", `result for unknown request ${index}`);
    if (this.outcomes[index] !== OUTCOME.pending) throw new HotelError("INTERNAL", `request ${index} reported twice`);
    if (result.outcome < OUTCOME.accepted || result.outcome > OUTCOME.error) throw new HotelError("INTERNAL", `request ${index}: unknown outcome ${result.outcome}`);
    this.outcomes[index] = result.outcome;
    this.started[index] = result.startedAt;
    this.ended[index] = result.endedAt;
    this.lockWait[index] = result.lockWaitMs;
    this.counts[result.outcome] = (this.counts[result.outcome] ?? 0) + 1;
    this.firstStart = Math.min(this.firstStart, result.startedAt);
    this.lastEnd = Math.max(this.lastEnd, result.endedAt);
    if (result.outcome === OUTCOME.error) this.noteError(result.message ?? "unknown error");
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

  progress(): Progress {
    const accepted = this.count(OUTCOME.accepted);
    const refused = this.count(OUTCOME.noAvailability) + this.count(OUTCOME.conflict);
    const failed = this.count(OUTCOME.busy);
    const errors = this.count(OUTCOME.error);
    return { total: this.n, done: accepted + refused + failed + errors, accepted, refused, failed, errors };
  }

  outcomeAt(index: number): OutcomeCode {
    return (this.outcomes[index] ?? OUTCOME.pending) as OutcomeCode;
  }

  reportedAt(index: number): ReportedOutcome | undefined {
    switch (this.outcomeAt(index)) {
      case OUTCOME.accepted:
        return "accepted";
      case OUTCOME.noAvailability:
      case OUTCOME.conflict:
        return "refused";
      case OUTCOME.busy:
        return "failed";
      case OUTCOME.error:
        return "error";
      default:
        return undefined;
    }
  }

  startedAt(index: number): number {
    return this.started[index] ?? Number.NaN;
  }

  endedAt(index: number): number {
    return this.ended[index] ?? Number.NaN;
  }

  /** Indices of requests that are still unanswered. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n && out.length < 10; i++) if (this.outcomes[i] === OUTCOME.pending) out.push(i);
    return out;
  }

  latency(): Distribution {
    const values = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) values[i] = this.outcomes[i] === OUTCOME.pending ? Number.NaN : (this.ended[i] as number) - (this.started[i] as number);
    return distribution(values);
  }

  lockWaits(): Distribution {
    return distribution(this.lockWait);
  }

  /** From the first request's start to the last one's end. */
  wallTimeMs(): number {
    return this.lastEnd > this.firstStart ? this.lastEnd - this.firstStart : 0;
  }

  errorMessages(): { message: string; count: number }[] {
    return [...this.messages].map(([message, count]) => ({ message, count }));
  }
}
