import { LIMIT, type CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

/**
 * Proves: every booking's suite and tier exist and agree (what the foreign
 * keys guarantee while they are enforced: a replica-mode load skips them).
 *
 * Complexity: one scan of the bookings, hash-joined to the suites and tiers
 * (O(B + S)).
 */
export async function orphanBookings(ctx: CheckContext): Promise<Problem[]> {
  const { t } = ctx;
  const rows = await ctx.query<{ id: number; reason: string }>(`
    SELECT b.id, CASE WHEN s.id IS NULL THEN 'its suite does not exist'
                      WHEN tr.id IS NULL THEN 'its tier does not exist'
                      ELSE 'its tier differs from its suite''s tier' END AS reason
    FROM ${t("bookings")} b
    LEFT JOIN ${t("suites")} s ON s.property_id = b.property_id AND s.id = b.suite_id
    LEFT JOIN ${t("tiers")} tr ON tr.property_id = b.property_id AND tr.id = b.tier_id
    WHERE b.property_id = $1 AND (s.id IS NULL OR tr.id IS NULL OR s.tier_id <> b.tier_id)
    ORDER BY b.id LIMIT ${LIMIT}`);
  return rows.map((row) => ({ kind: "orphan-booking", booking: row.id, reason: row.reason }));
}
