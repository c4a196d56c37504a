import { recordRepairs, type Repair, type RepairRun, type SuiteState } from "./repair.js";
import { suiteCountDrift } from "./suite-counts.js";

/**
 * Rebuilds the suite counts of each tier found drifting: under the tier's
 * count row, locked FOR UPDATE as the suite triggers update it (a suite
 * added, disabled or enabled meanwhile waits, then adds its change to the
 * rebuilt count), the suites are counted again and the row is set, moving
 * the generation on so that every mark of the tier stops counting.
 */
export async function repairSuiteCounts(run: RepairRun): Promise<Repair[]> {
  const { ctx } = run;
  const { t } = ctx;
  const repairs: Repair[] = [];
  for (const drift of await suiteCountDrift(ctx)) {
    const repair = await run.transaction(`the suite counts of ${drift.tier}`, async (tx) => {
      const locked = (): Promise<(SuiteState & { generation: bigint })[]> =>
        tx.$queryRawUnsafe(
          `SELECT active, inactive, generation FROM ${t("tier_suite_counts")} WHERE property_id = $1 AND tier_id = $2 FOR UPDATE`,
          ctx.property,
          drift.tierId,
        );
      let [row] = await locked();
      const before: SuiteState | null = row ? { active: row.active, inactive: row.inactive } : null;
      if (!row) {
        await tx.$executeRawUnsafe(
          `INSERT INTO ${t("tier_suite_counts")} (property_id, tier_id, active, inactive) VALUES ($1, $2, 0, 0) ON CONFLICT DO NOTHING`,
          ctx.property,
          drift.tierId,
        );
        [row] = await locked();
      }
      const [actual] = await tx.$queryRawUnsafe<SuiteState[]>(
        `SELECT count(*) FILTER (WHERE active)::int AS active, count(*) FILTER (WHERE NOT active)::int AS inactive
         FROM ${t("suites")} WHERE property_id = $1 AND tier_id = $2`,
        ctx.property,
        drift.tierId,
      );
      const after: SuiteState = actual ?? { active: 0, inactive: 0 };
      if (row && row.active === after.active && row.inactive === after.inactive) return null;
      await tx.$executeRawUnsafe(
        `UPDATE ${t("tier_suite_counts")} SET active = $3, inactive = $4, generation = generation + 1 WHERE property_id = $1 AND tier_id = $2`,
        ctx.property,
        drift.tierId,
        after.active,
        after.inactive,
      );
      await recordRepairs(tx, run, [{ before: before && { tier: drift.tier, ...before }, after: { tier: drift.tier, ...after } }]);
      return { kind: "suite-counts", tier: drift.tier, before, after } satisfies Repair;
    });
    if (repair) repairs.push(repair);
  }
  return repairs;
}
