import type { FlagSpec } from "./command.js";

/**
 * Flags that several commands declare alike, spelled once so that they stay
 * alike: the same name, the same conflicts and, where the meaning is the
 * same, the same words. A command's own wording is passed in.
 */

/** --tier as a filter (availability, bookings, suites list). */
export const TIER_FILTER: FlagSpec = { flags: "--tier <tier>", description: "only this tier" };

/** A stay's first night and its end, as a departure day or a number of nights, never both (book, hold, change). */
export function stayFlags(descriptions: { checkIn: string; checkOut: string; nights: string }): FlagSpec[] {
  return [
    { flags: "--check-in <date>", description: descriptions.checkIn },
    { flags: "--check-out <date>", description: descriptions.checkOut, conflicts: "nights" },
    { flags: "--nights <n>", description: descriptions.nights },
  ];
}

/**
 * The nights [--from, --to) a listing covers (availability, bookings).
 * `fromDefault`: what --from is when not given; `nights`: also offer --nights
 * instead of --to, described so.
 */
export function rangeFlags(options: { fromDefault?: string; nights?: string } = {}): FlagSpec[] {
  const from = { flags: "--from <date>", description: `first night, YYYY-MM-DD${options.fromDefault === undefined ? "" : ` (default ${options.fromDefault})`}` };
  const to = { flags: "--to <date>", description: "end, exclusive, YYYY-MM-DD" };
  if (options.nights === undefined) return [from, to];
  return [from, { ...to, conflicts: "nights" }, { flags: "--nights <n>", description: options.nights }];
}

/** --idempotency-key; `answer`: what a retry with the same key gets (book, hold, change, move). */
export function idempotencyKeyFlag(answer: string): FlagSpec {
  return { flags: "--idempotency-key <key>", description: `repeat-safe key: a retry with the same key ${answer}` };
}
