-- The booking operations: book, hold, change, move, and the status changes
-- (confirm, checkin, checkout, noshow, cancel), each one plpgsql function,
-- so each operation is one round trip and one transaction.
--
-- One lock protocol for all of them (docs/design.md, "The lock protocol"):
--   1. READ COMMITTED: every statement sees what committed before it, so
--      once the locks are granted the next query sees every winner.
--   2. SET LOCAL lock_timeout: no wait is unbounded (55P03 -> busy, 503).
--   3. pg_advisory_xact_lock(tier lock_key, epoch day) for every (tier,
--      night) the operation reads or writes (old and new stay, both tiers of
--      a move, and the nights of lapsed holds it may expire), one statement
--      per lock, in ascending (key, day) order: two operations that share
--      nights ask for them in the same order and cannot deadlock.
--   4. Only then read, decide and write. A row an operation changes is
--      locked after its nights (nights first, rows second, everywhere).
--   5. Every condition that decides a suite is free is evaluated on the row
--      that is locked (FOR SHARE), so a concurrent `suites disable` that
--      commits while we wait is seen (EvalPlanQual re-checks only the
--      locked row's own conditions).
-- Lapsed holds are turned into `expired` under the locks, by the database's
-- clock, when an operation needs their nights.
--
-- Every operation runs with plan_cache_mode = force_generic_plan: each of
-- its statements is planned once per session, not again on every call with
-- that call's values (PostgreSQL's default when a generic plan looks costlier,
-- which made planning a third of a booking's CPU). Each statement is written
-- so that its generic plan is the right one (an index scan in suite order).
--
-- Every function returns rows of "hotel_result"; "outcome" is one of:
--   accepted, replayed, changed, unchanged, refused, invalid, invalid_state,
--   hold_expired, idempotency_mismatch, not_found, unknown_property,
--   unknown_tier, unknown_suite.

DROP FUNCTION "hotel_book"(TEXT, TEXT, DATE, DATE, TEXT, INTEGER);

CREATE TYPE "hotel_result" AS (
    "outcome" TEXT, "message" TEXT,
    -- The booking as the operation left it...
    "id" INTEGER, "suite" TEXT, "tier" TEXT, "guest_name" TEXT,
    "check_in" DATE, "check_out" DATE, "status" TEXT, "expires_at" TIMESTAMPTZ,
    -- ...and, for a change or a move, its suite and stay before.
    "previous_suite" TEXT, "previous_tier" TEXT, "previous_check_in" DATE, "previous_check_out" DATE,
    "lock_wait_ms" DOUBLE PRECISION
);

-- ---------------------------------------------------------------- helpers

CREATE FUNCTION "hotel_require_read_committed"() RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'hotel operations need READ COMMITTED, the transaction is %', current_setting('transaction_isolation')
            USING ERRCODE = '25001';
    END IF;
END;
$$;

-- A result row that carries only an outcome and a message.
CREATE FUNCTION "hotel_outcome"(p_outcome TEXT, p_message TEXT, p_lock_wait_ms DOUBLE PRECISION DEFAULT 0)
RETURNS "hotel_result" LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(p_outcome, p_message, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, p_lock_wait_ms)::"hotel_result"
$$;

-- The booking as every client sees it (`--json`, HTTP, events).
CREATE FUNCTION "hotel_booking_doc"(b "bookings", p_suite TEXT, p_tier TEXT) RETURNS JSONB
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', b."id", 'suite', p_suite, 'tier', p_tier, 'guest', b."guest_name",
        'checkIn', to_char(b."check_in", 'YYYY-MM-DD'), 'checkOut', to_char(b."check_out", 'YYYY-MM-DD'),
        'status', b."status",
        'expiresAt', to_char(b."expires_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
$$;

-- Locks each (key, night) of the given stays once, ascending by key then
-- day, one statement per lock (the loop makes the order certain).
CREATE FUNCTION "hotel_lock_nights"(p_keys INTEGER[], p_check_ins DATE[], p_check_outs DATE[]) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN
        SELECT DISTINCT s."key", d::date - DATE '1970-01-01' AS "day"
        FROM unnest(p_keys, p_check_ins, p_check_outs) AS s("key", "check_in", "check_out"),
             generate_series(s."check_in", s."check_out" - 1, interval '1 day') AS d
        ORDER BY 1, 2
    LOOP
        PERFORM pg_advisory_xact_lock(r."key", r."day");
    END LOOP;
END;
$$;

-- Holds of a tier that overlap [p_check_in, p_check_out) and will have
-- lapsed by p_horizon: expiring one frees all its nights, whose locks must
-- then be held too, so the caller locks their stays along with its own.
-- plpgsql, not sql, for every helper called once per operation: a SQL
-- function that cannot be inlined (SET search_path) is planned again on
-- every call, a plpgsql statement's plan is kept for the session.
CREATE FUNCTION "hotel_lapsing_holds"(p_property_id INTEGER, p_tier_id INTEGER, p_check_in DATE, p_check_out DATE,
                                      p_horizon TIMESTAMPTZ, p_except INTEGER DEFAULT 0,
                                      OUT check_ins DATE[], OUT check_outs DATE[])
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
BEGIN
    SELECT coalesce(array_agg(b."check_in"), '{}'), coalesce(array_agg(b."check_out"), '{}') INTO check_ins, check_outs
    FROM "bookings" b
    WHERE b."tier_id" = p_tier_id AND b."status" = 'held' AND b."expires_at" <= p_horizon
      AND b."property_id" = p_property_id AND b."id" <> p_except
      AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)');
END;
$$;

-- Turns the holds of a tier that lapsed by p_now and overlap the stay into
-- `expired`, each with its event. The caller holds the night locks.
CREATE FUNCTION "hotel_expire_holds"(p_property_id INTEGER, p_tier_id INTEGER, p_check_in DATE, p_check_out DATE, p_now TIMESTAMPTZ)
RETURNS INTEGER
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_count INTEGER;
BEGIN
    WITH "lapsed" AS (
        UPDATE "bookings" b SET "status" = 'expired'
        WHERE b."tier_id" = p_tier_id AND b."status" = 'held' AND b."expires_at" <= p_now
          AND b."property_id" = p_property_id
          AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)')
        RETURNING b.*
    )
    INSERT INTO "events" ("property_id", "operation", "actor", "booking_id", "before", "after")
    SELECT l."property_id", 'expire', 'system', l."id",
           hotel_booking_doc(l::"bookings", s."number", t."name") || jsonb_build_object('status', 'held'),
           hotel_booking_doc(l::"bookings", s."number", t."name")
    FROM "lapsed" l
    JOIN "suites" s ON s."property_id" = l."property_id" AND s."id" = l."suite_id"
    JOIN "tiers" t ON t."property_id" = l."property_id" AND t."id" = l."tier_id";
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

-- The lowest-numbered active suite of a tier (numbered above p_above, when
-- given) that no taken booking other than p_except holds on any night of
-- the stay, locked FOR SHARE so that a concurrent disable waits for us.
-- `active` and `tier_id` are conditions on the locked row itself: if the
-- row changed while we waited for its lock, they are checked again on the
-- new version (the NOT IN list cannot change: its nights are locked).
CREATE FUNCTION "hotel_lowest_free_suite"(p_property_id INTEGER, p_tier_id INTEGER, p_check_in DATE, p_check_out DATE,
                                          p_above TEXT DEFAULT NULL, p_except INTEGER DEFAULT 0,
                                          OUT suite_id INTEGER, OUT suite TEXT)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    SELECT s."id", s."number" INTO suite_id, suite
    FROM "suites" s
    WHERE s."property_id" = p_property_id AND s."tier_id" = p_tier_id AND s."active"
      AND (p_above IS NULL OR s."number" > p_above)
      AND s."id" NOT IN (
          SELECT b."suite_id" FROM "bookings" b
          WHERE b."tier_id" = p_tier_id
            AND b."status" IN ('held', 'confirmed', 'checked_in', 'checked_out')
            AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)')
            AND b."id" <> p_except)
    ORDER BY s."number"
    LIMIT 1
    FOR SHARE OF s;
END;
$$;

-- One given suite, if it is active and free for the stay (ignoring
-- p_except), locked FOR SHARE; the same re-check rule as above.
CREATE FUNCTION "hotel_suite_if_free"(p_property_id INTEGER, p_suite_id INTEGER, p_tier_id INTEGER, p_check_in DATE,
                                      p_check_out DATE, p_except INTEGER, OUT suite_id INTEGER, OUT suite TEXT)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    SELECT s."id", s."number" INTO suite_id, suite
    FROM "suites" s
    WHERE s."property_id" = p_property_id AND s."id" = p_suite_id AND s."tier_id" = p_tier_id AND s."active"
      AND NOT EXISTS (
          SELECT 1 FROM "bookings" b
          WHERE b."property_id" = p_property_id AND b."suite_id" = s."id" AND b."id" <> p_except
            AND b."status" IN ('held', 'confirmed', 'checked_in', 'checked_out')
            AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)'))
    FOR SHARE OF s;
END;
$$;

-- A result row for a booking, with the previous stay when given.
CREATE FUNCTION "hotel_booking_result"(p_outcome TEXT, b "bookings", p_suite TEXT, p_tier TEXT, p_lock_wait_ms DOUBLE PRECISION,
                                       p_previous "bookings" DEFAULT NULL, p_previous_suite TEXT DEFAULT NULL,
                                       p_previous_tier TEXT DEFAULT NULL)
RETURNS "hotel_result" LANGUAGE sql STABLE AS $$
    SELECT ROW(p_outcome, NULL, b."id", p_suite, p_tier, b."guest_name", b."check_in", b."check_out", b."status", b."expires_at",
               p_previous_suite, p_previous_tier, (p_previous)."check_in", (p_previous)."check_out", p_lock_wait_ms)::"hotel_result"
$$;

-- A result row from an event: what an idempotent repeat of a change or
-- move answers (the booking as that operation left it).
CREATE FUNCTION "hotel_replay"(p_property_id INTEGER, p_operation TEXT, p_key TEXT, p_lock_wait_ms DOUBLE PRECISION,
                               OUT result "hotel_result", OUT booking_id INTEGER, OUT after JSONB)
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT ROW('replayed', NULL, (e."after"->>'id')::int, e."after"->>'suite', e."after"->>'tier', e."after"->>'guest',
               (e."after"->>'checkIn')::date, (e."after"->>'checkOut')::date, e."after"->>'status',
               (e."after"->>'expiresAt')::timestamptz, e."before"->>'suite', e."before"->>'tier',
               (e."before"->>'checkIn')::date, (e."before"->>'checkOut')::date, p_lock_wait_ms)::"hotel_result",
           e."booking_id", e."after"
    FROM "events" e
    WHERE e."property_id" = p_property_id AND e."operation" = p_operation AND e."idempotency_key" = p_key
$$;

-- The property's id when it exists, else NULL. Every operation takes the
-- property's id as its first argument: a database distributed by property
-- (docs/scaling.md) routes each call to the one node that holds its rows.
CREATE FUNCTION "hotel_known_property"(p_property_id INTEGER) RETURNS INTEGER
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT p."id" FROM "properties" p WHERE p."id" = p_property_id);
END;
$$;

CREATE FUNCTION "hotel_stay_text"(p_check_in DATE, p_check_out DATE) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('from %s to %s', to_char(p_check_in, 'YYYY-MM-DD'), to_char(p_check_out, 'YYYY-MM-DD'))
$$;

-- ---------------------------------------------------------------- book, hold
-- Books (or, with p_hold_seconds, holds until the database's clock passes
-- now + p_hold_seconds) the lowest-numbered free active suite of a tier.
-- A request repeated with the same idempotency key finds its booking under
-- the locks and returns it ("replayed"; the caller compares the details).
CREATE FUNCTION "hotel_book"(
    p_property_id INTEGER,
    p_tier TEXT,
    p_guest_name TEXT,
    p_check_in DATE,
    p_check_out DATE,
    p_idempotency_key TEXT,
    p_lock_timeout_ms INTEGER,
    p_hold_seconds INTEGER,
    p_actor TEXT
)
RETURNS SETOF "hotel_result"
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_property_id INTEGER;
    v_tier_id INTEGER;
    v_lock_key INTEGER;
    v_any_held BOOLEAN;
    v_hold_ins DATE[] := '{}';
    v_hold_outs DATE[] := '{}';
    v_started TIMESTAMPTZ;
    v_wait DOUBLE PRECISION;
    v_now TIMESTAMPTZ;
    v_active INTEGER;
    v_inactive INTEGER;
    v_generation BIGINT;
    v_mark TEXT;
    v_held BIGINT;
    v_full BOOLEAN;
    v_suite_id INTEGER;
    v_suite TEXT;
    v_row "bookings";
BEGIN
    PERFORM hotel_require_read_committed();
    IF p_check_out <= p_check_in THEN
        RETURN NEXT hotel_outcome('invalid', format('check-out %s is not after check-in %s', p_check_out, p_check_in));
        RETURN;
    END IF;
    -- The tier, and whether any held booking overlaps the stay: the usual
    -- case has none, and one probe of the held-bookings index says so.
    SELECT t."property_id", t."id", t."lock_key",
           EXISTS (SELECT 1 FROM "bookings" b
                   WHERE b."tier_id" = t."id" AND b."status" = 'held' AND b."property_id" = t."property_id"
                     AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)'))
    INTO v_property_id, v_tier_id, v_lock_key, v_any_held
    FROM "tiers" t
    WHERE t."property_id" = p_property_id AND t."name" = p_tier;
    IF NOT FOUND THEN
        RETURN NEXT hotel_outcome(CASE WHEN hotel_known_property(p_property_id) IS NULL THEN 'unknown_property' ELSE 'unknown_tier' END, NULL);
        RETURN;
    END IF;

    PERFORM set_config('lock_timeout', p_lock_timeout_ms::TEXT || 'ms', true);
    IF v_any_held THEN
        SELECT h.check_ins, h.check_outs INTO v_hold_ins, v_hold_outs
        FROM hotel_lapsing_holds(v_property_id, v_tier_id, p_check_in, p_check_out,
                                 clock_timestamp() + make_interval(secs => p_lock_timeout_ms / 1000.0)) h;
    END IF;
    v_started := clock_timestamp();
    IF cardinality(v_hold_ins) = 0 THEN
        -- The usual case, kept to a bare loop: the stay's nights, ascending.
        FOR v_night IN 0 .. (p_check_out - p_check_in - 1) LOOP
            PERFORM pg_advisory_xact_lock(v_lock_key, (p_check_in - DATE '1970-01-01') + v_night);
        END LOOP;
    ELSE
        PERFORM hotel_lock_nights(array_fill(v_lock_key, ARRAY[1 + cardinality(v_hold_ins)]),
                                  p_check_in || v_hold_ins, p_check_out || v_hold_outs);
    END IF;
    v_now := clock_timestamp();
    v_wait := extract(epoch FROM v_now - v_started) * 1000;

    IF p_idempotency_key IS NOT NULL THEN
        SELECT b.* INTO v_row FROM "bookings" b WHERE b."property_id" = v_property_id AND b."idempotency_key" = p_idempotency_key;
        IF FOUND THEN
            RETURN NEXT hotel_booking_result('replayed', v_row,
                (SELECT s."number" FROM "suites" s WHERE s."property_id" = v_property_id AND s."id" = v_row."suite_id"),
                (SELECT t."name" FROM "tiers" t WHERE t."property_id" = v_property_id AND t."id" = v_row."tier_id"), v_wait);
            RETURN;
        END IF;
    END IF;

    -- The tier's suites and the stay's nights, as counted under the locks,
    -- in one read. No held booking on any night of the stay (`held` counts
    -- them, lapsed or not) means no hold to expire: the usual case skips it.
    FOR v_pass IN 1 .. 2 LOOP
        SELECT c."active", c."inactive", c."generation", n.held, n.full, n.mark
        INTO v_active, v_inactive, v_generation, v_held, v_full, v_mark
        FROM "tier_suite_counts" c,
             LATERAL (SELECT coalesce(sum(n."held"), 0) AS held, coalesce(bool_or(n."booked" + n."held" >= c."active"), FALSE) AS full,
                             max(n."low_water") FILTER (WHERE n."generation" = c."generation") AS mark
                      FROM "tier_night_counts" n
                      WHERE n."property_id" = c."property_id" AND n."tier_id" = c."tier_id"
                        AND n."night" >= p_check_in AND n."night" < p_check_out) n
        WHERE c."property_id" = v_property_id AND c."tier_id" = v_tier_id;
        EXIT WHEN coalesce(v_held, 0) = 0 OR v_pass = 2;
        -- Counted again only when a hold was expired.
        EXIT WHEN hotel_expire_holds(v_property_id, v_tier_id, p_check_in, p_check_out, v_now) = 0;
    END LOOP;

    -- A full night refuses at once: with no inactive suite in the tier, the
    -- exclusion constraint allows one taken booking per suite and night, so
    -- `booked + held >= active` means every suite is taken that night.
    IF coalesce(v_inactive, 0) = 0 AND v_full THEN
        RETURN NEXT hotel_outcome('refused', NULL, v_wait);
        RETURN;
    END IF;

    -- Every active suite numbered up to a night's low-water mark is taken
    -- that night, so no suite at or below the stay's highest mark can be
    -- free (v_mark: the highest mark of the tier's generation). Above it the
    -- suites are probed in number order, and the first free one wins: on a
    -- filling night it is usually the first. The conditions are on the
    -- locked row itself, so a suite disabled while we waited is skipped.
    IF v_mark IS NOT NULL THEN
        SELECT s."id", s."number" INTO v_suite_id, v_suite
        FROM "suites" s
        WHERE s."property_id" = v_property_id AND s."tier_id" = v_tier_id AND s."active" AND s."number" > v_mark
          AND NOT EXISTS (
            SELECT 1 FROM "bookings" b
            WHERE b."property_id" = v_property_id AND b."suite_id" = s."id"
              AND b."status" IN ('held', 'confirmed', 'checked_in', 'checked_out')
              AND daterange(b."check_in", b."check_out", '[)') && daterange(p_check_in, p_check_out, '[)'))
        ORDER BY s."number" LIMIT 1 FOR SHARE OF s;
    ELSE
        SELECT f.suite_id, f.suite INTO v_suite_id, v_suite
        FROM hotel_lowest_free_suite(v_property_id, v_tier_id, p_check_in, p_check_out) f;
    END IF;
    IF v_suite_id IS NULL THEN
        RETURN NEXT hotel_outcome('refused', NULL, v_wait);
        RETURN;
    END IF;

    INSERT INTO "bookings" ("property_id", "suite_id", "tier_id", "guest_name", "check_in", "check_out", "status", "expires_at", "idempotency_key")
    VALUES (v_property_id, v_suite_id, v_tier_id, p_guest_name, p_check_in, p_check_out,
            CASE WHEN p_hold_seconds IS NULL THEN 'confirmed' ELSE 'held' END,
            CASE WHEN p_hold_seconds IS NULL THEN NULL ELSE v_now + make_interval(secs => p_hold_seconds) END,
            p_idempotency_key)
    RETURNING * INTO v_row;

    -- A one-night stay took the lowest free suite of its night, so every
    -- active suite up to it is now taken that night: raise the night's mark
    -- (under the night's lock; whatever frees a suite-night clears it).
    IF p_check_out = p_check_in + 1 THEN
        UPDATE "tier_night_counts" n SET "low_water" = v_suite, "generation" = v_generation
        WHERE n."property_id" = v_property_id AND n."tier_id" = v_tier_id AND n."night" = p_check_in
          AND (n."low_water" IS NULL OR n."generation" <> v_generation OR n."low_water" < v_suite);
    END IF;

    INSERT INTO "events" ("property_id", "operation", "actor", "booking_id", "after")
    VALUES (v_property_id, CASE WHEN p_hold_seconds IS NULL THEN 'book' ELSE 'hold' END, p_actor, v_row."id",
            hotel_booking_doc(v_row, v_suite, p_tier));
    RETURN NEXT hotel_booking_result('accepted', v_row, v_suite, p_tier, v_wait);
END;
$$;

-- ---------------------------------------------------------------- existing bookings
-- The booking as first seen, outside any lock, after the checks every
-- operation on a booking starts with: `outcome` is 'unknown_property' or
-- 'not_found' when there is nothing to operate on.
CREATE FUNCTION "hotel_seen_booking"(p_property_id INTEGER, p_id INTEGER, OUT outcome TEXT, OUT seen "bookings")
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM hotel_require_read_committed();
    IF hotel_known_property(p_property_id) IS NULL THEN
        outcome := 'unknown_property';
        RETURN;
    END IF;
    SELECT b.* INTO seen FROM "bookings" b WHERE b."property_id" = p_property_id AND b."id" = p_id;
    IF NOT FOUND THEN
        outcome := 'not_found';
    END IF;
END;
$$;

-- Locks the nights of a booking as it was seen (its tier and stay) together
-- with the given stays, then the booking's row. If the booking's tier or
-- stay changed between the first look and the lock (a concurrent change or
-- move committed), the locks may not cover it: 40001 makes the caller
-- retry the whole operation, which then sees the new row.
CREATE FUNCTION "hotel_lock_booking"(p_seen "bookings", p_keys INTEGER[], p_check_ins DATE[], p_check_outs DATE[],
                                     OUT locked "bookings", OUT lock_wait_ms DOUBLE PRECISION, OUT locked_at TIMESTAMPTZ)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_started TIMESTAMPTZ := clock_timestamp();
BEGIN
    PERFORM hotel_lock_nights(
        (SELECT t."lock_key" FROM "tiers" t WHERE t."property_id" = p_seen."property_id" AND t."id" = p_seen."tier_id") || p_keys,
        p_seen."check_in" || p_check_ins, p_seen."check_out" || p_check_outs);
    locked_at := clock_timestamp();
    lock_wait_ms := extract(epoch FROM locked_at - v_started) * 1000;
    SELECT b.* INTO locked FROM "bookings" b WHERE b."property_id" = p_seen."property_id" AND b."id" = p_seen."id" FOR UPDATE;
    IF locked."id" IS NULL OR locked."tier_id" <> p_seen."tier_id"
       OR locked."check_in" <> p_seen."check_in" OR locked."check_out" <> p_seen."check_out" THEN
        RAISE EXCEPTION 'booking % changed while this operation waited for its nights', p_seen."id" USING ERRCODE = '40001';
    END IF;
END;
$$;

-- Within p_lock_timeout_ms, locks a booking as seen together with the stay
-- it is to have in tier p_tier_id and the holds there that will have lapsed
-- by then: hotel_lock_booking()'s answer.
CREATE FUNCTION "hotel_lock_stay"(p_seen "bookings", p_tier_id INTEGER, p_check_in DATE, p_check_out DATE, p_lock_timeout_ms INTEGER,
                                  OUT locked "bookings", OUT lock_wait_ms DOUBLE PRECISION, OUT locked_at TIMESTAMPTZ)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_key INTEGER;
    v_holds RECORD;
    v_lock RECORD;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout_ms::TEXT || 'ms', true);
    SELECT t."lock_key" INTO v_key FROM "tiers" t WHERE t."property_id" = p_seen."property_id" AND t."id" = p_tier_id;
    SELECT * INTO v_holds FROM hotel_lapsing_holds(p_seen."property_id", p_tier_id, p_check_in, p_check_out,
                                                   clock_timestamp() + make_interval(secs => p_lock_timeout_ms / 1000.0), p_seen."id");
    SELECT * INTO v_lock FROM hotel_lock_booking(p_seen, array_fill(v_key, ARRAY[1 + cardinality(v_holds.check_ins)]),
                                                 p_check_in || v_holds.check_ins, p_check_out || v_holds.check_outs);
    locked := v_lock.locked;
    lock_wait_ms := v_lock.lock_wait_ms;
    locked_at := v_lock.locked_at;
END;
$$;

-- Gives a locked booking its new suite (p_suite_id, named p_suite, of tier
-- p_tier_id, named p_tier) and stay, appends the operation's event with the
-- booking before and after, and answers 'changed'.
CREATE FUNCTION "hotel_rewrite_booking"(p_row "bookings", p_operation TEXT, p_suite_id INTEGER, p_suite TEXT, p_tier_id INTEGER, p_tier TEXT,
                                        p_check_in DATE, p_check_out DATE, p_was_suite TEXT, p_was_tier TEXT,
                                        p_actor TEXT, p_idempotency_key TEXT, p_lock_wait_ms DOUBLE PRECISION)
RETURNS "hotel_result"
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_new "bookings";
BEGIN
    UPDATE "bookings" b SET "suite_id" = p_suite_id, "tier_id" = p_tier_id, "check_in" = p_check_in, "check_out" = p_check_out
    WHERE b."property_id" = p_row."property_id" AND b."id" = p_row."id"
    RETURNING b.* INTO v_new;
    INSERT INTO "events" ("property_id", "operation", "actor", "booking_id", "before", "after", "idempotency_key")
    VALUES (p_row."property_id", p_operation, p_actor, p_row."id", hotel_booking_doc(p_row, p_was_suite, p_was_tier),
            hotel_booking_doc(v_new, p_suite, p_tier), p_idempotency_key);
    RETURN hotel_booking_result('changed', v_new, p_suite, p_tier, p_lock_wait_ms, p_row, p_was_suite, p_was_tier);
END;
$$;

CREATE FUNCTION "hotel_status_text"(p_status TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(p_status, '_', '-')
$$;

-- The refusal of an operation on a booking whose state does not allow it
-- (with the time spent waiting for the locks, when it was decided under
-- them), or NULL when the state allows it.
CREATE FUNCTION "hotel_state_refusal"(b "bookings", p_allowed TEXT[], p_what TEXT, p_now TIMESTAMPTZ,
                                      p_lock_wait_ms DOUBLE PRECISION DEFAULT 0) RETURNS "hotel_result"
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN b."status" = 'expired' OR (b."status" = 'held' AND b."expires_at" <= p_now) THEN
            hotel_outcome('hold_expired', format('Hold #%s expired at %s', b."id",
                to_char(b."expires_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')), p_lock_wait_ms)
        WHEN NOT (b."status" = ANY (p_allowed)) THEN
            hotel_outcome('invalid_state', format('Booking #%s is %s: %s', b."id", hotel_status_text(b."status"), p_what), p_lock_wait_ms)
    END
$$;

-- The refusal of a repeated change or move whose idempotency key already
-- did something else, the replay of the one it did, or NULL when the key is
-- new. A change is the same when it gave booking p_id the stay [p_check_in,
-- p_check_out); a move when it took p_id to suite p_suite or tier p_tier.
CREATE FUNCTION "hotel_restay_replay"(p_property_id INTEGER, p_operation TEXT, p_key TEXT, p_id INTEGER, p_check_in DATE,
                                      p_check_out DATE, p_suite TEXT, p_tier TEXT, p_lock_wait_ms DOUBLE PRECISION)
RETURNS "hotel_result"
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
DECLARE
    v_replay RECORD;
BEGIN
    SELECT * INTO v_replay FROM hotel_replay(p_property_id, p_operation, p_key, p_lock_wait_ms);
    IF v_replay.booking_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_operation = 'change' AND (v_replay.booking_id <> p_id OR (v_replay.after->>'checkIn')::date <> p_check_in
                                   OR (v_replay.after->>'checkOut')::date <> p_check_out) THEN
        RETURN hotel_outcome('idempotency_mismatch', format('Idempotency key "%s" was already used to change booking #%s to %s to %s',
            p_key, v_replay.booking_id, v_replay.after->>'checkIn', v_replay.after->>'checkOut'));
    END IF;
    IF p_operation = 'move' AND (v_replay.booking_id <> p_id OR (v_replay.after->>'suite') <> coalesce(p_suite, v_replay.after->>'suite')
                                 OR (v_replay.after->>'tier') <> coalesce(p_tier, v_replay.after->>'tier')) THEN
        RETURN hotel_outcome('idempotency_mismatch', format('Idempotency key "%s" was already used to move booking #%s to suite %s (%s)',
            p_key, v_replay.booking_id, v_replay.after->>'suite', v_replay.after->>'tier'));
    END IF;
    RETURN v_replay.result;
END;
$$;

-- The suite a locked booking is to have for the stay [p_check_in,
-- p_check_out) in tier p_tier_id, locked FOR SHARE: suite p_suite_id when
-- one is named (a move to a given suite), else, with p_keep, the booking's
-- own suite when it is free for the new nights (a change), else the lowest
-- free suite of the tier. `outcome` is NULL when one was found, else
-- 'unchanged' (the booking is already there) or 'refused' with a message.
CREATE FUNCTION "hotel_restay_suite"(p_row "bookings", p_tier_id INTEGER, p_tier TEXT, p_suite_id INTEGER, p_keep BOOLEAN,
                                     p_check_in DATE, p_check_out DATE, OUT outcome TEXT, OUT message TEXT,
                                     OUT suite_id INTEGER, OUT suite TEXT)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF p_suite_id = p_row."suite_id" THEN
        outcome := 'unchanged';
        RETURN;
    END IF;
    IF p_suite_id IS NOT NULL OR p_keep THEN
        SELECT f.suite_id, f.suite INTO suite_id, suite FROM hotel_suite_if_free(p_row."property_id", coalesce(p_suite_id, p_row."suite_id"),
                                                                                  p_tier_id, p_check_in, p_check_out, p_row."id") f;
    END IF;
    IF suite_id IS NULL AND p_suite_id IS NOT NULL THEN
        SELECT 'refused', format('Suite %s is %s %s; booking #%s is unchanged', s."number",
                                 CASE WHEN s."active" THEN 'not free for every night' ELSE 'out of service' END,
                                 hotel_stay_text(p_check_in, p_check_out), p_row."id")
        INTO outcome, message
        FROM "suites" s WHERE s."property_id" = p_row."property_id" AND s."id" = p_suite_id;
        RETURN;
    END IF;
    IF suite_id IS NULL THEN
        SELECT f.suite_id, f.suite INTO suite_id, suite
        FROM hotel_lowest_free_suite(p_row."property_id", p_tier_id, p_check_in, p_check_out, NULL, p_row."id") f;
        IF suite_id IS NULL THEN
            outcome := 'refused';
            message := format('No %s suite is free for every night %s; booking #%s is unchanged',
                              p_tier, hotel_stay_text(p_check_in, p_check_out), p_row."id");
            RETURN;
        END IF;
        IF suite_id = p_row."suite_id" AND NOT p_keep THEN
            outcome := 'unchanged';
        END IF;
    END IF;
END;
$$;

-- Where a change or a move takes booking p_seen: a change, the stay
-- [p_check_in or the old check-in, p_check_out or + p_nights or the old
-- length) in its own tier; a move, its stay in suite p_suite (and that
-- suite's tier) or in tier p_tier. `outcome` is NULL, or why there is
-- nothing to do ('invalid', 'unknown_suite', 'unknown_tier').
CREATE FUNCTION "hotel_restay_target"(p_seen "bookings", p_operation TEXT, p_check_in DATE, p_check_out DATE, p_nights INTEGER,
                                      p_suite TEXT, p_tier TEXT, OUT outcome TEXT, OUT message TEXT, OUT tier_id INTEGER,
                                      OUT suite_id INTEGER, OUT check_in DATE, OUT check_out DATE)
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
BEGIN
    IF p_operation = 'change' THEN
        tier_id := p_seen."tier_id";
        check_in := coalesce(p_check_in, p_seen."check_in");
        check_out := CASE WHEN p_check_out IS NOT NULL THEN p_check_out
                          WHEN p_nights IS NOT NULL THEN check_in + p_nights
                          ELSE check_in + (p_seen."check_out" - p_seen."check_in") END;
        IF check_out <= check_in OR check_out - check_in > 365 OR check_out > DATE '9999-12-31' THEN
            outcome := 'invalid';
            message := format('the new stay %s is not a stay of 1 to 365 nights ending by 9999-12-31', hotel_stay_text(check_in, check_out));
        END IF;
        RETURN;
    END IF;
    check_in := p_seen."check_in";
    check_out := p_seen."check_out";
    IF p_suite IS NOT NULL THEN
        SELECT s."id", s."tier_id" INTO suite_id, tier_id FROM "suites" s WHERE s."property_id" = p_seen."property_id" AND s."number" = p_suite;
    ELSE
        SELECT t."id" INTO tier_id FROM "tiers" t WHERE t."property_id" = p_seen."property_id" AND t."name" = p_tier;
    END IF;
    IF tier_id IS NULL THEN
        outcome := CASE WHEN p_suite IS NOT NULL THEN 'unknown_suite' ELSE 'unknown_tier' END;
    END IF;
END;
$$;

-- change and move: booking p_id is to have the stay and tier (or suite)
-- that hotel_restay_target() finds. Locks the old and new nights, replays a
-- repeated key, refuses what the state forbids, and rewrites the booking
-- with its event, or answers 'unchanged' or 'refused'.
CREATE FUNCTION "hotel_restay"(p_property_id INTEGER, p_id INTEGER, p_operation TEXT, p_check_in DATE, p_check_out DATE,
                               p_nights INTEGER, p_suite TEXT, p_tier TEXT, p_idempotency_key TEXT, p_lock_timeout_ms INTEGER,
                               p_actor TEXT)
RETURNS "hotel_result"
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_allowed CONSTANT TEXT[] := ARRAY['held', 'confirmed', 'checked_in'];
    v_what CONSTANT TEXT := 'only a held, confirmed or checked-in booking can ' || p_operation;
    v_found RECORD;
    v_to RECORD;
    v_row "bookings";
    v_lock RECORD;
    v_result "hotel_result";
    v_tier TEXT;
    v_target_tier TEXT;
    v_suite TEXT;
    v_free RECORD;
BEGIN
    SELECT * INTO v_found FROM hotel_seen_booking(p_property_id, p_id);
    IF v_found.outcome IS NOT NULL THEN
        RETURN hotel_outcome(v_found.outcome, NULL);
    END IF;
    SELECT * INTO v_to FROM hotel_restay_target(v_found.seen, p_operation, p_check_in, p_check_out, p_nights, p_suite, p_tier);
    IF v_to.outcome IS NOT NULL THEN
        RETURN hotel_outcome(v_to.outcome, v_to.message);
    END IF;
    -- A final state never changes again, so it can be refused without locks.
    IF (v_found.seen)."status" NOT IN ('held', 'confirmed', 'checked_in') THEN
        RETURN hotel_state_refusal(v_found.seen, v_allowed, v_what, clock_timestamp());
    END IF;
    SELECT t."name" INTO v_tier FROM "tiers" t WHERE t."property_id" = p_property_id AND t."id" = (v_found.seen)."tier_id";
    SELECT t."name" INTO v_target_tier FROM "tiers" t WHERE t."property_id" = p_property_id AND t."id" = v_to.tier_id;

    SELECT * INTO v_lock FROM hotel_lock_stay(v_found.seen, v_to.tier_id, v_to.check_in, v_to.check_out, p_lock_timeout_ms);
    v_row := v_lock.locked;
    IF p_idempotency_key IS NOT NULL THEN
        v_result := hotel_restay_replay(p_property_id, p_operation, p_idempotency_key, p_id, v_to.check_in, v_to.check_out,
                                        p_suite, p_tier, v_lock.lock_wait_ms);
        IF v_result."outcome" IS NOT NULL THEN
            RETURN v_result;
        END IF;
    END IF;

    v_result := hotel_state_refusal(v_row, v_allowed, v_what, v_lock.locked_at, v_lock.lock_wait_ms);
    IF v_result."outcome" IS NULL AND v_row."status" = 'checked_in' AND v_to.check_in <> v_row."check_in" THEN
        v_result := hotel_outcome('invalid_state', format('The guest of booking #%s is in house since %s: only the check-out can change',
                                                          p_id, v_row."check_in"), v_lock.lock_wait_ms);
    END IF;
    IF v_result."outcome" IS NOT NULL THEN
        RETURN v_result;
    END IF;
    SELECT s."number" INTO v_suite FROM "suites" s WHERE s."property_id" = p_property_id AND s."id" = v_row."suite_id";
    IF p_operation = 'change' AND v_to.check_in = v_row."check_in" AND v_to.check_out = v_row."check_out" THEN
        RETURN hotel_booking_result('unchanged', v_row, v_suite, v_tier, v_lock.lock_wait_ms, v_row, v_suite, v_tier);
    END IF;

    PERFORM hotel_expire_holds(p_property_id, v_to.tier_id, v_to.check_in, v_to.check_out, v_lock.locked_at);
    SELECT * INTO v_free FROM hotel_restay_suite(v_row, v_to.tier_id, v_target_tier, v_to.suite_id, p_operation = 'change',
                                                 v_to.check_in, v_to.check_out);
    IF v_free.outcome = 'unchanged' THEN
        RETURN hotel_booking_result('unchanged', v_row, v_suite, v_tier, v_lock.lock_wait_ms, v_row, v_suite, v_tier);
    ELSIF v_free.outcome IS NOT NULL THEN
        RETURN hotel_outcome(v_free.outcome, v_free.message, v_lock.lock_wait_ms);
    END IF;
    RETURN hotel_rewrite_booking(v_row, p_operation, v_free.suite_id, v_free.suite, v_to.tier_id, v_target_tier, v_to.check_in,
                                 v_to.check_out, v_suite, v_tier, p_actor, p_idempotency_key, v_lock.lock_wait_ms);
END;
$$;

-- change: extend, shorten or shift a stay. The booking keeps its suite when
-- that suite is free for every new night (ignoring the booking itself),
-- else takes the lowest free suite of its tier; else nothing changes.
-- Without p_check_out or p_nights, a new check-in keeps the stay's length.
CREATE FUNCTION "hotel_change"(p_property_id INTEGER, p_id INTEGER, p_check_in DATE, p_check_out DATE, p_nights INTEGER,
                               p_idempotency_key TEXT, p_lock_timeout_ms INTEGER, p_actor TEXT)
RETURNS SETOF "hotel_result"
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN NEXT hotel_restay(p_property_id, p_id, 'change', p_check_in, p_check_out, p_nights, NULL, NULL,
                             p_idempotency_key, p_lock_timeout_ms, p_actor);
END;
$$;

-- move: to one given suite (any tier; active and free for the whole stay)
-- or to the lowest free suite of a tier (an upgrade or a downgrade), never
-- both. The locks cover the stay's nights in both tiers.
CREATE FUNCTION "hotel_move"(p_property_id INTEGER, p_id INTEGER, p_suite TEXT, p_tier TEXT, p_idempotency_key TEXT,
                             p_lock_timeout_ms INTEGER, p_actor TEXT)
RETURNS SETOF "hotel_result"
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF (p_suite IS NULL) = (p_tier IS NULL) THEN
        RETURN NEXT hotel_outcome('invalid', 'a move names either a suite or a tier');
        RETURN;
    END IF;
    RETURN NEXT hotel_restay(p_property_id, p_id, 'move', NULL, NULL, NULL, p_suite, p_tier,
                             p_idempotency_key, p_lock_timeout_ms, p_actor);
END;
$$;

-- ---------------------------------------------------------------- status changes
-- What an operation does to a booking in a given state: 'apply' (with the
-- new status and check-out), 'unchanged' (done already: repeating is safe),
-- or a refusal ('invalid_state', 'hold_expired') with its message.
CREATE FUNCTION "hotel_transition_verdict"(p_operation TEXT, b "bookings", p_today DATE, p_now TIMESTAMPTZ,
                                           OUT verdict TEXT, OUT refusal "hotel_result", OUT new_status TEXT, OUT new_check_out DATE)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_target CONSTANT TEXT := CASE p_operation WHEN 'confirm' THEN 'confirmed' WHEN 'checkin' THEN 'checked_in'
        WHEN 'checkout' THEN 'checked_out' WHEN 'noshow' THEN 'no_show' WHEN 'cancel' THEN 'cancelled' END;
BEGIN
    new_status := v_target;
    new_check_out := b."check_out";
    IF b."status" = v_target OR (p_operation = 'cancel' AND b."status" = 'expired') THEN
        verdict := 'unchanged';
        RETURN;
    END IF;
    refusal := CASE p_operation
        WHEN 'confirm' THEN hotel_state_refusal(b, ARRAY['held'], 'only a hold can be confirmed', p_now)
        WHEN 'checkin' THEN hotel_state_refusal(b, ARRAY['confirmed'],
            CASE WHEN b."status" = 'held' THEN 'confirm the hold before checking in' ELSE 'only a confirmed booking can check in' END, p_now)
        WHEN 'checkout' THEN hotel_state_refusal(b, ARRAY['checked_in'], 'only a checked-in guest can check out', p_now)
        WHEN 'noshow' THEN hotel_state_refusal(b, ARRAY['confirmed'], 'only a confirmed booking can be a no-show', p_now)
        WHEN 'cancel' THEN CASE WHEN b."status" IN ('held', 'confirmed') THEN NULL
            ELSE hotel_outcome('invalid_state', format('Booking #%s is %s and can no longer be cancelled', b."id", hotel_status_text(b."status"))) END
    END;
    IF refusal."outcome" IS NULL AND p_operation = 'checkin' AND p_today < b."check_in" THEN
        refusal := hotel_outcome('invalid_state', format('Booking #%s checks in on %s, not before (today is %s)', b."id", b."check_in", p_today));
    ELSIF refusal."outcome" IS NULL AND p_operation = 'checkin' AND p_today >= b."check_out" THEN
        refusal := hotel_outcome('invalid_state', format('Booking #%s ended on %s: it can no longer check in', b."id", b."check_out"));
    ELSIF refusal."outcome" IS NULL AND p_operation = 'noshow' AND p_today < b."check_in" THEN
        refusal := hotel_outcome('invalid_state', format('Booking #%s starts on %s: a no-show can be recorded from then on', b."id", b."check_in"));
    END IF;
    IF refusal."outcome" IS NOT NULL THEN
        verdict := refusal."outcome";
        RETURN;
    END IF;
    verdict := 'apply';
    -- An early checkout ends the stay today (at least one night); the
    -- remaining nights are free as soon as this commits.
    IF p_operation = 'checkout' THEN
        new_check_out := least(b."check_out", greatest(p_today, b."check_in" + 1));
    END IF;
END;
$$;

-- confirm, checkin, checkout, noshow and cancel. Decided once from the row
-- as seen (a final state never changes), and again under the locks.
CREATE FUNCTION "hotel_transition"(
    p_property_id INTEGER,
    p_id INTEGER,
    p_operation TEXT,
    p_today DATE,
    p_lock_timeout_ms INTEGER,
    p_actor TEXT
)
RETURNS SETOF "hotel_result"
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_property_id CONSTANT INTEGER := p_property_id;
    v_found RECORD;
    v_row "bookings";
    v_new "bookings";
    v_verdict RECORD;
    v_lock RECORD;
    v_wait DOUBLE PRECISION := 0;
    v_now TIMESTAMPTZ := clock_timestamp();
    v_suite TEXT;
    v_tier TEXT;
BEGIN
    IF p_operation NOT IN ('confirm', 'checkin', 'checkout', 'noshow', 'cancel') THEN
        RAISE EXCEPTION 'unknown operation %', p_operation USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_found FROM hotel_seen_booking(p_property_id, p_id);
    IF v_found.outcome IS NOT NULL THEN
        RETURN NEXT hotel_outcome(v_found.outcome, NULL);
        RETURN;
    END IF;
    v_row := v_found.seen;
    FOR v_attempt IN 1 .. 2 LOOP
        SELECT * INTO v_verdict FROM hotel_transition_verdict(p_operation, v_row, p_today, v_now);
        EXIT WHEN v_verdict.verdict <> 'apply' OR v_attempt = 2;
        PERFORM set_config('lock_timeout', p_lock_timeout_ms::TEXT || 'ms', true);
        SELECT * INTO v_lock FROM hotel_lock_booking(v_row, '{}', '{}', '{}');
        v_row := v_lock.locked;
        v_now := v_lock.locked_at;
        v_wait := v_lock.lock_wait_ms;
    END LOOP;
    IF v_verdict.verdict NOT IN ('apply', 'unchanged') THEN
        v_verdict.refusal."lock_wait_ms" := v_wait;
        RETURN NEXT v_verdict.refusal;
        RETURN;
    END IF;
    SELECT s."number" INTO v_suite FROM "suites" s WHERE s."property_id" = v_property_id AND s."id" = v_row."suite_id";
    SELECT t."name" INTO v_tier FROM "tiers" t WHERE t."property_id" = v_property_id AND t."id" = v_row."tier_id";
    IF v_verdict.verdict = 'unchanged' THEN
        RETURN NEXT hotel_booking_result('unchanged', v_row, v_suite, v_tier, v_wait);
        RETURN;
    END IF;

    UPDATE "bookings" b
       SET "status" = v_verdict.new_status,
           "check_out" = v_verdict.new_check_out,
           "expires_at" = CASE WHEN v_verdict.new_status = 'cancelled' THEN b."expires_at" END,
           "cancelled_at" = CASE WHEN v_verdict.new_status = 'cancelled' THEN v_now ELSE b."cancelled_at" END
     WHERE b."property_id" = v_property_id AND b."id" = p_id
    RETURNING b.* INTO v_new;
    INSERT INTO "events" ("property_id", "operation", "actor", "booking_id", "before", "after")
    VALUES (v_property_id, p_operation, p_actor, p_id, hotel_booking_doc(v_row, v_suite, v_tier), hotel_booking_doc(v_new, v_suite, v_tier));
    RETURN NEXT hotel_booking_result('changed', v_new, v_suite, v_tier, v_wait, v_row, v_suite, v_tier);
END;
$$;
