import type { BookingView } from "../../core/booking.js";
import { parseBookingId } from "../../core/front-desk.js";
import { history, log, type EventDocument, type EventView, type LogFilter } from "../../core/history.js";
import type { CommandDefinition, Deps } from "../command.js";
import { table } from "../table.js";

/** Who did what: a booking's story (`history`) and the recent events (`log`). */

export const historyCommand: CommandDefinition<{ id: string }> = {
  name: "history",
  summary: "a booking's story, oldest first: every write, who made it and when",
  arguments: [["<booking-id>", "id printed by `hotel book`"]],
  examples: ["hotel history 42", "hotel history 42 --json"],
  parse: (_flags, [id]) => {
    parseBookingId(String(id));
    return { id: String(id) };
  },
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const events = await history(deps.hotel(db), options.id);
    render(deps, events);
    return 0;
  },
};

export const logCommand: CommandDefinition<LogFilter, LogFilter> = {
  name: "log",
  summary: "the most recent writes, oldest first (--since a day, --actor, --limit)",
  flags: [
    { flags: "--since <date>", description: "from this day on, YYYY-MM-DD (local midnight)" },
    { flags: "--actor <name>", description: "only what this actor did" },
    { flags: "--limit <n>", description: "at most this many events", default: "100" },
  ],
  examples: ["hotel log", "hotel log --since 2026-12-01 --actor ada --json"],
  parse: (flags) => ({ ...flags }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    render(deps, await log(deps.hotel(db), options));
    return 0;
  },
};

function render(deps: Deps, events: EventView[]): void {
  deps.out.result({ events }, () =>
    events.length === 0
      ? "No events match."
      : table(
          ["AT", "ACTOR", "OPERATION", "BOOKING", "WHAT"],
          events.map((event) => [event.at.replace("T", " ").slice(0, 19), event.actor, event.operation, event.bookingId === null ? "-" : `#${event.bookingId}`, describe(event)]),
          { maxCell: 120 },
        ),
  );
}

/** One line: the booking (or suite) after the write, and what the write changed. */
function describe(event: EventView): string {
  const after = event.after;
  const token = after ?? event.before;
  if (token !== null && "token" in token) return `API token ${token.token} (${token.role}) ${after === null ? "revoked" : "added"}`;
  if (after === null || "token" in after) return "";
  if (!isBooking(after)) return `suite ${after.suite} (${after.tier}) ${after.active ? "in service" : "out of service"}`;
  const now = `${after.suite} ${after.checkIn}..${after.checkOut} ${after.status}`;
  const before = event.before !== null && isBooking(event.before) ? event.before : undefined;
  if (!before) return `${now}, ${after.guest}`;
  const was = [
    before.suite === after.suite ? "" : before.suite,
    before.checkIn === after.checkIn && before.checkOut === after.checkOut ? "" : `${before.checkIn}..${before.checkOut}`,
    before.status === after.status ? "" : before.status,
  ].filter((part) => part !== "");
  return was.length === 0 ? now : `${now} (was ${was.join(" ")})`;
}

const isBooking = (document: EventDocument): document is BookingView => "checkIn" in document;
