import { setTimeout as sleep } from "node:timers/promises";
import { OUTCOME, type RequestResult, type TaskAnswer } from "./results.js";
import type { ArrivalSchedule } from "./schedule.js";
import { clock } from "./stats.js";

/**
 * The load driver of one process, for both load models:
 * - closed: `concurrency` clients, each starting its next request as soon as
 *   its previous one has ended (a request's schedule is its start);
 * - open: request k is due at `arrivals.offsetOf(k)` whatever the latency
 *   (no coordinated omission). It starts then if one of the `concurrency`
 *   slots is free, else as soon as one frees up, and counts as late; it is
 *   never dropped. Its latency counts from the due time.
 * A driver can run in slices (bench interleaves phases on a noisy machine):
 * each `run()` goes on where the last one stopped, and the duration, the
 * running time and the CPU time count only while a slice runs.
 */

/** A start later than this after its due time counts as late even with a free slot (a busy event loop). */
export const LATE_START_MS = 5;
/** A request this close to its due time leaves at once (a timer cannot wait less than 1 ms). */
const EARLY_START_MS = 0.5;

export type Task = (index: number) => Promise<TaskAnswer>;

/**
 * What a task throws when the whole run must end at once (a server that
 * refuses the run's credentials will refuse every request): the driver starts
 * nothing more, lets the requests in flight finish, and run() rejects with
 * `reason`. Anything else a task throws is that request's error.
 */
export class StopRun extends Error {
  constructor(readonly reason: Error) {
    super(reason.message);
  }
}

export interface LoadShape {
  concurrency: number;
  /** Requests this driver may start (Infinity: only the duration bounds it). */
  count: number;
  /** Stop starting requests after this much load time, in ms (Infinity: no bound). */
  durationMs: number;
  /** The open model's schedule; undefined: the closed model. */
  arrivals?: ArrivalSchedule;
  /** The run-wide index of this driver's k-th request (a worker runs w, w+P, ...). */
  indexAt?(k: number): number;
}

export interface SliceOptions {
  /** Start requests up to this driver's k-th (exclusive). */
  until?: number;
  /** Stop starting requests after this long. */
  sliceMs?: number;
  /** Checked before each start: true once the run is being torn down. */
  stopped?(): boolean;
}

export class LoadDriver {
  private next = 0;
  private loadMs = 0;
  private cpuMicros = 0;
  private capped = false;
  private failure: unknown;

  constructor(
    private readonly shape: LoadShape,
    private readonly task: Task,
    private readonly onResult: (result: RequestResult) => void,
  ) {}

  /** Requests started so far. */
  get started(): number {
    return this.next;
  }

  /** True once the count or the duration is used up. */
  get done(): boolean {
    return this.capped || this.next >= this.shape.count;
  }

  /** Time spent running slices (ms). */
  get runningMs(): number {
    return this.loadMs;
  }

  /** CPU time of this process (user + system) while slices ran, in ms. */
  get cpuMs(): number {
    return this.cpuMicros / 1000;
  }

  async run(options: SliceOptions = {}): Promise<void> {
    const end = Math.min(options.until ?? Infinity, this.shape.count);
    if (this.done || this.next >= end) return;
    const cpu = process.cpuUsage();
    const started = clock();
    try {
      if (this.shape.arrivals) await this.runOpen(this.shape.arrivals, end, started, options);
      else await this.runClosed(end, started, options);
    } finally {
      this.loadMs += clock() - started;
      const used = process.cpuUsage(cpu);
      this.cpuMicros += used.user + used.system;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private indexAt(k: number): number {
    return this.shape.indexAt ? this.shape.indexAt(k) : k;
  }

  private async runClosed(end: number, sliceStart: number, options: SliceOptions): Promise<void> {
    const deadline = sliceStart + this.shape.durationMs - this.loadMs;
    const sliceEnd = sliceStart + (options.sliceMs ?? Infinity);
    const client = async (): Promise<void> => {
      while (this.next < end && this.failure === undefined && !options.stopped?.()) {
        const now = clock();
        if (now >= deadline) {
          this.capped = true;
          return;
        }
        if (now >= sliceEnd) return;
        // The closed model has no schedule: a request is due when it starts.
        await this.execute(this.indexAt(this.next++), Infinity, false);
      }
    };
    const clients = Math.max(1, Math.min(this.shape.concurrency, end - this.next));
    await Promise.all(Array.from({ length: clients }, client));
  }

  private async runOpen(arrivals: ArrivalSchedule, end: number, sliceStart: number, options: SliceOptions): Promise<void> {
    // The schedule's zero, so that a later slice goes on where this one stops.
    const zero = sliceStart - this.loadMs;
    const sliceEnd = sliceStart + (options.sliceMs ?? Infinity);
    const slots = new Slots(this.shape.concurrency);
    const inFlight = new Set<Promise<void>>();
    while (this.next < end && this.failure === undefined && !options.stopped?.()) {
      const index = this.indexAt(this.next);
      const offset = arrivals.offsetOf(index);
      if (offset >= this.shape.durationMs) {
        this.capped = true;
        break;
      }
      const due = zero + offset;
      if (due >= sliceEnd) break;
      const wait = due - clock();
      // Timers truncate to whole milliseconds: round up, never leave early by more than EARLY_START_MS.
      if (wait > EARLY_START_MS) await sleep(Math.ceil(wait));
      const queued = !slots.tryTake();
      if (queued) await slots.take();
      this.next++;
      const request = this.execute(index, due, queued).finally(() => {
        slots.give();
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
  }

  /** Runs one request and reports it; never throws (a failing report, or StopRun, stops the driver). */
  private async execute(index: number, due: number, queued: boolean): Promise<void> {
    const startedAt = clock();
    let answer: TaskAnswer;
    try {
      answer = await this.task(index);
    } catch (error) {
      if (error instanceof StopRun) {
        this.failure ??= error.reason;
        return;
      }
      answer = { operation: "book", outcome: OUTCOME.error, status: null, lockWaitMs: Number.NaN, message: error instanceof Error ? error.message : String(error) };
    }
    const endedAt = clock();
    const scheduledAt = Math.min(due, startedAt);
    try {
      this.onResult({ ...answer, index, scheduledAt, startedAt, endedAt, late: queued || startedAt - scheduledAt > LATE_START_MS });
    } catch (error) {
      this.failure ??= error;
    }
  }
}

/** Counting semaphore over the open model's connections, first come first served. */
class Slots {
  private waiting: (() => void)[] = [];

  constructor(private free: number) {}

  tryTake(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }

  take(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter();
    else this.free++;
  }
}
