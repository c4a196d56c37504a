import { formatDate, today } from "../dates.js";
import { sqlName, type Hotel } from "../hotel.js";
import { propertyId } from "../properties.js";

/**
 * What every check query works with: one property's tables, named through
 * sqlName() (no search_path), and `$1` bound to the property id.
 *
 * The checks are plain SQL that shares no code with the booking functions,
 * so a bug there cannot hide here. Each is one statement, so it sees one
 * consistent snapshot (the counts are kept in the transaction of the change
 * they count, so a snapshot never shows a count half-written).
 */
export interface CheckContext {
  readonly hotel: Hotel;
  readonly property: number;
  /** Today's date (the machine's), for checks about stays still to come. */
  readonly today: string;
  /** A table or function of this hotel's schema, for SQL text. */
  t(name: string): string;
  /** Runs `sql` with $1 = the property id and the rest of `params` as $2, $3, ... */
  query<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}

export async function checkContext(hotel: Hotel, now = new Date()): Promise<CheckContext> {
  const property = await propertyId(hotel);
  return {
    hotel,
    property,
    today: formatDate(today(now)),
    t: (name) => sqlName(hotel, name),
    query: (sql, ...params) => hotel.prisma.$queryRawUnsafe(sql, property, ...params),
  };
}

/** At most this many findings of one kind are listed. */
export const LIMIT = 1000;

/** The statuses that take a suite-night, a hold until it is marked expired (the exclusion constraint's predicate). */
export const TAKEN = `b.status IN ('held', 'confirmed', 'checked_in', 'checked_out')`;

/** Taken right now: a hold only until its expires_at, by the database's clock. */
export const LIVE = `(b.status IN ('confirmed', 'checked_in', 'checked_out') OR (b.status = 'held' AND b.expires_at > now()))`;

export const day = (date: Date): string => formatDate(date);
