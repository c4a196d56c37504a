import type { ChangeOutcome } from "../../core/booking.js";
import { getBooking } from "../../core/bookings.js";
import { resolveStay } from "../../core/dates.js";
import { change, parseBookingId, type ChangeRequest } from "../../core/front-desk.js";
import type { CommandDefinition, Deps } from "../command.js";
import { idempotencyKeyFlag, stayFlags } from "../flags.js";
import { debugTiming, reportUnsuccessful, retryLogger } from "../outcome.js";
import { askDate, requireValues } from "../prompt.js";
import { bookingLine } from "../render.js";

export interface ChangeOptions {
  id: string;
  checkIn?: string;
  checkOut?: string;
  nights?: string;
  idempotencyKey?: string;
}

export const changeCommand: CommandDefinition<ChangeOptions, Omit<ChangeOptions, "id">> = {
  name: "change",
  summary: "extend, shorten or shift a stay, keeping its suite when it is free",
  arguments: [["<booking-id>", "id printed by `hotel book`"]],
  flags: [
    ...stayFlags({
      checkIn: "new first night; alone it shifts the stay and keeps its length",
      checkOut: "new departure day (exclusive)",
      nights: "new number of nights from the (new) check-in",
    }),
    idempotencyKeyFlag("answers the first change"),
  ],
  help:
    "Keeps the suite when it is free for every new night, else takes the lowest free suite of the tier;\n" +
    "when none is free it is refused (exit 3) and the booking is exactly as before. On a terminal the new\n" +
    "dates are asked for when no date flag is given.",
  examples: ["hotel change 42 --check-out 2026-12-05", "hotel change 42 --check-in 2026-12-10", "hotel change 42 --nights 3 --json"],
  parse: (flags, [id]) => ({ ...flags, id: String(id) }),
  run,
};

export async function run(options: ChangeOptions, deps: Deps): Promise<number> {
  parseBookingId(options.id);
  const given = options.checkIn ?? options.checkOut ?? options.nights;
  const ask = requireValues(deps.prompter, { "--check-in, --check-out or --nights": given });
  const lockTimeoutMs = deps.lockTimeoutMs();
  const db = await deps.database({ poolSize: 1 });
  const hotel = deps.hotel(db);
  const request: ChangeRequest = await ask<ChangeRequest>(given === undefined ? undefined : { ...options }, async (prompter) => {
    const current = await getBooking(hotel, options.id);
    const checkIn = await askDate(prompter, `New check-in (now ${current.checkIn})`, current.checkIn);
    const checkOut = await askDate(prompter, `New check-out (now ${current.checkOut})`, current.checkOut, (date) => resolveStay({ checkIn, checkOut: date }));
    return { checkIn, checkOut };
  });
  const result = await change(hotel, options.id, { ...request, idempotencyKey: options.idempotencyKey }, { lockTimeoutMs, onRetry: retryLogger(deps.out) });
  return reportChange(deps, result, lockTimeoutMs);
}

/** The answer of change or move: the booking now and the stay it had before. */
export function reportChange(deps: Deps, result: ChangeOutcome, lockTimeoutMs: number): number {
  debugTiming(deps.out, result);
  if (result.outcome === "refused" || result.outcome === "busy") return reportUnsuccessful(deps.out, result, lockTimeoutMs);
  const { booking, previous, changed, replayed } = result;
  const verb = !changed ? "Unchanged" : replayed ? "Already done" : result.outcome === "moved" ? "Moved" : "Changed";
  const was = `was suite ${previous.suite} (${previous.tier}), ${previous.checkIn} to ${previous.checkOut}`;
  deps.out.essential(
    { outcome: result.outcome, status: 200, changed, replayed, booking, previous },
    `${verb}: ${bookingLine(booking, deps.out.color)}${changed ? `; ${was}` : ""}`,
  );
  return 0;
}
