import type { BookingView } from "./booking.js";
import { parseDate } from "./dates.js";
import { notFound } from "./errors.js";
import { parseBookingId } from "./front-desk.js";
import { sqlName, type Hotel } from "./hotel.js";
import { propertyId } from "./properties.js";
import { rawQuery } from "./raw.js";
import * as validate from "./validate.js";
import { parseCount } from "./validate.js";

/**
 * Who did what: the events every write appends in its own transaction.
 * `before`/`after` are the booking as it was and as the write left it
 * (null before a booking existed); suite events carry the suite instead.
 */

export interface EventView {
  id: number;
  /** The database's clock at the write (ISO 8601, UTC). */
  at: string;
  actor: string;
  operation: string;
  bookingId: number | null;
  suite?: string;
  before: EventDocument | null;
  after: EventDocument | null;
}

/** A booking as BookingView, for suite events `{suite, tier, active}`, for API token events `{token, role}` (never the secret). */
export type EventDocument = BookingView | { suite: string; tier: string; active: boolean } | { token: string; role: string };

interface EventRow {
  id: bigint | number;
  at: Date;
  actor: string;
  operation: string;
  booking_id: number | null;
  suite: string | null;
  before: EventDocument | null;
  after: EventDocument | null;
}

function eventView(row: EventRow): EventView {
  return {
    id: Number(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    operation: row.operation,
    bookingId: row.booking_id,
    ...(row.suite === null ? {} : { suite: row.suite }),
    before: row.before,
    after: row.after,
  };
}

const SELECT = (hotel: Hotel): string =>
  `SELECT e.id, e.at, e.actor, e.operation, e.booking_id, s.number AS suite, e.before, e.after
     FROM ${sqlName(hotel, "events")} e
     LEFT JOIN ${sqlName(hotel, "suites")} s ON s.property_id = e.property_id AND s.id = e.suite_id
    WHERE e.property_id = $1`;

/** A booking's story, oldest first; an id with no events is NOT_FOUND. */
export async function history(hotel: Hotel, rawId: string | number): Promise<EventView[]> {
  const id = parseBookingId(rawId);
  const property = await propertyId(hotel);
  const rows = await rawQuery<EventRow>(hotel, `${SELECT(hotel)} AND e.booking_id = $2 ORDER BY e.id`, property, id);
  if (rows.length === 0) {
    throw notFound(`No booking with id ${id}`);
  }
  return rows.map(eventView);
}

export interface LogFilter {
  /** From this day on (local midnight of this machine, as "today" is everywhere). */
  since?: string;
  actor?: string;
  limit?: string | number;
}

/** The most recent events (newest last), optionally since a day or by one actor. */
export async function log(hotel: Hotel, filter: LogFilter = {}): Promise<EventView[]> {
  const since = filter.since === undefined ? null : localMidnight(parseDate(filter.since, "since")).toISOString();
  const actor = filter.actor === undefined ? null : validate.actorName(filter.actor);
  const limit = parseCount(filter.limit ?? 100, "limit", 1, 100_000);
  const property = await propertyId(hotel);
  const rows = await rawQuery<EventRow>(
    hotel,
    `SELECT * FROM (${SELECT(hotel)}
         AND ($2::timestamptz IS NULL OR e.at >= $2::timestamptz)
         AND ($3::text IS NULL OR e.actor = $3)
       ORDER BY e.id DESC LIMIT $4) recent
     ORDER BY id`,
    property,
    since,
    actor,
    limit,
  );
  return rows.map(eventView);
}

const localMidnight = (day: Date): Date => new Date(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
