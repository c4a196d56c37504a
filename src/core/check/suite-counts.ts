import { LIMIT, type CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

export interface SuiteDrift {
  tierId: number;
  tier: string;
  counted: { active: number; inactive: number } | null;
  actual: { active: number; inactive: number };
}

/**
 * The tiers whose kept suite counts (tier_suite_counts.active and .inactive,
 * the capacity the booking function's fast refusal compares with) differ
 * from their suites, or that have no count row while they have suites.
 * Complexity: one scan of the suites (O(S)).
 */
export async function suiteCountDrift(ctx: CheckContext): Promise<SuiteDrift[]> {
  const { t } = ctx;
  const rows = await ctx.query<{ tier_id: number; tier: string; has_row: boolean; c_active: number; c_inactive: number; active: number; inactive: number }>(`
    WITH actual AS (
      SELECT tier_id, count(*) FILTER (WHERE active)::int AS active, count(*) FILTER (WHERE NOT active)::int AS inactive
      FROM ${t("suites")} WHERE property_id = $1 GROUP BY 1
    )
    SELECT tr.id AS tier_id, tr.name AS tier, c.tier_id IS NOT NULL AS has_row,
           coalesce(c.active, 0) AS c_active, coalesce(c.inactive, 0) AS c_inactive,
           coalesce(a.active, 0) AS active, coalesce(a.inactive, 0) AS inactive
    FROM ${t("tiers")} tr
    LEFT JOIN actual a ON a.tier_id = tr.id
    LEFT JOIN ${t("tier_suite_counts")} c ON c.property_id = tr.property_id AND c.tier_id = tr.id
    WHERE tr.property_id = $1
      AND (coalesce(c.active, 0) <> coalesce(a.active, 0) OR coalesce(c.inactive, 0) <> coalesce(a.inactive, 0))
    ORDER BY 2`);
  return rows.map((row) => ({
    tierId: row.tier_id,
    tier: row.tier,
    counted: row.has_row ? { active: row.c_active, inactive: row.c_inactive } : null,
    actual: { active: row.active, inactive: row.inactive },
  }));
}

/** The drift as problems, one per count that differs (active, inactive suites). */
export async function suiteCountProblems(ctx: CheckContext): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const drift of await suiteCountDrift(ctx)) {
    const counted = drift.counted ?? { active: 0, inactive: 0 };
    if (counted.active !== drift.actual.active) problems.push({ kind: "count-drift", tier: drift.tier, what: "active suites", counted: counted.active, actual: drift.actual.active });
    if (counted.inactive !== drift.actual.inactive) {
      problems.push({ kind: "count-drift", tier: drift.tier, what: "inactive suites", counted: counted.inactive, actual: drift.actual.inactive });
    }
  }
  return problems.slice(0, LIMIT);
}
