import type { Prisma } from "../../generated/prisma/client.js";
import { day, TAKEN } from "./context.js";
import { staleMarkNights } from "./marks.js";
import { nightCountDrift } from "./night-counts.js";
import { lockNights, recordRepairs, type NightState, type Repair, type RepairRun } from "./repair.js";

interface Tier {
  id: number;
  name: string;
  lock_key: number;
}

interface Recomputed {
  night: Date;
  booked: number;
  held: number;
  has_row: boolean;
  c_booked: number | null;
  c_held: number | null;
  low_water: string | null;
  stale: boolean;
}

/**
 * Rebuilds the night counts and marks of every night found drifting or
 * stale-marked, per tier in chunks of nights, each chunk one transaction
 * under its night locks: `booked` and `held` are counted again from the
 * bookings, and a mark of the tier's generation that hides a free suite is
 * cleared (clearing is always safe; a mark is never raised or set here).
 */
export async function repairNights(run: RepairRun): Promise<Repair[]> {
  const { ctx } = run;
  const nightsByTier = new Map<number, Set<string>>();
  const add = (tierId: number, night: string): void => {
    const nights = nightsByTier.get(tierId) ?? new Set<string>();
    nights.add(night);
    nightsByTier.set(tierId, nights);
  };
  for (const drift of await nightCountDrift(ctx, null)) add(drift.tierId, drift.night);
  for (const stale of await staleMarkNights(ctx)) add(stale.tierId, stale.night);
  if (nightsByTier.size === 0) return [];
  const tiers = await ctx.query<Tier>(`SELECT id, name, lock_key FROM ${ctx.t("tiers")} WHERE property_id = $1 ORDER BY id`);
  const repairs: Repair[] = [];
  for (const tier of tiers) {
    const nights = [...(nightsByTier.get(tier.id) ?? [])].sort();
    for (let start = 0; start < nights.length; start += run.chunkNights) {
      const chunk = nights.slice(start, start + run.chunkNights);
      const what = `${tier.name}'s nights ${chunk[0]} to ${chunk[chunk.length - 1]}`;
      repairs.push(...(await run.transaction(what, (tx) => repairChunk(tx, run, tier, chunk))));
    }
  }
  return repairs;
}

async function repairChunk(tx: Prisma.TransactionClient, run: RepairRun, tier: Tier, nights: string[]): Promise<Repair[]> {
  const { ctx } = run;
  const { t } = ctx;
  await lockNights(tx, run, tier.lock_key, nights);
  await tx.$queryRawUnsafe(
    `SELECT 1 FROM ${t("tier_night_counts")} WHERE property_id = $1 AND tier_id = $2 AND night = ANY ($3::date[]) ORDER BY night FOR UPDATE`,
    ctx.property,
    tier.id,
    nights,
  );
  const rows = await tx.$queryRawUnsafe<Recomputed[]>(
    `WITH nights AS (SELECT DISTINCT unnest($3::date[]) AS night),
     actual AS (
       SELECT n.night, count(b.id) FILTER (WHERE b.status <> 'held')::int AS booked, count(b.id) FILTER (WHERE b.status = 'held')::int AS held
       FROM nights n LEFT JOIN ${t("bookings")} b ON b.property_id = $1 AND b.tier_id = $2 AND ${TAKEN}
         AND daterange(b.check_in, b.check_out, '[)') && daterange(n.night, n.night + 1, '[)')
       GROUP BY n.night
     )
     SELECT a.night, a.booked, a.held, c.night IS NOT NULL AS has_row, c.booked AS c_booked, c.held AS c_held, c.low_water,
            coalesce(c.low_water IS NOT NULL
              AND c.generation = (SELECT g.generation FROM ${t("tier_suite_counts")} g WHERE g.property_id = $1 AND g.tier_id = $2)
              AND EXISTS (
                SELECT 1 FROM ${t("suites")} s
                WHERE s.property_id = $1 AND s.tier_id = $2 AND s.active AND s.number <= c.low_water
                  AND NOT EXISTS (
                    SELECT 1 FROM ${t("bookings")} b
                    WHERE b.property_id = $1 AND b.suite_id = s.id AND ${TAKEN}
                      AND daterange(b.check_in, b.check_out, '[)') && daterange(a.night, a.night + 1, '[)'))), FALSE) AS stale
     FROM actual a LEFT JOIN ${t("tier_night_counts")} c ON c.property_id = $1 AND c.tier_id = $2 AND c.night = a.night
     ORDER BY a.night`,
    ctx.property,
    tier.id,
    nights,
  );
  const repairs: (Repair & { kind: "night-counts" })[] = [];
  for (const row of rows) {
    const before: NightState | null = row.has_row ? { booked: row.c_booked ?? 0, held: row.c_held ?? 0, lowWater: row.low_water } : null;
    const after: NightState = { booked: row.booked, held: row.held, lowWater: row.stale ? null : row.low_water };
    const same = before ? before.booked === after.booked && before.held === after.held && before.lowWater === after.lowWater : after.booked === 0 && after.held === 0;
    if (!same) repairs.push({ kind: "night-counts", tier: tier.name, night: day(row.night), before, after });
  }
  if (repairs.length === 0) return [];
  await tx.$executeRawUnsafe(
    `INSERT INTO ${t("tier_night_counts")} AS c (property_id, tier_id, night, booked, held, low_water)
     SELECT $1, $2, u.night, u.booked, u.held, u."lowWater" FROM jsonb_to_recordset($3::jsonb) AS u (night date, booked int, held int, "lowWater" text)
     ON CONFLICT (property_id, tier_id, night) DO UPDATE SET booked = EXCLUDED.booked, held = EXCLUDED.held, low_water = EXCLUDED.low_water`,
    ctx.property,
    tier.id,
    JSON.stringify(repairs.map((repair) => ({ night: repair.night, ...repair.after }))),
  );
  const state = (repair: (typeof repairs)[number], value: NightState | null) => value && { tier: repair.tier, night: repair.night, ...value };
  await recordRepairs(
    tx,
    run,
    repairs.map((repair) => ({ before: state(repair, repair.before), after: state(repair, repair.after) })),
  );
  return repairs;
}
