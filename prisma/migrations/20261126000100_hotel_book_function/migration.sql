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
