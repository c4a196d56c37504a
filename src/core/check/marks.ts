import { day, LIMIT, TAKEN, type CheckContext } from "./context.js";
import type { Problem } from "./problems.js";

export interface StaleMark {
  tierId: number;
  tier: string;
  night: string;
  mark: string;
  /** The active suites up to the mark that are free that night (the first LIMIT overall). */
  freeSuites: string[];
}

/** The marked nights (of the tier's generation) with fewer taken suites below the mark than active ones. */
const staleNights = (t: CheckContext["t"]): string => `
    WITH marks AS (
      SELECT n.tier_id, n.night, n.low_water AS mark
      FROM ${t("tier_night_counts")} n
      JOIN ${t("tier_suite_counts")} c ON c.property_id = n.property_id AND c.tier_id = n.tier_id AND c.generation = n.generation
      WHERE n.property_id = $1 AND n.low_water IS NOT NULL
    ), below AS (
      SELECT m.tier_id, m.mark, count(*) AS suites
      FROM (SELECT DISTINCT tier_id, mark FROM marks) m
      JOIN ${t("suites")} s ON s.property_id = $1 AND s.tier_id = m.tier_id AND s.active AND s.number <= m.mark
      GROUP BY 1, 2
    ), stale AS (
      SELECT m.tier_id, m.night, m.mark
      FROM marks m JOIN below bl ON bl.tier_id = m.tier_id AND bl.mark = m.mark
      -- The suites' side of the join names nothing of the night, so its hash
      -- table is built once, not once a night (the FILTER keeps it so).
      WHERE bl.suites > (
        SELECT count(DISTINCT b.suite_id) FILTER (WHERE s.tier_id = m.tier_id AND s.number <= m.mark)
        FROM ${t("bookings")} b JOIN ${t("suites")} s ON s.property_id = $1 AND s.id = b.suite_id AND s.active
        WHERE b.tier_id = m.tier_id AND ${TAKEN}
          AND daterange(b.check_in, b.check_out, '[)') && daterange(m.night, m.night + 1, '[)')
          AND b.property_id = $1)
    )`;

/**
 * The marks that hide a free suite. A night's low-water mark claims that
 * every active suite of the tier numbered up to it is taken that night (for
 * marks whose generation is the tier's); the booking function then skips
 * those suites, so a wrong mark refuses stays that fit.
 *
 * Verified per marked night: the suites below the mark that are taken that
 * night are counted from the tier's bookings of that night, found through
 * the (tier, stay) gist index, and compared with the active suites below the
 * mark; only a night that comes up short is searched for its free suites.
 * Complexity: O(M x (log B + T)) for M marked nights with T taken suites a
 * night, i.e. linear in the taken suite-nights, never nights x suites x
 * bookings; the listing is O(stale nights x suites).
 */
export async function staleMarks(ctx: CheckContext, limit: number = LIMIT): Promise<StaleMark[]> {
  const { t } = ctx;
  const rows = await ctx.query<{ tier_id: number; tier: string; night: Date; mark: string; suite: string }>(`
    ${staleNights(t)}
    SELECT st.tier_id, tr.name AS tier, st.night, st.mark, s.number AS suite
    FROM stale st
    JOIN ${t("tiers")} tr ON tr.property_id = $1 AND tr.id = st.tier_id
    JOIN ${t("suites")} s ON s.property_id = $1 AND s.tier_id = st.tier_id AND s.active AND s.number <= st.mark
    WHERE NOT EXISTS (
      SELECT 1 FROM ${t("bookings")} b
      WHERE b.property_id = $1 AND b.suite_id = s.id AND ${TAKEN}
        AND daterange(b.check_in, b.check_out, '[)') && daterange(st.night, st.night + 1, '[)'))
    ORDER BY 2, 3, 5 LIMIT ${limit}`);
  const marks = new Map<string, StaleMark>();
  for (const row of rows) {
    const night = day(row.night);
    const key = `${row.tier_id}/${night}`;
    const mark = marks.get(key) ?? { tierId: row.tier_id, tier: row.tier, night, mark: row.mark, freeSuites: [] };
    mark.freeSuites.push(row.suite);
    marks.set(key, mark);
  }
  return [...marks.values()];
}

/** One problem per (stale mark, free suite below it). */
export async function staleMarkProblems(ctx: CheckContext): Promise<Problem[]> {
  return (await staleMarks(ctx)).flatMap((mark) =>
    mark.freeSuites.map((freeSuite): Problem => ({ kind: "stale-mark", tier: mark.tier, night: mark.night, mark: mark.mark, freeSuite })),
  );
}

/** Every stale-looking marked night (tier id and night), for `check --repair` to verify under the night locks. */
export async function staleMarkNights(ctx: CheckContext): Promise<{ tierId: number; night: string }[]> {
  const rows = await ctx.query<{ tier_id: number; night: Date }>(`${staleNights(ctx.t)} SELECT tier_id, night FROM stale`);
  return rows.map((row) => ({ tierId: row.tier_id, night: day(row.night) }));
}
