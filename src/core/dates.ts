import { invalidInput } from "./errors.js";

/**
 * Dates are calendar days, `YYYY-MM-DD`, handled as UTC midnight so that no
 * local time zone can shift a stay by a day. Stays are half-open
 * `[checkIn, checkOut)`: the check-out day is not a night of the stay.
 */

const DAY_MS = 86_400_000;
export const MAX_NIGHTS = 365;
const MIN_YEAR = 1900;
const MAX_YEAR = 9999;

export function parseDate(value: string, label: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) throw invalidInput(`${label} "${printable(value)}" is not a date: use YYYY-MM-DD`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw invalidInput(`${label} ${value} does not exist in the calendar`);
  }
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw invalidInput(`${label} ${value} is out of range (${MIN_YEAR}-${MAX_YEAR})`);
  }
  return date;
}

export const formatDate = (date: Date): string => date.toISOString().slice(0, 10);
export const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY_MS);
export const daysBetween = (from: Date, to: Date): number => Math.round((to.getTime() - from.getTime()) / DAY_MS);

/** Today in the machine's time zone, as a calendar day. */
export function today(now = new Date()): Date {
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
}

export function parseCount(value: string | number, label: string, min: number, max: number): number {
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text)) throw invalidInput(`${label} must be a whole number, got "${printable(text)}"`);
  const count = Number(text);
  if (count < min || count > max) throw invalidInput(`${label} must be between ${min} and ${max}, got ${text}`);
  return count;
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
    checkOut = addDays(checkIn, parseCount(input.nights, "nights", 1, MAX_NIGHTS));
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
  if (checkOut.getUTCFullYear() > MAX_YEAR) throw invalidInput(`check-out is after the year ${MAX_YEAR}`);
  return { checkIn: formatDate(checkIn), checkOut: formatDate(checkOut), nights };
}

/** A value quoted in an error message: control characters shown escaped, length capped. */
export function printable(value: string, max = 60): string {
  // eslint-disable-next-line no-control-regex
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}
