import { book, hold } from "../../core/book.js";
import { addDays, formatDate, parseDate, resolveStay, type Stay } from "../../core/dates.js";
import * as validate from "../../core/validate.js";
import type { CommandDefinition, Deps } from "../command.js";
import { idempotencyKeyFlag, stayFlags } from "../flags.js";
import { askDate, requireValues, validWith, type Ask, type Prompter } from "../prompt.js";
import { debugTiming, reportUnsuccessful, retryLogger } from "../outcome.js";
import { bookingLine } from "../render.js";
import { tierChoices } from "./tier-choices.js";

export interface BookOptions {
  tier?: string;
  checkIn?: string;
  checkOut?: string;
  nights?: string;
  guest?: string;
  idempotencyKey?: string;
}

export const bookCommand: CommandDefinition<BookOptions, BookOptions> = {
  name: "book",
  summary: "book the lowest-numbered free suite of a tier for a stay",
  flags: [
    { flags: "--tier <tier>", description: "suite tier, e.g. standard" },
    ...stayFlags({ checkIn: "first night, YYYY-MM-DD", checkOut: "departure day, YYYY-MM-DD (exclusive)", nights: "number of nights (instead of --check-out)" }),
    { flags: "--guest <name>", description: "guest name" },
    idempotencyKeyFlag("returns the first booking"),
  ],
  help: "On a terminal, a missing --tier, --check-in, --check-out/--nights or --guest is asked for\n(never with --json, --no-input, CI set, or without a terminal: then exit 64).",
  examples: [
    "hotel book --tier standard --check-in 2026-12-01 --check-out 2026-12-03 --guest 'Ada Lovelace'",
    "hotel book --tier deluxe --check-in 2026-12-24 --nights 3 --guest 'Grace Hopper' --idempotency-key order-8812 --json",
  ],
  parse: (flags) => ({ ...flags }),
  run,
};

export function run(options: BookOptions, deps: Deps): Promise<number> {
  return reserve(options, deps, null);
}

/** book, or with a ttl in seconds hold: the same questions, the same answers but for the status. */
export async function reserve(options: BookOptions, deps: Deps, ttlSeconds: number | null): Promise<number> {
  const ask = requireValues(deps.prompter, {
    "--tier": options.tier,
    "--check-in": options.checkIn,
    "--check-out (or --nights)": options.checkOut ?? options.nights,
    "--guest": options.guest,
  });
  // Validate what was given before asking anything or connecting: bad input never opens the database.
  if (options.tier !== undefined) validate.tierName(options.tier);
  if (options.guest !== undefined) validate.guestName(options.guest);
  const stay = await stayOf(options, ask, deps);
  const lockTimeoutMs = deps.lockTimeoutMs();
  const db = await deps.database({ poolSize: 1 });
  const tier = await ask(options.tier, async (prompter) => prompter.select(`Tier (free suites ${stay.checkIn} to ${stay.checkOut})`, await tierChoices(deps.hotel(db), stay)));
  const guest = await ask(options.guest, (prompter) => askGuest(prompter));
  const request = { tier, guestName: guest, checkIn: stay.checkIn, checkOut: stay.checkOut, idempotencyKey: options.idempotencyKey };
  const operationOptions = { lockTimeoutMs, onRetry: retryLogger(deps.out) };
  const result =
    ttlSeconds === null
      ? await book(deps.hotel(db), request, operationOptions)
      : await hold(deps.hotel(db), { ...request, ttlSeconds }, operationOptions);
  debugTiming(deps.out, result);
  if (result.outcome !== "accepted") return reportUnsuccessful(deps.out, result, lockTimeoutMs);
  const { booking, replayed } = result;
  const held = ttlSeconds !== null;
  const verb = held ? (replayed ? "Already held" : `Held until ${booking.expiresAt ?? "?"}`) : replayed ? "Already booked" : "Booked";
  deps.out.essential({ outcome: held ? "held" : "accepted", status: 201, replayed, booking }, `${verb}: ${bookingLine(booking, deps.out.color)}`);
  return 0;
}

/** The stay from the flags, asking for the dates that are missing (check-in defaults to today). */
async function stayOf(options: BookOptions, ask: Ask, deps: Deps): Promise<Stay> {
  if (options.checkIn !== undefined) parseDate(options.checkIn, "check-in");
  const checkIn = await ask(options.checkIn, (prompter) => askDate(prompter, "Check-in", formatDate(deps.today())));
  if (options.nights !== undefined) return resolveStay({ checkIn, checkOut: options.checkOut, nights: options.nights });
  const nextDay = formatDate(addDays(parseDate(checkIn, "check-in"), 1));
  const checkOut = await ask(options.checkOut, (prompter) =>
    askDate(prompter, "Check-out", nextDay, (date) => resolveStay({ checkIn, checkOut: date })),
  );
  return resolveStay({ checkIn, checkOut });
}

const askGuest = (prompter: Prompter): Promise<string> =>
  prompter.text("Guest name", { validate: validWith(validate.guestName) }).then((name) => name.trim());
