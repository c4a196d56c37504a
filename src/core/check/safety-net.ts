import type { CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

const CONSTRAINTS = ["bookings_no_double_booking", "bookings_stay_check"] as const;

/**
 * Proves: the constraints that make the database itself refuse a double
 * booking or an empty stay still exist. Complexity: a catalog lookup, O(1).
 */
export async function missingSafetyNet(ctx: CheckContext): Promise<Problem[]> {
  const rows = await ctx.query<{ conname: string }>(
    `SELECT conname FROM pg_constraint WHERE $1::int IS NOT NULL AND conrelid = to_regclass($2) AND conname = ANY ($3::text[])`,
    ctx.t("bookings"),
    [...CONSTRAINTS],
  );
  return CONSTRAINTS.filter((name) => !rows.some((row) => row.conname === name)).map((constraint) => ({ kind: "missing-safety-net", constraint }));
}
