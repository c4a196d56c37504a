import { day } from "./context.js";
import { lockNights, type Repair, type RepairRun } from "./repair.js";

interface LapsedHold {
  id: number;
  tier_id: number;
  lock_key: number;
  check_in: Date;
  check_out: Date;
}

interface Expiring {
  id: number;
  tier: string;
  suite: string;
  check_in: Date;
  check_out: Date;
  expires_at: Date;
}

const DAY_MS = 86_400_000;

/** The nights of a stay, YYYY-MM-DD. */
const nightsOf = (checkIn: Date, checkOut: Date): string[] =>
  Array.from({ length: Math.round((checkOut.getTime() - checkIn.getTime()) / DAY_MS) }, (_, i) => day(new Date(checkIn.getTime() + i * DAY_MS)));

/**
 * Turns the holds whose expires_at has passed (by the database's clock) into
 * `expired`, as the booking operations do when they need the nights: under
 * the night locks of the hold and of every hold lapsing on those nights
 * (hotel_lapsing_holds), through hotel_expire_holds(), which writes each
 * hold's 'expire' event; the count triggers then free the nights.
 */
export async function expireLapsedHolds(run: RepairRun): Promise<Repair[]> {
  const { ctx } = run;
  const { t } = ctx;
  const lapsed = await ctx.query<LapsedHold>(`
    SELECT b.id, b.tier_id, tr.lock_key, b.check_in, b.check_out
    FROM ${t("bookings")} b JOIN ${t("tiers")} tr ON tr.property_id = b.property_id AND tr.id = b.tier_id
    WHERE b.property_id = $1 AND b.status = 'held' AND b.expires_at <= now()
    ORDER BY b.tier_id, b.check_in, b.id`);
  const repairs: Repair[] = [];
  const expired = new Set<number>();
  for (const hold of lapsed) {
    if (expired.has(hold.id)) continue;
    const rows = await run.transaction(`the nights of hold #${hold.id}`, async (tx) => {
      const args = [ctx.property, hold.tier_id, hold.check_in, hold.check_out] as const;
      const [span] = await tx.$queryRawUnsafe<{ check_ins: Date[]; check_outs: Date[] }[]>(
        `SELECT * FROM ${t("hotel_lapsing_holds")}($1::int, $2::int, $3::date, $4::date, clock_timestamp() + $5::int * interval '1 ms')`,
        ...args,
        run.lockTimeoutMs,
      );
      const stays = (span?.check_ins ?? []).map((checkIn, i) => nightsOf(checkIn, span?.check_outs[i] ?? checkIn));
      await lockNights(tx, run, hold.lock_key, [...nightsOf(hold.check_in, hold.check_out), ...stays.flat()]);
      const [clock] = await tx.$queryRawUnsafe<{ now: Date }[]>(`SELECT clock_timestamp() AS now`);
      const at = clock?.now ?? new Date();
      const expiring = await tx.$queryRawUnsafe<Expiring[]>(
        `SELECT b.id, tr.name AS tier, s.number AS suite, b.check_in, b.check_out, b.expires_at
         FROM ${t("bookings")} b
         JOIN ${t("suites")} s ON s.property_id = b.property_id AND s.id = b.suite_id
         JOIN ${t("tiers")} tr ON tr.property_id = b.property_id AND tr.id = b.tier_id
         WHERE b.property_id = $1 AND b.tier_id = $2 AND b.status = 'held' AND b.expires_at <= $5
           AND daterange(b.check_in, b.check_out, '[)') && daterange($3::date, $4::date, '[)')
         ORDER BY b.id`,
        ...args,
        at,
      );
      await tx.$queryRawUnsafe(`SELECT ${t("hotel_expire_holds")}($1::int, $2::int, $3::date, $4::date, $5::timestamptz) AS n`, ...args, at);
      return expiring;
    });
    for (const row of rows) {
      expired.add(row.id);
      repairs.push({
        kind: "expired-hold",
        booking: row.id,
        tier: row.tier,
        suite: row.suite,
        checkIn: day(row.check_in),
        checkOut: day(row.check_out),
        expiresAt: row.expires_at.toISOString(),
      });
    }
  }
  return repairs;
}
