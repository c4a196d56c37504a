import type { Command } from "commander";
import { book } from "../../core/book.js";
import { HotelError } from "../../core/errors.js";
import { resolveStay } from "../../core/dates.js";
import { createContext } from "../context.js";
import { bookingLine } from "../render.js";

interface BookFlags {
  tier?: string;
  checkIn?: string;
  checkOut?: string;
  nights?: string;
  guest?: string;
  idempotencyKey?: string;
}

export async function run(flags: BookFlags, command: Command): Promise<number> {
  const ctx = createContext(command);
  if (flags.checkIn === undefined) throw new HotelError("USAGE", "missing --check-in YYYY-MM-DD");
  if (flags.checkOut === undefined && flags.nights === undefined) throw new HotelError("USAGE", "give --check-out YYYY-MM-DD or --nights N");
  if (flags.tier === undefined || flags.guest === undefined) throw new HotelError("USAGE", "--tier and --guest are required");
  // Validate before connecting: bad input never opens the database.
  const stay = resolveStay({ checkIn: flags.checkIn, checkOut: flags.checkOut, nights: flags.nights });
  const lockTimeoutMs = ctx.lockTimeoutMs();
  const db = await ctx.database({ poolSize: 1 });
  const result = await book(
    ctx.hotel(db),
    { tier: flags.tier, guestName: flags.guest, checkIn: stay.checkIn, checkOut: stay.checkOut, idempotencyKey: flags.idempotencyKey },
    {
      lockTimeoutMs,
      onRetry: (attempt, state, delayMs) => ctx.out.debug(`attempt ${attempt} failed with SQLSTATE ${state}; retrying in ${delayMs} ms`),
    },
  );
  ctx.out.debug(`lock wait ${result.lockWaitMs.toFixed(2)} ms over ${result.attempts} attempt(s)`);
  switch (result.outcome) {
    case "accepted":
      ctx.out.essential(
        { outcome: "accepted", status: 201, replayed: result.replayed, booking: result.booking },
        `${result.replayed ? "Already booked" : "Booked"}: ${bookingLine(result.booking, ctx.out.color)}`,
      );
      return 0;
    case "refused":
      return ctx.out.failure(new HotelError(result.code, result.message), { outcome: "refused", status: 409 });
    case "busy":
      return ctx.out.failure(new HotelError("BUSY", `${result.message} (lock wait exceeded ${lockTimeoutMs} ms; retry after ${result.retryAfter} s)`, { retryAfter: result.retryAfter }), {
        outcome: "busy",
        status: 503,
        retryAfter: result.retryAfter,
      });
  }
}
