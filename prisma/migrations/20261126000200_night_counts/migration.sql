-- Counts that let hotel_book() refuse a full night in constant time.
--
-- tier_night_counts: confirmed bookings per (tier, night); tier_suite_counts:
-- active and inactive suites per tier. Both are kept by triggers, in the same
-- transaction as the change they count, so they are exactly as current as
-- the rows. `hotel check` recomputes them and reports any drift.
--
-- Bookings change a night's count under that (tier, night)'s advisory lock:
-- hotel_book() takes the locks before inserting, and the trigger takes them
-- (in ascending night order, as hotel_book() does) before a cancellation or
-- deletion lowers the counts, so two stays that share nights never deadlock
-- on the count rows.

-- CreateTable
CREATE TABLE "tier_night_counts" (
    "tier_id" INTEGER NOT NULL,
    "night" DATE NOT NULL,
    "booked" INTEGER NOT NULL,

    CONSTRAINT "tier_night_counts_pkey" PRIMARY KEY ("tier_id","night")
);

-- CreateTable
CREATE TABLE "tier_suite_counts" (
    "tier_id" INTEGER NOT NULL,
    "active" INTEGER NOT NULL,
    "inactive" INTEGER NOT NULL,

    CONSTRAINT "tier_suite_counts_pkey" PRIMARY KEY ("tier_id")
);

-- AddForeignKey
ALTER TABLE "tier_night_counts" ADD CONSTRAINT "tier_night_counts_tier_id_fkey" FOREIGN KEY ("tier_id") REFERENCES "tiers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tier_suite_counts" ADD CONSTRAINT "tier_suite_counts_tier_id_fkey" FOREIGN KEY ("tier_id") REFERENCES "tiers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written from here on.

ALTER TABLE "tier_night_counts" ADD CONSTRAINT "tier_night_counts_booked_check" CHECK ("booked" >= 0);
ALTER TABLE "tier_suite_counts" ADD CONSTRAINT "tier_suite_counts_check" CHECK ("active" >= 0 AND "inactive" >= 0);

CREATE FUNCTION "hotel_count_booking_nights"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD."status" = 'confirmed' THEN
        FOR v_night IN 0 .. (OLD."check_out" - OLD."check_in" - 1) LOOP
            PERFORM pg_advisory_xact_lock(OLD."tier_id", (OLD."check_in" - DATE '1970-01-01') + v_night);
        END LOOP;
        UPDATE "tier_night_counts" c SET "booked" = c."booked" - 1
         WHERE c."tier_id" = OLD."tier_id" AND c."night" >= OLD."check_in" AND c."night" < OLD."check_out";
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW."status" = 'confirmed' THEN
        INSERT INTO "tier_night_counts" AS c ("tier_id", "night", "booked")
        SELECT NEW."tier_id", d::date, 1
        FROM generate_series(NEW."check_in", NEW."check_out" - 1, interval '1 day') AS d
        ON CONFLICT ("tier_id", "night") DO UPDATE SET "booked" = c."booked" + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "bookings_count_nights"
    AFTER INSERT OR DELETE OR UPDATE OF "status", "tier_id", "check_in", "check_out" ON "bookings"
    FOR EACH ROW EXECUTE FUNCTION "hotel_count_booking_nights"();

CREATE FUNCTION "hotel_count_tier_suites"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE "tier_suite_counts" c
           SET "active" = c."active" - OLD."active"::int, "inactive" = c."inactive" - (NOT OLD."active")::int
         WHERE c."tier_id" = OLD."tier_id";
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO "tier_suite_counts" AS c ("tier_id", "active", "inactive")
        VALUES (NEW."tier_id", NEW."active"::int, (NOT NEW."active")::int)
        ON CONFLICT ("tier_id") DO UPDATE
           SET "active" = c."active" + EXCLUDED."active", "inactive" = c."inactive" + EXCLUDED."inactive";
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "suites_count_tier"
    AFTER INSERT OR DELETE OR UPDATE OF "active", "tier_id" ON "suites"
    FOR EACH ROW EXECUTE FUNCTION "hotel_count_tier_suites"();

-- The counts of the rows already there.
INSERT INTO "tier_night_counts" ("tier_id", "night", "booked")
SELECT b."tier_id", d::date, count(*)
FROM "bookings" b, generate_series(b."check_in", b."check_out" - 1, interval '1 day') AS d
WHERE b."status" = 'confirmed'
GROUP BY 1, 2;

INSERT INTO "tier_suite_counts" ("tier_id", "active", "inactive")
SELECT s."tier_id", count(*) FILTER (WHERE s."active"), count(*) FILTER (WHERE NOT s."active")
FROM "suites" s
GROUP BY 1;

-- hotel_book() as in 20261126000100_hotel_book_function, plus the refusal
-- of a full night from the counts before the free-suite search.
CREATE OR REPLACE FUNCTION "hotel_book"(
    p_tier TEXT,
    p_guest_name TEXT,
    p_check_in DATE,
    p_check_out DATE,
    p_idempotency_key TEXT,
    p_lock_timeout_ms INTEGER
)
RETURNS TABLE (
    "outcome" TEXT,
    "id" INTEGER,
    "suite" TEXT,
    "tier" TEXT,
    "guest_name" TEXT,
    "check_in" DATE,
    "check_out" DATE,
    "status" TEXT,
    "lock_wait_ms" DOUBLE PRECISION
)
LANGUAGE plpgsql
VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tier_id INTEGER;
    v_first_day INTEGER := p_check_in - DATE '1970-01-01';
    v_locks_started TIMESTAMPTZ;
    v_lock_wait_ms DOUBLE PRECISION;
    v_suite_id INTEGER;
    v_suite TEXT;
    v_id INTEGER;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'hotel_book() needs READ COMMITTED, the transaction is %',
            current_setting('transaction_isolation')
            USING ERRCODE = '25001';
    END IF;
    IF p_check_out <= p_check_in THEN
        RAISE EXCEPTION 'check-out % is not after check-in %', p_check_out, p_check_in
            USING ERRCODE = '22023';
    END IF;

    SELECT t."id" INTO v_tier_id FROM "tiers" t WHERE t."name" = p_tier;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_tier'::TEXT, NULL::INTEGER, NULL::TEXT, p_tier,
            p_guest_name, p_check_in, p_check_out, NULL::TEXT, 0::DOUBLE PRECISION;
        RETURN;
    END IF;

    PERFORM set_config('lock_timeout', p_lock_timeout_ms::TEXT || 'ms', true);
    v_locks_started := clock_timestamp();
    FOR v_night IN 0 .. (p_check_out - p_check_in - 1) LOOP
        PERFORM pg_advisory_xact_lock(v_tier_id, v_first_day + v_night);
    END LOOP;
    v_lock_wait_ms := extract(epoch FROM clock_timestamp() - v_locks_started) * 1000;

    -- Checked under the locks: a concurrent request with the same key and the
    -- same stay has either committed (and is found here) or waits behind us.
    IF p_idempotency_key IS NOT NULL THEN
        RETURN QUERY
            SELECT 'replayed'::TEXT, b."id", s."number", t."name", b."guest_name",
                   b."check_in", b."check_out", b."status", v_lock_wait_ms
            FROM "bookings" b
            JOIN "suites" s ON s."id" = b."suite_id"
            JOIN "tiers" t ON t."id" = b."tier_id"
            WHERE b."idempotency_key" = p_idempotency_key;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;

    -- A full night refuses at once: with no inactive suite in the tier, the
    -- exclusion constraint allows one confirmed booking per suite and night,
    -- so `booked >= active` means every suite is taken that night. This costs
    -- two key lookups however many bookings the night holds; the search below
    -- reads every booking that overlaps the stay.
    IF EXISTS (
        SELECT 1 FROM "tier_suite_counts" c
        JOIN "tier_night_counts" n ON n."tier_id" = c."tier_id"
        WHERE c."tier_id" = v_tier_id AND c."inactive" = 0
          AND n."night" >= p_check_in AND n."night" < p_check_out
          AND n."booked" >= c."active"
    ) THEN
        RETURN QUERY SELECT 'refused'::TEXT, NULL::INTEGER, NULL::TEXT, p_tier,
            p_guest_name, p_check_in, p_check_out, NULL::TEXT, v_lock_wait_ms;
        RETURN;
    END IF;

    -- The lowest-numbered active suite with no confirmed booking overlapping
    -- the stay. FOR SHARE holds the suite row so that a concurrent
    -- `suites disable` waits for this booking and then sees it.
    SELECT s."id", s."number" INTO v_suite_id, v_suite
    FROM "suites" s
    WHERE s."tier_id" = v_tier_id
      AND s."active"
      AND s."id" NOT IN (
          SELECT b."suite_id" FROM "bookings" b
          WHERE b."tier_id" = v_tier_id
            AND b."status" = 'confirmed'
            AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)'))
    ORDER BY s."number"
    LIMIT 1
    FOR SHARE OF s;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'refused'::TEXT, NULL::INTEGER, NULL::TEXT, p_tier,
            p_guest_name, p_check_in, p_check_out, NULL::TEXT, v_lock_wait_ms;
        RETURN;
    END IF;

    INSERT INTO "bookings" ("suite_id", "tier_id", "guest_name", "check_in", "check_out", "idempotency_key")
    VALUES (v_suite_id, v_tier_id, p_guest_name, p_check_in, p_check_out, p_idempotency_key)
    RETURNING "bookings"."id" INTO v_id;

    RETURN QUERY SELECT 'accepted'::TEXT, v_id, v_suite, p_tier, p_guest_name,
        p_check_in, p_check_out, 'confirmed'::TEXT, v_lock_wait_ms;
END;
$$;
