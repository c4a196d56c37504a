import type { BookingOutcome, BookingRequest, Refused } from "../core/booking.js";
import { formatDate, today } from "../core/dates.js";
import { StopRun } from "./driver.js";
import { describeError, type HttpClient } from "./http-client.js";
import type { BookingAction } from "./scenarios.js";
import type { ActionOutcome, StressTarget } from "./targets.js";

/**
 * A `hotel serve` as a stress target: each operation is the request the
 * README documents (POST /api/bookings and /api/holds, PATCH, DELETE and
 * POST /api/bookings/:id/<transition>), and each answer is mapped back to
 * the outcome the core would have given. The server acts on its own date
 * (`today()`), which HTTP cannot set: transitions are judged against it.
 * Refused credentials (401, 403) end the run (StopRun).
 */

/** A failed HTTP exchange: its status (null when no answer came), so the result can show it. */
export class HttpExchangeError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

const REFUSAL_CODES = new Set<string>(["NO_AVAILABILITY", "CONFLICT", "INVALID_STATE", "HOLD_EXPIRED"]);

interface Answer {
  booking?: unknown;
  code?: string;
  error?: string;
  retryAfter?: number;
}

/** Sends one write and maps its answer: `success` is the status of an accepted one. */
async function exchange<T>(client: HttpClient, method: string, path: string, body: unknown, success: number, headers: Record<string, string> = {}): Promise<T | Refused | Extract<BookingOutcome, { outcome: "busy" }>> {
  let response: Awaited<ReturnType<HttpClient["request"]>>;
  try {
    response = await client.request(method, path, body, headers);
  } catch (error) {
    throw new HttpExchangeError(null, `no answer from ${client.base}: ${client.redact(error instanceof Error ? error.message : String(error))}`);
  }
  const refused = client.refusal(response);
  if (refused) throw new StopRun(refused);
  const answer = (response.body ?? {}) as Answer;
  const message = typeof answer.error === "string" ? answer.error : "";
  const timing = { lockWaitMs: Number.NaN, attempts: 1 };
  if (response.status === success && answer.booking) {
    // The body is the core's answer as serve renders it (README): what perform() reads is there.
    return { outcome: "accepted", replayed: false, ...(response.body as object), status: success, ...timing } as T;
  }
  if (response.status === 409 && REFUSAL_CODES.has(answer.code ?? "")) {
    return { outcome: "refused", status: 409, code: answer.code as Refused["code"], message, ...timing };
  }
  if (response.status === 503 && answer.code === "BUSY") {
    const retryAfter = Number(response.headers["retry-after"] ?? answer.retryAfter ?? 1);
    return { outcome: "busy", status: 503, code: "BUSY", message, retryAfter, ...timing };
  }
  throw new HttpExchangeError(response.status, client.redact(`HTTP ${response.status}${describeError(response.body)}`));
}

const bookingBody = (request: BookingRequest): Record<string, unknown> => ({ tier: request.tier, checkIn: request.checkIn, checkOut: request.checkOut, guestName: request.guestName });

function act(client: HttpClient, action: BookingAction): Promise<ActionOutcome> {
  const path = `/api/bookings/${action.bookingId}`;
  switch (action.operation) {
    case "change":
      return exchange(client, "PATCH", path, { checkIn: action.checkIn, checkOut: action.checkOut }, 200);
    case "move":
      return exchange(client, "PATCH", path, action.suite === undefined ? { tier: action.tier } : { suite: action.suite }, 200);
    case "cancel":
      return exchange(client, "DELETE", path, undefined, 200);
    default:
      return exchange(client, "POST", `${path}/${action.operation}`, {}, 200);
  }
}

/** `hotel serve` at `client.base`, answered as the core would. */
export function httpTarget(client: HttpClient): StressTarget {
  return {
    book(request) {
      const headers: Record<string, string> = request.idempotencyKey ? { "Idempotency-Key": request.idempotencyKey } : {};
      return exchange(client, "POST", "/api/bookings", bookingBody(request), 201, headers);
    },
    hold: (request) => exchange(client, "POST", "/api/holds", { ...bookingBody(request), ttlSeconds: request.ttlSeconds }, 201),
    act: (action) => act(client, action),
    today: () => formatDate(today()),
    async warm(connections) {
      await Promise.all(Array.from({ length: connections }, () => client.request("GET", "/healthz")));
    },
  };
}
