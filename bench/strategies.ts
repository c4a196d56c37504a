import { book, DEFAULT_LOCK_TIMEOUT_MS } from "../src/core/book.js";
import type { BookingOutcome, BookingRequest } from "../src/core/booking.js";
import type { PrismaClient } from "../src/db/database.js";
import type { Hotel } from "../src/core/hotel.js";
import { bookSeedDesign } from "../src/stress/seed-strategy.js";
import type { Answer } from "./load.js";

/**
 * The booking transactions measured side by side:
 *   locked       book() strategy "function": hotel_book() in one round trip (the default)
 *   interactive  book() strategy "interactive": the same steps as a Prisma interactive transaction
 *   seed         the seed's Serializable design (src/stress/seed-strategy.ts), for comparison only
 */

export const STRATEGIES = ["locked", "interactive", "seed"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type Booker = (request: BookingRequest) => Promise<Answer>;

export function bookerFor(strategy: Strategy, prisma: PrismaClient, capacities: ReadonlyMap<string, number>): Booker {
  const lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS;
  const hotel: Hotel = { prisma, property: "main", actor: "bench" };
  switch (strategy) {
    case "locked":
      return async (request) => answerOf(await book(hotel, request, { strategy: "locked", lockTimeoutMs }));
    case "interactive":
      return async (request) => answerOf(await book(hotel, request, { strategy: "interactive", lockTimeoutMs }));
    case "seed":
      return async (request) => answerOf(await bookSeedDesign(hotel, request, { capacity: capacities.get(request.tier) ?? 0 }));
  }
}

function answerOf(outcome: BookingOutcome): Answer {
  switch (outcome.outcome) {
    case "accepted":
      return { outcome: "accepted", lockWaitMs: outcome.lockWaitMs };
    case "refused":
      return { outcome: outcome.code === "CONFLICT" ? "conflict" : "refused", lockWaitMs: outcome.lockWaitMs };
    case "busy":
      return { outcome: "busy", lockWaitMs: outcome.lockWaitMs };
  }
}
