import type { Command } from "commander";
import { cancel, parseBookingId } from "../../core/front-desk.js";
import { HotelError } from "../../core/errors.js";
import { createContext } from "../context.js";
import { bookingLine } from "../render.js";

export async function run(id: string, _flags: unknown, command: Command): Promise<number> {
  const ctx = createContext(command);
  parseBookingId(id);
  const db = await ctx.database({ poolSize: 1 });
  const result = await cancel(ctx.hotel(db), id, { lockTimeoutMs: ctx.lockTimeoutMs() });
  if (result.outcome === "refused") return ctx.out.failure(new HotelError(result.code, result.message), { outcome: "refused", status: 409 });
  if (result.outcome === "busy") {
    return ctx.out.failure(new HotelError("BUSY", result.message, { retryAfter: result.retryAfter }), { outcome: "busy", status: 503, retryAfter: result.retryAfter });
  }
  ctx.out.essential(
    { outcome: "cancelled", changed: result.changed, booking: result.booking },
    `${result.changed ? "Cancelled" : `Already ${result.booking.status}`}: ${bookingLine(result.booking, ctx.out.color)}`,
  );
  return 0;
}
