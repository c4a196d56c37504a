import { listBookings, STATUS_FILTERS, type ListFilter } from "../../core/bookings.js";
import { resolveRange } from "../../core/dates.js";
import type { CommandDefinition, Deps } from "../command.js";
import { rangeFlags, TIER_FILTER } from "../flags.js";
import { bookingsTable } from "../render.js";

export type BookingsOptions = ListFilter;

export const bookingsCommand: CommandDefinition<BookingsOptions, BookingsOptions> = {
  name: "bookings",
  summary: "list bookings whose stay overlaps [--from, --to)",
  flags: [
    ...rangeFlags(),
    TIER_FILTER,
    { flags: "--status <status>", description: "only bookings in this state (a hold past its expiry is expired)", choices: STATUS_FILTERS, default: "all" },
    { flags: "--guest <text>", description: "only guests whose name contains this (any case)" },
    { flags: "--limit <n>", description: "at most this many rows", default: "1000" },
  ],
  examples: ["hotel bookings --from 2026-12-01 --to 2026-12-08", "hotel bookings --tier deluxe --status confirmed --json", "hotel bookings --guest lovelace", "hotel bookings --status expired"],
  parse: (flags) => ({ ...flags }),
  run,
};

export async function run(options: BookingsOptions, deps: Deps): Promise<number> {
  if (options.from !== undefined || options.to !== undefined || options.nights !== undefined) resolveRange(options);
  const db = await deps.database({ poolSize: 2 });
  const bookings = await listBookings(deps.hotel(db), options);
  deps.out.result({ bookings }, () => bookingsTable(bookings));
  return 0;
}
