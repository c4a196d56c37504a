import { book, hold } from "../core/book.js";
import type { BookingOutcome, BookingRequest, BookingView, ChangeOutcome, HoldRequest, TransitionOutcome } from "../core/booking.js";
import { change, move, transition } from "../core/front-desk.js";
import { toHotelError } from "../core/sqlstate.js";
import { DEFAULT_PROPERTY, type Hotel } from "../core/hotel.js";
import type { Database } from "../db/database.js";
import type { StressConfig, StressStrategy } from "./config.js";
import { StopRun } from "./driver.js";
import { HttpExchangeError } from "./http-target.js";
import { OUTCOME, outcomeCode, type TaskAnswer } from "./results.js";
import type { BookingAction, ResolvedOperation } from "./scenarios.js";
import { bookSerializable } from "./serializable-strategy.js";

/**
 * Where a run's requests go. A target answers each operation the way the
 * booking core does (an outcome, or a thrown error); the rest of the stress
 * library sees only this. These are the few call sites into the core that a
 * change of the core's signature has to touch.
 */

export type Booker = (request: BookingRequest) => Promise<BookingOutcome>;

export type ActionOutcome = ChangeOutcome | TransitionOutcome;

export interface StressTarget {
  book: Booker;
  hold(request: HoldRequest): Promise<BookingOutcome>;
  /** change, move, or a transition (confirm, checkin, checkout, noshow, cancel) of a known booking. */
  act(action: BookingAction): Promise<ActionOutcome>;
  /** The day transitions act on when the target cannot be told one (HTTP: the server's own date). */
  today?(): string;
  /** Opens `connections` connections (and compiles what the first request would) before the clock starts. */
  warm(connections: number): Promise<void>;
}

/** The core's context for a run's scratch schema: its one property, acted on by "stress". */
export const stressHotel = (db: Database): Hotel => ({ prisma: db.prisma, schema: db.schema, property: DEFAULT_PROPERTY, actor: "stress" });

/** The booking function a strategy stands for; `locked` is what `hotel book` runs. */
export function bookerFor(strategy: StressStrategy, hotel: Hotel, config: Pick<StressConfig, "lockTimeoutMs" | "tiers">): Booker {
  const { lockTimeoutMs } = config;
  switch (strategy) {
    case "locked":
      return (request) => book(hotel, request, { strategy: "locked", lockTimeoutMs });
    case "interactive":
      return (request) => book(hotel, request, { strategy: "interactive", lockTimeoutMs });
    case "serializable": {
      const capacities = new Map(config.tiers.map((tier) => [tier.name, tier.capacity]));
      // The warm-up tier is not in the plan: give it room (it is never judged).
      return (request) => bookSerializable(hotel, request, { capacity: capacities.get(request.tier) ?? Number.MAX_SAFE_INTEGER });
    }
  }
}

export function coreTarget(strategy: StressStrategy, hotel: Hotel, config: Pick<StressConfig, "lockTimeoutMs" | "tiers">): StressTarget {
  const { lockTimeoutMs } = config;
  return {
    book: bookerFor(strategy, hotel, config),
    hold: (request) => hold(hotel, request, { strategy: strategy === "interactive" ? "interactive" : "locked", lockTimeoutMs }),
    act(action) {
      switch (action.operation) {
        case "change":
          return change(hotel, action.bookingId, { checkIn: action.checkIn, checkOut: action.checkOut }, { lockTimeoutMs });
        case "move":
          return move(hotel, action.bookingId, action.suite === undefined ? { tier: action.tier } : { suite: action.suite }, { lockTimeoutMs });
        default:
          return transition(hotel, action.operation, action.bookingId, { today: action.today, lockTimeoutMs });
      }
    },
    async warm(connections) {
      await Promise.all(Array.from({ length: connections }, () => hotel.prisma.$queryRaw`SELECT 1`));
    },
  };
}

/**
 * Runs one operation against a target and says what it came to; throws
 * only StopRun (refused credentials end the run). `observe` sees the
 * booking of an accepted operation.
 */
export async function perform(target: StressTarget, operation: ResolvedOperation, observe?: (booking: BookingView) => void): Promise<TaskAnswer> {
  const name = operation.operation;
  try {
    const outcome = await call(target, operation);
    const accepted = outcome.outcome !== "refused" && outcome.outcome !== "busy";
    if (accepted) observe?.(outcome.booking);
    return {
      operation: name,
      outcome: outcomeCode(outcome),
      status: outcome.status,
      lockWaitMs: outcome.lockWaitMs,
      ...(accepted ? { bookingId: outcome.booking.id } : {}),
    };
  } catch (error) {
    if (error instanceof StopRun) throw error;
    if (error instanceof HttpExchangeError) return { operation: name, outcome: OUTCOME.error, status: error.status, lockWaitMs: Number.NaN, message: error.message };
    const failure = toHotelError(error);
    const outcome = failure.code === "BUSY" ? OUTCOME.busy : OUTCOME.error;
    return { operation: name, outcome, status: outcome === OUTCOME.busy ? 503 : null, lockWaitMs: Number.NaN, message: `${failure.code}: ${failure.message}` };
  }
}

function call(target: StressTarget, operation: ResolvedOperation): Promise<BookingOutcome | ActionOutcome> {
  switch (operation.operation) {
    case "book":
      return target.book(operation.request);
    case "hold":
      return target.hold({ ...operation.request, ttlSeconds: operation.ttlSeconds });
    default:
      return target.act(operation);
  }
}
