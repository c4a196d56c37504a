import { invalidInput } from "./errors.js";
import { printable } from "./text.js";
import { parseCount } from "./validate.js";

/**
 * Dates are calendar days, `YYYY-MM-DD`, handled as UTC midnight so that no
 * local time zone can shift a stay by a day. Stays and ranges are half-open
 * `[first, end)`: the check-out day is not a night of the stay.
 *
 * Every day handled lies in 1900-01-01..9999-12-31, ends of ranges included:
 * a five-digit year never reaches PostgreSQL, and JavaScript's Date.UTC
 * (which maps years 0-99 to 1900-1999) is never asked about years before 1900.
 */

const DAY_MS = 86_400_000;
export const MAX_NIGHTS = 365;
export const MAX_RANGE_NIGHTS = 366;
export const DEFAULT_RANGE_NIGHTS = 7;
export const FIRST_DAY = "1900-01-01";
export const LAST_DAY = "9999-12-31";
const MIN_YEAR = 1900;
const MAX_YEAR = 9999;

export function parseDate(value: string, label: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) throw invalidInput(`${label} "${printable(value)}" is not a date: use YYYY-MM-DD`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < MIN_YEAR || year > MAX_YEAR) throw invalidInput(`${label} ${value}: the year is out of range (${MIN_YEAR}-${MAX_YEAR})`);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw invalidInput(`${label} ${value} does not exist in the calendar`);
  }
  return date;
}

export const formatDate = (date: Date): string => date.toISOString().slice(0, 10);
export const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY_MS);
export const daysBetween = (from: Date, to: Date): number => Math.round((to.getTime() - from.getTime()) / DAY_MS);

const LAST = Date.UTC(MAX_YEAR, 11, 31);

/** The end of a stay or range, refused (naming it) when it falls after 9999-12-31. */
function endWithinCalendar(end: Date, what: string): Date {
  if (end.getTime() > LAST) throw invalidInput(`${what} ends after ${LAST_DAY}, the last day hotel handles`);
  return end;
}

/** Today in the machine's time zone, as a calendar day. */
export function today(now = new Date()): Date {
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
}

export interface Stay {
  checkIn: string;
  checkOut: string;
  nights: number;
}

/** Resolves `--check-in` with either `--check-out` or `--nights` into a valid stay. */
export function resolveStay(input: { checkIn: string; checkOut?: string; nights?: string | number }): Stay {
  const checkIn = parseDate(input.checkIn, "check-in");
  if (input.checkOut !== undefined && input.nights !== undefined) {
    throw invalidInput("give either a check-out date or a number of nights, not both");
  }
  let checkOut: Date;
  if (input.nights !== undefined) {
    const nights = parseCount(input.nights, "nights", 1, MAX_NIGHTS);
    checkOut = endWithinCalendar(addDays(checkIn, nights), `a stay of ${nights} night${nights === 1 ? "" : "s"} from ${formatDate(checkIn)}`);
  } else if (input.checkOut !== undefined) {
    checkOut = parseDate(input.checkOut, "check-out");
  } else {
    throw invalidInput("give a check-out date or a number of nights");
  }
  const nights = daysBetween(checkIn, checkOut);
  if (nights < 1) {
    throw invalidInput(`check-out ${formatDate(checkOut)} must be after check-in ${formatDate(checkIn)}`);
  }
  if (nights > MAX_NIGHTS) throw invalidInput(`a stay is at most ${MAX_NIGHTS} nights, this one is ${nights}`);
  return { checkIn: formatDate(checkIn), checkOut: formatDate(checkOut), nights };
}

export interface Range {
  from: string;
  /** Exclusive. */
  to: string;
}

/** `--from` (default today) with `--to` (exclusive) or `--nights` (default 7). */
export function resolveRange(input: { from?: string; to?: string; nights?: string | number }, now = new Date()): Range {
  const from = input.from === undefined ? today(now) : parseDate(input.from, "from");
  if (input.to !== undefined && input.nights !== undefined) throw invalidInput("give either --to or --nights, not both");
  let to: Date;
  if (input.to !== undefined) {
    to = parseDate(input.to, "to");
  } else {
    const nights = parseCount(input.nights ?? DEFAULT_RANGE_NIGHTS, "nights", 1, MAX_RANGE_NIGHTS);
    to = endWithinCalendar(addDays(from, nights), `the range of ${nights} night${nights === 1 ? "" : "s"} from ${formatDate(from)}`);
  }
  const nights = daysBetween(from, to);
  if (nights < 1) throw invalidInput(`--to ${formatDate(to)} must be after --from ${formatDate(from)} (--to is exclusive)`);
  if (nights > MAX_RANGE_NIGHTS) throw invalidInput(`a range is at most ${MAX_RANGE_NIGHTS} nights, this one is ${nights}`);
  return { from: formatDate(from), to: formatDate(to) };
}
