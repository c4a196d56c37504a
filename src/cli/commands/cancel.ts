import type { Command } from "commander";
import { cancel, parseBookingId } from "../../core/bookings.js";
import { createContext } from "../context.js";
import { bookingLine } from "../render.js";

export async function run(id: string, _flags: unknown, command: Command): Promise<number> {
  const ctx = createContext(command);
  parseBookingId(id);
  const db = await ctx.database({ poolSize: 1 });
  const result = await cancel(db.prisma, id);
  ctx.out.essential(
    { outcome: "cancelled", changed: result.changed, booking: result.booking },
    `${result.changed ? "Cancelled" : "Already cancelled"}: ${bookingLine(result.booking, ctx.out.color)}`,
  );
  return 0;
}
