import type { Command } from "commander";
import { listBookings, type ListFilter } from "../../core/bookings.js";
import { resolveRange } from "../../core/dates.js";
import { createContext } from "../context.js";
import { bookingsTable } from "../render.js";

export async function run(flags: ListFilter, command: Command): Promise<number> {
  const ctx = createContext(command);
  if (flags.from !== undefined || flags.to !== undefined || flags.nights !== undefined) resolveRange(flags);
  const db = await ctx.database({ poolSize: 2 });
  const bookings = await listBookings(ctx.hotel(db), flags);
  ctx.out.result({ bookings }, () => bookingsTable(bookings));
  return 0;
}
