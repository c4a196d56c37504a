import { MESSAGES, type Busy, type Refused } from "../core/booking.js";
import { HotelError } from "../core/errors.js";
import type { Output } from "./output.js";

/**
 * A refused (409) or busy (503) answer of a write, rendered as the command's
 * one failure: exit 3 or 75, and with --json the CLI contract's
 * `{"outcome":"refused"|"busy","status",...,"error":{...}}`.
 */
export function reportUnsuccessful(out: Output, outcome: Refused | Busy, lockTimeoutMs: number): number {
  if (outcome.outcome === "refused") return out.failure(new HotelError(outcome.code, outcome.message), { outcome: "refused", status: 409 });
  // A lock wait that ran out says how long it waited; a shortage on the server names its cause already.
  const message = outcome.message === MESSAGES.busy ? `${outcome.message} (lock wait exceeded ${lockTimeoutMs} ms; retry after ${outcome.retryAfter} s)` : outcome.message;
  return out.failure(new HotelError("BUSY", message, { retryAfter: outcome.retryAfter }), { outcome: "busy", status: 503, retryAfter: outcome.retryAfter });
}

/** Debug lines every write shares: how long it waited and how many attempts it took. */
export function debugTiming(out: Output, outcome: { lockWaitMs: number; attempts: number }): void {
  out.debug(`lock wait ${outcome.lockWaitMs.toFixed(2)} ms over ${outcome.attempts} attempt(s)`);
}

export const retryLogger =
  (out: Output) =>
  (attempt: number, state: string | undefined, delayMs: number): void =>
    out.debug(`attempt ${attempt} failed with SQLSTATE ${state}; retrying in ${delayMs} ms`);
