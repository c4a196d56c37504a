import { getBooking } from "../../core/bookings.js";
import { move, parseBookingId } from "../../core/front-desk.js";
import type { CommandDefinition, Deps } from "../command.js";
import { idempotencyKeyFlag } from "../flags.js";
import { retryLogger } from "../outcome.js";
import { requireValues } from "../prompt.js";
import { reportChange } from "./change.js";
import { tierChoices } from "./tier-choices.js";

export interface MoveOptions {
  id: string;
  suite?: string;
  tier?: string;
  idempotencyKey?: string;
}

export const moveCommand: CommandDefinition<MoveOptions, Omit<MoveOptions, "id">> = {
  name: "move",
  summary: "move a stay to another suite (--suite, any tier) or to the lowest free suite of a tier (--tier)",
  arguments: [["<booking-id>", "id printed by `hotel book`"]],
  flags: [
    { flags: "--suite <number>", description: "that suite, if it is active and free for the whole stay", conflicts: "tier" },
    { flags: "--tier <tier>", description: "the lowest free suite of this tier: an upgrade or a downgrade" },
    idempotencyKeyFlag("answers the first move"),
  ],
  help: "Refused (exit 3) when the suite or tier has nothing free for the whole stay; the booking is then\nexactly as before. On a terminal, with neither flag, the tier is asked for.",
  examples: ["hotel move 42 --suite D204", "hotel move 42 --tier deluxe --json"],
  parse: (flags, [id]) => ({ ...flags, id: String(id) }),
  run,
};

export async function run(options: MoveOptions, deps: Deps): Promise<number> {
  parseBookingId(options.id);
  const target = options.suite ?? options.tier;
  const ask = requireValues(deps.prompter, { "--suite or --tier": target });
  const lockTimeoutMs = deps.lockTimeoutMs();
  const db = await deps.database({ poolSize: 1 });
  const hotel = deps.hotel(db);
  const tier =
    options.suite !== undefined
      ? undefined
      : await ask(options.tier, async (prompter) => {
          const current = await getBooking(hotel, options.id);
          return prompter.select(`Move #${current.id} (${current.tier}, ${current.checkIn} to ${current.checkOut}) to tier`, await tierChoices(hotel, current));
        });
  const request = { suite: options.suite, tier, idempotencyKey: options.idempotencyKey };
  const result = await move(hotel, options.id, request, { lockTimeoutMs, onRetry: retryLogger(deps.out) });
  return reportChange(deps, result, lockTimeoutMs);
}
