import pLimit from "p-limit";
import { book } from "../core/book.js";
import type { BookingOutcome, BookingRequest } from "../core/booking.js";
import { toHotelError } from "../core/sqlstate.js";
import type { Hotel } from "../core/hotel.js";
import { requestAt, type StressConfig, type StressStrategy } from "./config.js";
import { OUTCOME, outcomeCode, type RequestResult } from "./results.js";
import { bookSeedDesign } from "./seed-strategy.js";
import { clock } from "./stats.js";

/**
 * The load loop of one process: requests go through the booking core (or the
 * seed's design) with p-limit holding `concurrency` in flight. Tasks are
 * queued lazily, so memory stays flat however large n is, and every result is
 * handed on as soon as it exists.
 */

export type Booker = (request: BookingRequest) => Promise<BookingOutcome>;

/** The booking function a strategy stands for; `locked` is what `hotel book` runs. */
export function bookerFor(strategy: StressStrategy, hotel: Hotel, config: Pick<StressConfig, "lockTimeoutMs" | "tiers">): Booker {
  switch (strategy) {
    case "locked":
      return (request) => book(hotel, request, { strategy: "locked", lockTimeoutMs: config.lockTimeoutMs });
    case "interactive":
      return (request) => book(hotel, request, { strategy: "interactive", lockTimeoutMs: config.lockTimeoutMs });
    case "seed": {
      const capacities = new Map(config.tiers.map((tier) => [tier.name, tier.capacity]));
      return (request) => bookSeedDesign(hotel, request, { capacity: capacities.get(request.tier) ?? 0 });
    }
  }
}

/** Runs request `index` and describes what happened; never throws. */
export async function attempt(booker: Booker, config: Parameters<typeof requestAt>[0], index: number): Promise<RequestResult> {
  const request = requestAt(config, index);
  const startedAt = clock();
  try {
    const outcome = await booker(request);
    return { index, outcome: outcomeCode(outcome), startedAt, endedAt: clock(), lockWaitMs: outcome.lockWaitMs };
  } catch (error) {
    const endedAt = clock();
    const failure = toHotelError(error);
    const outcome = failure.code === "BUSY" ? OUTCOME.busy : OUTCOME.error;
    return { index, outcome, startedAt, endedAt, lockWaitMs: Number.NaN, message: `${failure.code}: ${failure.message}` };
  }
}

export interface FireOptions {
  /** How many requests this process runs, and which request is the k-th. */
  count: number;
  indexAt(k: number): number;
  concurrency: number;
  run(index: number): Promise<RequestResult>;
  onResult(result: RequestResult): void;
  /** Checked before each request: true once the run is being torn down. */
  stopped?(): boolean;
}

export async function fireRequests(options: FireOptions): Promise<void> {
  const limit = pLimit(options.concurrency);
  const stopped = options.stopped ?? (() => false);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for (let k = 0; k < options.count && !stopped() && failure === undefined; k++) {
    const index = options.indexAt(k);
    const task = limit(async () => {
      if (stopped()) return;
      options.onResult(await options.run(index));
    });
    inFlight.add(task);
    task.then(
      () => inFlight.delete(task),
      (error: unknown) => {
        failure ??= error;
        inFlight.delete(task);
      },
    );
    // Keep the queue short: enough to keep every slot busy, no more.
    if (inFlight.size >= options.concurrency * 2) await Promise.race(inFlight).catch(() => undefined);
  }
  await Promise.allSettled(inFlight);
  if (failure !== undefined) throw failure;
}

/** Opens `connections` pool connections and loads Prisma's query engine before the clock starts. */
export async function warmUp(prisma: Hotel["prisma"], connections: number): Promise<void> {
  await Promise.all(Array.from({ length: connections }, () => prisma.$queryRaw`SELECT 1`));
}
