import { clock, distribution, type Distribution } from "../src/stress/stats.js";

/**
 * The closed-loop load driver every measured phase uses: `concurrency`
 * clients, each starting its next request as soon as the previous one ends,
 * until the requests run out or the time budget is spent. A Load can run in
 * slices (requests [0, a), then [a, b) ...) with other work in between, so
 * that what is compared can be measured interleaved on a noisy machine; the
 * result covers every slice, timed only while it ran. Requests are handed out
 * in index order and a slice that runs out of time ends the load, so whatever
 * ran is always the prefix [0, completed). Results live in typed arrays.
 */

export type Outcome = "accepted" | "refused" | "conflict" | "busy" | "error";
const OUTCOMES: readonly Outcome[] = ["accepted", "refused", "conflict", "busy", "error"];

export interface Answer {
  outcome: Outcome;
  /** Time spent waiting for the booking locks, when the strategy measures it. */
  lockWaitMs?: number;
}

export interface LoadResult {
  requested: number;
  /** Requests that started (and therefore finished): fewer than requested when the time cap hit. */
  completed: number;
  capped: boolean;
  counts: Record<Outcome, number>;
  /** Time spent running, summed over the slices. */
  wallMs: number;
  /** Every completed request, whatever its outcome, per second of running time. */
  perSec: number;
  acceptedPerSec: number;
  latencyMs: Distribution;
  lockWaitMs: Distribution;
  /** CPU time of this (client) process per completed request, user + system. */
  clientCpuMsPerRequest: number;
  /** The first error message seen, for the report. */
  firstError?: string;
  outcomeAt(index: number): Outcome | undefined;
  startedAt(index: number): number;
  endedAt(index: number): number;
}

export class Load {
  private readonly outcome: Uint8Array;
  private readonly startTimes: Float64Array;
  private readonly ended: Float64Array;
  private readonly latency: Float64Array;
  private readonly lockWait: Float64Array;
  private readonly counts: Record<Outcome, number> = { accepted: 0, refused: 0, conflict: 0, busy: 0, error: 0 };
  private firstError: string | undefined;
  private next = 0;
  private wallMs = 0;
  private cpuMicros = 0;
  private capped = false;

  constructor(
    readonly n: number,
    private readonly run: (index: number) => Promise<Answer>,
  ) {
    this.outcome = new Uint8Array(n).fill(255);
    this.startTimes = new Float64Array(n);
    this.ended = new Float64Array(n);
    this.latency = new Float64Array(n).fill(Number.NaN);
    this.lockWait = new Float64Array(n).fill(Number.NaN);
  }

  /** Requests started so far. */
  get started(): number {
    return this.next;
  }

  get done(): boolean {
    return this.capped || this.next >= this.n;
  }

  /**
   * Runs requests up to index `until` (exclusive) while the total running time
   * stays under `maxSeconds` (past it, the load is over), and this slice's
   * under `sliceSeconds` (past it, only this slice is).
   */
  async runUntil(until: number, concurrency: number, maxSeconds: number, sliceSeconds = Infinity): Promise<void> {
    const end = Math.min(until, this.n);
    if (this.done || this.next >= end) return;
    const cpu0 = process.cpuUsage();
    const t0 = clock();
    const deadline = t0 + maxSeconds * 1000 - this.wallMs;
    const sliceDeadline = t0 + sliceSeconds * 1000;
    const client = async (): Promise<void> => {
      for (;;) {
        if (this.next >= end) return;
        const now = clock();
        if (now > deadline) {
          this.capped = true;
          return;
        }
        if (now > sliceDeadline) return;
        const index = this.next++;
        const begin = clock();
        let answer: Answer;
        try {
          answer = await this.run(index);
        } catch (error) {
          answer = { outcome: "error" };
          this.firstError ??= error instanceof Error ? error.message.replace(/\s+/g, " ").slice(0, 300) : String(error);
        }
        const finish = clock();
        this.startTimes[index] = begin;
        this.ended[index] = finish;
        this.latency[index] = finish - begin;
        if (answer.lockWaitMs !== undefined) this.lockWait[index] = answer.lockWaitMs;
        this.outcome[index] = OUTCOMES.indexOf(answer.outcome);
        this.counts[answer.outcome]++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, end - this.next)) }, client));
    this.wallMs += clock() - t0;
    const cpu = process.cpuUsage(cpu0);
    this.cpuMicros += cpu.user + cpu.system;
  }

  result(): LoadResult {
    const completed = this.next;
    const { wallMs, counts } = this;
    return {
      requested: this.n,
      completed,
      capped: this.capped,
      counts: { ...counts },
      wallMs,
      perSec: wallMs > 0 ? (completed * 1000) / wallMs : 0,
      acceptedPerSec: wallMs > 0 ? (counts.accepted * 1000) / wallMs : 0,
      latencyMs: distribution(this.latency, completed),
      lockWaitMs: distribution(this.lockWait, completed),
      clientCpuMsPerRequest: completed > 0 ? this.cpuMicros / 1000 / completed : 0,
      firstError: this.firstError,
      outcomeAt: (index) => OUTCOMES[this.outcome[index] ?? 255],
      startedAt: (index) => this.startTimes[index] ?? Number.NaN,
      endedAt: (index) => this.ended[index] ?? Number.NaN,
    };
  }
}

export interface LoadOptions {
  n: number;
  concurrency: number;
  /** Stop starting requests after this long; those in flight still finish. */
  maxSeconds: number;
  run(index: number): Promise<Answer>;
}

/** One load in one go. */
export async function drive(options: LoadOptions): Promise<LoadResult> {
  const load = new Load(options.n, options.run);
  await load.runUntil(options.n, options.concurrency, options.maxSeconds);
  return load.result();
}
