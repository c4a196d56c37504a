-- A low-water mark per (tier, night), so that finding the lowest free suite
-- of a filling night costs an index lookup instead of reading every booking
-- of the night.
--
-- The invariant: every active suite of the tier numbered up to
-- tier_night_counts.low_water is booked that night, for marks whose
-- generation equals tier_suite_counts.generation. It is kept by:
--   - hotel_book() raising a night's mark only after a one-night booking,
--     which took the lowest free suite of that night, under the night's lock;
--   - anything that frees a suite-night (cancel, delete, moving a booking)
--     clearing the mark, in the trigger that already takes the night's lock;
--   - any change to a tier's suites (added, enabled, renumbered) bumping the
--     tier's generation, so every older mark stops counting at once.
-- Bookings written without hotel_book() (the interactive path) only add
-- booked suite-nights, which cannot make a mark wrong.

ALTER TABLE "tier_night_counts" ADD COLUMN "low_water" TEXT;
ALTER TABLE "tier_night_counts" ADD COLUMN "generation" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "tier_suite_counts" ADD COLUMN "generation" BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION "hotel_count_booking_nights"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD."status" = 'confirmed' THEN
        FOR v_night IN 0 .. (OLD."check_out" - OLD."check_in" - 1) LOOP
            PERFORM pg_advisory_xact_lock(OLD."tier_id", (OLD."check_in" - DATE '1970-01-01') + v_night);
        END LOOP;
        UPDATE "tier_night_counts" c SET "booked" = c."booked" - 1, "low_water" = NULL
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

CREATE OR REPLACE FUNCTION "hotel_count_tier_suites"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE "tier_suite_counts" c
           SET "active" = c."active" - OLD."active"::int, "inactive" = c."inactive" - (NOT OLD."active")::int,
               "generation" = c."generation" + 1
         WHERE c."tier_id" = OLD."tier_id";
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO "tier_suite_counts" AS c ("tier_id", "active", "inactive")
        VALUES (NEW."tier_id", NEW."active"::int, (NOT NEW."active")::int)
        ON CONFLICT ("tier_id") DO UPDATE
           SET "active" = c."active" + EXCLUDED."active", "inactive" = c."inactive" + EXCLUDED."inactive",
               "generation" = c."generation" + 1;
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER "suites_count_tier" ON "suites";
CREATE TRIGGER "suites_count_tier"
    AFTER INSERT OR DELETE OR UPDATE OF "active", "tier_id", "number" ON "suites"
    FOR EACH ROW EXECUTE FUNCTION "hotel_count_tier_suites"();

-- hotel_book() as in 20261126000200_night_counts, searching above the marks.
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
    v_active INTEGER;
    v_inactive INTEGER;
    v_generation BIGINT;
    v_mark TEXT;
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

    SELECT c."active", c."inactive", c."generation" INTO v_active, v_inactive, v_generation
    FROM "tier_suite_counts" c WHERE c."tier_id" = v_tier_id;

    -- A full night refuses at once: with no inactive suite in the tier, the
    -- exclusion constraint allows one confirmed booking per suite and night,
    -- so `booked >= active` means every suite is taken that night. Two key
    -- lookups, however many bookings the night holds.
    IF v_inactive = 0 AND EXISTS (
        SELECT 1 FROM "tier_night_counts" n
        WHERE n."tier_id" = v_tier_id AND n."night" >= p_check_in AND n."night" < p_check_out
          AND n."booked" >= v_active
    ) THEN
        RETURN QUERY SELECT 'refused'::TEXT, NULL::INTEGER, NULL::TEXT, p_tier,
            p_guest_name, p_check_in, p_check_out, NULL::TEXT, v_lock_wait_ms;
        RETURN;
    END IF;

    -- Every active suite numbered up to a night's low-water mark is booked
    -- that night (a mark counts only for the suite generation it was set in),
    -- so no suite at or below the highest mark of the stay can be free. Above
    -- it the next few suites are probed one by one through the exclusion
    -- constraint's index: on a filling night the first is usually free, and
    -- the search costs an index lookup however many bookings the night has.
    SELECT max(n."low_water") INTO v_mark
    FROM "tier_night_counts" n
    WHERE n."tier_id" = v_tier_id AND n."night" >= p_check_in AND n."night" < p_check_out
      AND n."generation" = v_generation;
    IF v_mark IS NOT NULL THEN
        SELECT s."id", s."number" INTO v_suite_id, v_suite
        FROM (SELECT c."id", c."number" FROM "suites" c
              WHERE c."tier_id" = v_tier_id AND c."active" AND c."number" > v_mark
              ORDER BY c."number" LIMIT 32) w
        JOIN "suites" s ON s."id" = w."id"
        WHERE NOT EXISTS (
            SELECT 1 FROM "bookings" b
            WHERE b."suite_id" = s."id" AND b."status" = 'confirmed'
              AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)'))
        ORDER BY w."number"
        LIMIT 1
        FOR SHARE OF s;
    END IF;

    -- Otherwise the full search: the lowest-numbered active suite (above the
    -- mark) with no confirmed booking overlapping the stay. FOR SHARE holds
    -- the suite row so that a concurrent `suites disable` waits for this
    -- booking and then sees it.
    IF v_suite_id IS NULL THEN
        SELECT s."id", s."number" INTO v_suite_id, v_suite
        FROM "suites" s
        WHERE s."tier_id" = v_tier_id
          AND s."active"
          AND (v_mark IS NULL OR s."number" > v_mark)
          AND s."id" NOT IN (
              SELECT b."suite_id" FROM "bookings" b
              WHERE b."tier_id" = v_tier_id
                AND b."status" = 'confirmed'
                AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)'))
        ORDER BY s."number"
        LIMIT 1
        FOR SHARE OF s;
    END IF;
    IF v_suite_id IS NULL THEN
        RETURN QUERY SELECT 'refused'::TEXT, NULL::INTEGER, NULL::TEXT, p_tier,
            p_guest_name, p_check_in, p_check_out, NULL::TEXT, v_lock_wait_ms;
        RETURN;
    END IF;

    INSERT INTO "bookings" ("suite_id", "tier_id", "guest_name", "check_in", "check_out", "idempotency_key")
    VALUES (v_suite_id, v_tier_id, p_guest_name, p_check_in, p_check_out, p_idempotency_key)
    RETURNING "bookings"."id" INTO v_id;

    -- A one-night stay took the lowest free suite of its night, so every
    -- active suite up to it is now booked that night: raise the night's mark.
    -- (Under the night's lock, so no booking of the night races this; a
    -- cancellation clears the mark, and a suite change moves the generation.)
    IF p_check_out = p_check_in + 1 THEN
        UPDATE "tier_night_counts" n SET "low_water" = v_suite, "generation" = v_generation
        WHERE n."tier_id" = v_tier_id AND n."night" = p_check_in
          AND (n."low_water" IS NULL OR n."generation" <> v_generation OR n."low_water" < v_suite);
    END IF;

    RETURN QUERY SELECT 'accepted'::TEXT, v_id, v_suite, p_tier, p_guest_name,
        p_check_in, p_check_out, 'confirmed'::TEXT, v_lock_wait_ms;
END;
$$;
