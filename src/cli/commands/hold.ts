import { HOLD_TTL_SECONDS } from "../../core/book.js";
import { invalidInput } from "../../core/errors.js";
import { printable } from "../../core/text.js";
import type { CommandDefinition } from "../command.js";
import { bookCommand, reserve, type BookOptions } from "./book.js";

export interface HoldOptions extends BookOptions {
  ttlSeconds: number;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** `--ttl 15m`: a number with s, m or h (bare: seconds), from 1 s to 24 h. */
export function parseTtl(text: string): number {
  const match = /^(\d{1,6})\s*([smh]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[(match[2] || "s") as keyof typeof UNIT_SECONDS] : Number.NaN;
  if (!(seconds >= HOLD_TTL_SECONDS.min && seconds <= HOLD_TTL_SECONDS.max)) {
    throw invalidInput(`--ttl "${printable(text)}" is not a hold time from 1s to 24h: use e.g. 90s, 15m or 2h`);
  }
  return seconds;
}

export const holdCommand: CommandDefinition<HoldOptions, BookOptions & { ttl: string }> = {
  name: "hold",
  summary: "hold the lowest free suite of a tier for a few minutes; `hotel confirm` makes it a booking",
  flags: [...(bookCommand.flags ?? []), { flags: "--ttl <time>", description: "how long the hold keeps the suite: 1s to 24h, e.g. 90s, 15m, 2h", default: "15m" }],
  help:
    "A hold takes its suite until its expiresAt, by the database's clock, and not a moment longer: from then on\n" +
    "the suite is free for everyone, with nothing to run. Prompts as `hotel book` does.",
  examples: [
    "hotel hold --tier deluxe --check-in 2026-12-24 --nights 2 --guest 'Grace Hopper' --ttl 10m",
    "hotel hold --tier standard --check-in 2026-12-01 --nights 1 --guest Ada --idempotency-key cart-77 --json",
  ],
  parse: ({ ttl, ...flags }) => ({ ...flags, ttlSeconds: parseTtl(ttl) }),
  run: ({ ttlSeconds, ...options }, deps) => reserve(options, deps, ttlSeconds),
};
