-- hotel_book(): the booking transaction of DESIGN.md in one round trip.
--
-- It must run at READ COMMITTED: each statement then takes a fresh snapshot,
-- so once the night locks are granted the free-suite query sees every booking
-- committed by the requests that held them before. (Under REPEATABLE READ or
-- SERIALIZABLE the snapshot predates the lock and the check reads stale data.)
--
-- Locks: one advisory transaction lock per (tier, night) of the stay, taken one
-- statement at a time in ascending night order. Two stays that share nights
-- therefore request their common locks in the same order and cannot deadlock;
-- stays that share no night never wait for each other.
--
-- Outcomes (column "outcome"):
--   accepted      a suite was assigned and the booking inserted
--   replayed      p_idempotency_key already names a booking; it is returned as is
--                 (the caller compares its details with the request)
--   refused       no active suite of the tier is free for every night of the stay
--   unknown_tier  no tier has that name
-- Lock waits past p_lock_timeout_ms raise SQLSTATE 55P03 (lock_not_available).
CREATE FUNCTION "hotel_book"(
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
