import { sqlName, type Hotel } from "../hotel.js";
import { propertyId } from "../properties.js";

/**
 * Years of bookings, made in SQL for the bench and the tests of `hotel
 * check` (issue "Years of data"): a tier of `suites` suites where every
 * suite has a stay of two nights every three days, the suites in three
 * phases (so every night two thirds of the suites are taken), plus one
 * cancelled booking per fifty rows (a copy of a stay), a few holds (live
 * and lapsed) among the future stays, and every night's low-water mark as
 * high as it is true. Statuses follow the database's date: checked_out
 * before today, checked_in across it, confirmed after it.
 *
 * Each call adds `bookings` rows before the stays already generated for the
 * tier, so calling it twice doubles the years of history. The counts and marks are
 * written in the same transaction from the rows made (the count trigger is
 * disabled meanwhile: one statement instead of one trigger per row; a DDL
 * lock, so generate into a database of your own), then the tables are
 * ANALYZEd.
 */

export interface GenerateOptions {
  /** Rows to add (stays plus cancelled copies). */
  bookings: number;
  tier?: string;
  /** Suites of the tier when it is created. */
  suites?: number;
  /** The day the newest stays end by (default a year after the database's today); each call adds older stays. */
  until?: string;
}

export interface GenerateResult {
  tier: string;
  added: number;
  /** Rows of the tier after the call. */
  total: number;
  firstNight: string;
  lastNight: string;
}

export async function generateYears(hotel: Hotel, options: GenerateOptions): Promise<GenerateResult> {
  const tier = options.tier ?? "years";
  const suites = options.suites ?? 200;
  const property = await propertyId(hotel);
  const t = (name: string): string => sqlName(hotel, name);
  const cancelled = Math.floor(options.bookings / 50);
  const stays = options.bookings - cancelled;
  await hotel.prisma.$transaction(
    async (tx) => {
      const run = (sql: string, ...params: unknown[]): Promise<number> => tx.$executeRawUnsafe(sql, property, ...params);
      await run(`INSERT INTO ${t("tiers")} (property_id, name, lock_key) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`, tier);
      await run(
        `INSERT INTO ${t("suites")} (property_id, number, tier_id)
         SELECT $1, upper(left($2, 1)) || lpad(g::text, 3, '0'), tr.id
           FROM ${t("tiers")} tr, generate_series(1, $3::int) g
          WHERE tr.property_id = $1 AND tr.name = $2
            AND NOT EXISTS (SELECT 1 FROM ${t("suites")} s WHERE s.property_id = $1 AND s.tier_id = tr.id)`,
        tier,
        suites,
      );
      await tx.$executeRawUnsafe(`ALTER TABLE ${t("bookings")} DISABLE TRIGGER bookings_count_nights`);
      // Stay k of the tier: suite k % n (in number order), its (k / n)-th
      // stay counting back from `until`, shifted by the suite's phase.
      await run(
        `WITH tier AS (SELECT id FROM ${t("tiers")} WHERE property_id = $1 AND name = $2),
         ranked AS (
           SELECT s.id, s.tier_id, (row_number() OVER (ORDER BY s.number) - 1)::int AS i, count(*) OVER ()::int AS n
             FROM ${t("suites")} s JOIN tier ON s.tier_id = tier.id WHERE s.property_id = $1
         ), existing AS (
           SELECT count(*)::int AS k0 FROM ${t("bookings")} b JOIN tier ON b.tier_id = tier.id
            WHERE b.property_id = $1 AND b.status <> 'cancelled' AND b.guest_name LIKE 'Guest %'
         ), stays AS (
           SELECT k, r.id AS suite_id, r.tier_id, coalesce($4::date, current_date + 365) - 3 * (k / r.n + 1) + (r.i * 3 / r.n) AS check_in
             FROM existing, generate_series(existing.k0, existing.k0 + $3::int - 1) k
             JOIN ranked r ON r.i = k % r.n
         )
         INSERT INTO ${t("bookings")} (property_id, suite_id, tier_id, guest_name, check_in, check_out, status, expires_at)
         SELECT $1, suite_id, tier_id, 'Guest ' || k, check_in, check_in + 2,
                CASE WHEN check_in > current_date AND k % 997 = 3 THEN 'held'
                     WHEN check_in + 2 <= current_date THEN 'checked_out'
                     WHEN check_in <= current_date THEN 'checked_in'
                     ELSE 'confirmed' END,
                CASE WHEN check_in > current_date AND k % 997 = 3
                     THEN now() + CASE WHEN k % 2 = 0 THEN interval '1 day' ELSE interval '-1 hour' END END
           FROM stays ORDER BY check_in, suite_id`,
        tier,
        stays,
        options.until ?? null,
      );
      await run(
        `WITH fresh AS (
           SELECT b.* FROM ${t("bookings")} b JOIN ${t("tiers")} tr ON tr.property_id = b.property_id AND tr.id = b.tier_id
            WHERE b.property_id = $1 AND tr.name = $2 AND b.status <> 'cancelled'
            ORDER BY b.id DESC LIMIT $3::int
         )
         INSERT INTO ${t("bookings")} (property_id, suite_id, tier_id, guest_name, check_in, check_out, status, cancelled_at)
         SELECT property_id, suite_id, tier_id, guest_name || ' (cancelled)', check_in, check_out, 'cancelled', now()
           FROM fresh WHERE id % 49 = 0 LIMIT $4::int`,
        tier,
        stays,
        cancelled,
      );
      await tx.$executeRawUnsafe(`ALTER TABLE ${t("bookings")} ENABLE TRIGGER bookings_count_nights`);
      await writeCounts(tx, hotel, property, tier);
    },
    { timeout: 30 * 60_000, maxWait: 60_000 },
  );
  await hotel.prisma.$executeRawUnsafe(`ANALYZE ${t("bookings")}, ${t("suites")}, ${t("tier_night_counts")}, ${t("tier_suite_counts")}`);
  const [summary] = await hotel.prisma.$queryRawUnsafe<{ total: number; first: Date; last: Date }[]>(
    `SELECT count(*)::int AS total, min(b.check_in) AS first, max(b.check_out) - 1 AS last
       FROM ${t("bookings")} b JOIN ${t("tiers")} tr ON tr.property_id = b.property_id AND tr.id = b.tier_id
      WHERE b.property_id = $1 AND tr.name = $2 AND b.guest_name LIKE 'Guest %'`,
    property,
    tier,
  );
  const day = (date: Date | undefined): string => (date ? date.toISOString().slice(0, 10) : "");
  return { tier, added: options.bookings, total: summary?.total ?? 0, firstNight: day(summary?.first), lastNight: day(summary?.last) };
}

type Tx = Pick<Hotel["prisma"], "$executeRawUnsafe">;

/**
 * The tier's night counts from its rows, and each night's mark at the
 * highest active suite below which every active suite is taken (the taken
 * suites in number order, counted while their rank equals their position).
 */
async function writeCounts(tx: Tx, hotel: Hotel, property: number, tier: string): Promise<void> {
  const t = (name: string): string => sqlName(hotel, name);
  const tierId = `(SELECT id FROM ${t("tiers")} WHERE property_id = $1 AND name = $2)`;
  await tx.$executeRawUnsafe(`DELETE FROM ${t("tier_night_counts")} WHERE property_id = $1 AND tier_id = ${tierId}`, property, tier);
  await tx.$executeRawUnsafe(
    `WITH ranked AS (
       SELECT s.id, s.number, row_number() OVER (ORDER BY s.number) AS r
         FROM ${t("suites")} s WHERE s.property_id = $1 AND s.tier_id = ${tierId} AND s.active
     ), nights AS (
       SELECT n::date AS night, b.status, r.r, r.number
         FROM ${t("bookings")} b LEFT JOIN ranked r ON r.id = b.suite_id,
              generate_series(b.check_in, b.check_out - 1, interval '1 day') n
        WHERE b.property_id = $1 AND b.tier_id = ${tierId} AND b.status IN ('held', 'confirmed', 'checked_in', 'checked_out')
     ), per_night AS (
       SELECT night, count(*) FILTER (WHERE status <> 'held')::int AS booked, count(*) FILTER (WHERE status = 'held')::int AS held,
              max(number) FILTER (WHERE r = position) AS mark
         FROM (SELECT x.*, row_number() OVER (PARTITION BY night, r IS NULL ORDER BY r) AS position FROM nights x) y
        GROUP BY 1
     )
     INSERT INTO ${t("tier_night_counts")} (property_id, tier_id, night, booked, held, low_water, generation)
     SELECT $1, c.tier_id, p.night, p.booked, p.held, p.mark, c.generation
       FROM per_night p JOIN ${t("tier_suite_counts")} c ON c.property_id = $1 AND c.tier_id = ${tierId}`,
    property,
    tier,
  );
}
