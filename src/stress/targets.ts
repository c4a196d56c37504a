import { book } from "../core/book.js";
import type { BookingOutcome, BookingRequest, BookingView } from "../core/booking.js";
import { toHotelError } from "../core/sqlstate.js";
import { DEFAULT_PROPERTY, type Hotel } from "../core/hotel.js";
import type { Database } from "../db/database.js";
import type { StressConfig, StressStrategy } from "./config.js";
import { StopRun } from "./driver.js";
import { describeError, type HttpClient } from "./http-client.js";
import { OUTCOME, outcomeCode, type TaskAnswer } from "./results.js";
import type { StressOperation } from "./scenarios.js";
import { bookSerializable } from "./serializable-strategy.js";

/**
 * Where a run's requests go. A target answers each operation the way the
 * booking core does (an outcome, or a thrown error); the rest of the stress
 * library sees only this. These are the few call sites into the core that a
 * change of the core's signature has to touch.
 */

export type Booker = (request: BookingRequest) => Promise<BookingOutcome>;

export interface StressTarget {
  book: Booker;
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
  return {
    book: bookerFor(strategy, hotel, config),
    async warm(connections) {
      await Promise.all(Array.from({ length: connections }, () => hotel.prisma.$queryRaw`SELECT 1`));
    },
  };
}

/** A failed HTTP exchange: its status (null when no answer came), so the result can show it. */
export class HttpExchangeError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

/** `POST /api/bookings` of a `hotel serve`, answered as the core would; refused credentials end the run (StopRun). */
export function httpTarget(client: HttpClient): StressTarget {
  return {
    async book(request) {
      const body = { tier: request.tier, checkIn: request.checkIn, checkOut: request.checkOut, guestName: request.guestName };
      const headers: Record<string, string> = request.idempotencyKey ? { "Idempotency-Key": request.idempotencyKey } : {};
      let response: Awaited<ReturnType<HttpClient["request"]>>;
      try {
        response = await client.request("POST", "/api/bookings", body, headers);
      } catch (error) {
        throw new HttpExchangeError(null, `no answer from ${client.base}: ${client.redact(error instanceof Error ? error.message : String(error))}`);
      }
      const refused = client.refusal(response);
      if (refused) throw new StopRun(refused);
      const answer = (response.body ?? {}) as { booking?: BookingView; replayed?: boolean; code?: string; error?: string; retryAfter?: number };
      const message = typeof answer.error === "string" ? answer.error : "";
      if (response.status === 201 && answer.booking) {
        return { outcome: "accepted", status: 201, booking: answer.booking, replayed: answer.replayed ?? false, lockWaitMs: Number.NaN, attempts: 1 };
      }
      if (response.status === 409 && (answer.code === "NO_AVAILABILITY" || answer.code === "CONFLICT")) {
        return { outcome: "refused", status: 409, code: answer.code, message, lockWaitMs: Number.NaN, attempts: 1 };
      }
      if (response.status === 503 && answer.code === "BUSY") {
        const retryAfter = Number(response.headers["retry-after"] ?? answer.retryAfter ?? 1);
        return { outcome: "busy", status: 503, code: "BUSY", message, retryAfter, lockWaitMs: Number.NaN, attempts: 1 };
      }
      throw new HttpExchangeError(response.status, client.redact(`HTTP ${response.status}${describeError(response.body)}`));
    },
    async warm(connections) {
      await Promise.all(Array.from({ length: connections }, () => client.request("GET", "/healthz")));
    },
  };
}

/** Runs one operation against a target and says what it came to; throws only StopRun. */
export async function perform(target: StressTarget, operation: StressOperation): Promise<TaskAnswer> {
  switch (operation.operation) {
    case "book":
      try {
        const outcome = await target.book(operation.request);
        return {
          operation: "book",
          outcome: outcomeCode(outcome),
          status: outcome.status,
          lockWaitMs: outcome.lockWaitMs,
          ...(outcome.outcome === "accepted" ? { bookingId: outcome.booking.id } : {}),
        };
      } catch (error) {
        if (error instanceof StopRun) throw error;
        if (error instanceof HttpExchangeError) return { operation: "book", outcome: OUTCOME.error, status: error.status, lockWaitMs: Number.NaN, message: error.message };
        const failure = toHotelError(error);
        const outcome = failure.code === "BUSY" ? OUTCOME.busy : OUTCOME.error;
        return { operation: "book", outcome, status: outcome === OUTCOME.busy ? 503 : null, lockWaitMs: Number.NaN, message: `${failure.code}: ${failure.message}` };
      }
  }
}
