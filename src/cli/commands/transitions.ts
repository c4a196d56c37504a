import { TRANSITION_OUTCOME, type Transition } from "../../core/booking.js";
import { formatDate } from "../../core/dates.js";
import { parseBookingId, transition } from "../../core/front-desk.js";
import type { CommandDefinition, Deps } from "../command.js";
import { debugTiming, reportUnsuccessful, retryLogger } from "../outcome.js";
import { bookingLine } from "../render.js";

/**
 * confirm, checkin, checkout, noshow and cancel: a booking's status changes.
 * Each is safe to repeat: done already, it exits 0 with `changed: false`.
 */

export interface TransitionOptions {
  id: string;
}

const WORDS: Record<Transition, { done: string; again: string; summary: string; help: string }> = {
  confirm: {
    done: "Confirmed",
    again: "Already confirmed",
    summary: "turn a live hold into a confirmed booking",
    help: "After the hold's expiresAt it is refused with HOLD_EXPIRED (exit 3) and nothing changes.",
  },
  checkin: {
    done: "Checked in",
    again: "Already checked in",
    summary: "check a guest in (from the first night until check-out)",
    help: "Only a confirmed booking checks in, from its first night (today, by this machine's date) until its check-out.",
  },
  checkout: {
    done: "Checked out",
    again: "Already checked out",
    summary: "check a guest out; before the last night the stay ends today and the rest is free at once",
    help: "An early check-out keeps at least one night; the nights after today are free as soon as it returns.",
  },
  noshow: {
    done: "No-show recorded",
    again: "Already a no-show",
    summary: "record a guest who never came: every night of the stay is free again",
    help: "Allowed for a confirmed booking from its first night on.",
  },
  cancel: {
    done: "Cancelled",
    again: "Already cancelled",
    summary: "cancel a booking or release a hold; its suite is free again at once",
    help: "Cancelling a cancelled booking or an expired hold succeeds and changes nothing (changed: false).",
  },
};

function definition(operation: Transition): CommandDefinition<TransitionOptions> {
  const words = WORDS[operation];
  return {
    name: operation,
    summary: words.summary,
    arguments: [["<booking-id>", "id printed by `hotel book`"]],
    help: words.help,
    examples: [`hotel ${operation} 42`, `hotel ${operation} 42 --json`],
    parse: (_flags, [id]) => ({ id: String(id) }),
    run: (options, deps) => run(operation, options, deps),
  };
}

async function run(operation: Transition, options: TransitionOptions, deps: Deps): Promise<number> {
  parseBookingId(options.id);
  const lockTimeoutMs = deps.lockTimeoutMs();
  const db = await deps.database({ poolSize: 1 });
  const result = await transition(deps.hotel(db), operation, options.id, { lockTimeoutMs, today: formatDate(deps.today()), onRetry: retryLogger(deps.out) });
  debugTiming(deps.out, result);
  if (result.outcome === "refused" || result.outcome === "busy") return reportUnsuccessful(deps.out, result, lockTimeoutMs);
  const words = WORDS[operation];
  deps.out.essential(
    { outcome: TRANSITION_OUTCOME[operation], changed: result.changed, booking: result.booking },
    `${result.changed ? words.done : result.booking.status === "expired" ? "Already expired" : words.again}: ${bookingLine(result.booking, deps.out.color)}`,
  );
  return 0;
}

export const confirmCommand = definition("confirm");
export const checkinCommand = definition("checkin");
export const checkoutCommand = definition("checkout");
export const noshowCommand = definition("noshow");
export const cancelCommand = definition("cancel");
