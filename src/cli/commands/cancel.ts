import { cancel, parseBookingId } from "../../core/bookings.js";
import type { CommandDefinition, Deps } from "../command.js";
import { bookingLine } from "../render.js";

export interface CancelOptions {
  id: string;
}

export const cancelCommand: CommandDefinition<CancelOptions> = {
  name: "cancel",
  summary: "cancel a booking; its suite is free again at once",
  arguments: [["<booking-id>", "id printed by `hotel book`"]],
  examples: ["hotel cancel 42", "hotel cancel 42 --json"],
  parse: (_flags, [id]) => ({ id: String(id) }),
  run,
};

export async function run(options: CancelOptions, deps: Deps): Promise<number> {
  parseBookingId(options.id);
  const db = await deps.database({ poolSize: 1 });
  const result = await cancel(db.prisma, options.id);
  deps.out.essential(
    { outcome: "cancelled", changed: result.changed, booking: result.booking },
    `${result.changed ? "Cancelled" : "Already cancelled"}: ${bookingLine(result.booking, deps.out.color)}`,
  );
  return 0;
}
