-- Properties, a booking's life (holds, check-in, check-out, no-show, expiry),
-- per-inventory lock keys and an append-only event log.
--
-- Migrations are append-only: a migration that has been applied anywhere is
-- never edited again (`hotel db status` and `hotel check` report one whose
-- file changed). This one reshapes the keys of every table, so it runs in one
-- transaction like every migration: it applies whole or not at all.

-- ---------------------------------------------------------------- properties
-- A property is one hotel. Every other table's keys start with property_id,
-- so the schema can be distributed by property (see docs/scaling.md).
CREATE TABLE "properties" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "properties_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "properties_name_check" CHECK (length("name") BETWEEN 1 AND 64)
);
CREATE UNIQUE INDEX "properties_name_key" ON "properties"("name");
-- Existing data belongs to the default property, `main` (id 1: the table is new).
INSERT INTO "properties" ("name") VALUES ('main');

-- The old keys go first: they are rebuilt below with property_id in front.
ALTER TABLE "bookings" DROP CONSTRAINT "bookings_suite_id_tier_id_fkey";
ALTER TABLE "bookings" DROP CONSTRAINT "bookings_tier_id_fkey";
ALTER TABLE "suites" DROP CONSTRAINT "suites_tier_id_fkey";
ALTER TABLE "tier_night_counts" DROP CONSTRAINT "tier_night_counts_tier_id_fkey";
ALTER TABLE "tier_suite_counts" DROP CONSTRAINT "tier_suite_counts_tier_id_fkey";
ALTER TABLE "bookings" DROP CONSTRAINT "bookings_no_double_booking";
DROP INDEX "bookings_confirmed_tier_stay_idx";
DROP INDEX "bookings_idempotency_key_key";
DROP INDEX "bookings_check_in_idx";
DROP INDEX "suites_id_tier_id_key";
DROP INDEX "suites_number_key";
DROP INDEX "tiers_name_key";
ALTER TABLE "bookings" DROP CONSTRAINT "bookings_pkey";
ALTER TABLE "suites" DROP CONSTRAINT "suites_pkey";
ALTER TABLE "tiers" DROP CONSTRAINT "tiers_pkey";
ALTER TABLE "tier_night_counts" DROP CONSTRAINT "tier_night_counts_pkey";
ALTER TABLE "tier_suite_counts" DROP CONSTRAINT "tier_suite_counts_pkey";

ALTER TABLE "tiers" ADD COLUMN "property_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "suites" ADD COLUMN "property_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "bookings" ADD COLUMN "property_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "tier_night_counts" ADD COLUMN "property_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "tier_suite_counts" ADD COLUMN "property_id" INTEGER NOT NULL DEFAULT 1;
-- From here on every writer names its property.
ALTER TABLE "tiers" ALTER COLUMN "property_id" DROP DEFAULT;
ALTER TABLE "suites" ALTER COLUMN "property_id" DROP DEFAULT;
ALTER TABLE "bookings" ALTER COLUMN "property_id" DROP DEFAULT;
ALTER TABLE "tier_night_counts" ALTER COLUMN "property_id" DROP DEFAULT;
ALTER TABLE "tier_suite_counts" ALTER COLUMN "property_id" DROP DEFAULT;

-- Ids stay unique in the whole table (one sequence each); the keys carry
-- property_id so that a distributed database can place rows by property.
ALTER TABLE "tiers" ADD CONSTRAINT "tiers_pkey" PRIMARY KEY ("property_id", "id");
CREATE UNIQUE INDEX "tiers_property_id_name_key" ON "tiers"("property_id", "name");
ALTER TABLE "suites" ADD CONSTRAINT "suites_pkey" PRIMARY KEY ("property_id", "id");
CREATE UNIQUE INDEX "suites_property_id_number_key" ON "suites"("property_id", "number");
CREATE UNIQUE INDEX "suites_property_id_id_tier_id_key" ON "suites"("property_id", "id", "tier_id");
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_pkey" PRIMARY KEY ("property_id", "id");
CREATE UNIQUE INDEX "bookings_property_id_idempotency_key_key" ON "bookings"("property_id", "idempotency_key");
CREATE INDEX "bookings_property_id_check_in_idx" ON "bookings"("property_id", "check_in");
CREATE INDEX "bookings_property_id_check_out_idx" ON "bookings"("property_id", "check_out");
ALTER TABLE "tier_night_counts" ADD CONSTRAINT "tier_night_counts_pkey" PRIMARY KEY ("property_id", "tier_id", "night");
ALTER TABLE "tier_suite_counts" ADD CONSTRAINT "tier_suite_counts_pkey" PRIMARY KEY ("property_id", "tier_id");

ALTER TABLE "tiers" ADD CONSTRAINT "tiers_property_id_fkey" FOREIGN KEY ("property_id") REFERENCES "properties"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "suites" ADD CONSTRAINT "suites_property_id_tier_id_fkey" FOREIGN KEY ("property_id", "tier_id") REFERENCES "tiers"("property_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_property_id_suite_id_tier_id_fkey" FOREIGN KEY ("property_id", "suite_id", "tier_id") REFERENCES "suites"("property_id", "id", "tier_id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "tier_suite_counts" ADD CONSTRAINT "tier_suite_counts_property_id_tier_id_fkey" FOREIGN KEY ("property_id", "tier_id") REFERENCES "tiers"("property_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
-- Two keys are not rebuilt, both for what they cost every booking: a
-- booking's (property_id, tier_id) is already a tier's, through its suite's
-- key (property_id, suite_id, tier_id) and that suite's own key to its tier;
-- and tier_night_counts is derived data, kept by the triggers below and
-- checked (and rebuilt) by `hotel check`, where a key would check every
-- count update (the operation functions update a night's row twice: its
-- count, then its low-water mark).

-- ---------------------------------------------------------------- lock keys
-- Every booking operation takes pg_advisory_xact_lock(lock_key, epoch_day)
-- for each (tier, night) it reads or writes. Advisory locks belong to the
-- database, not to a schema, so the key must name the inventory it protects:
-- a hash of this schema's `tiers` table (its oid, unique in the database)
-- and the tier id. A stress run's scratch schema, a second hotel schema or
-- another property therefore never shares a key with live bookings (two
-- tiers collide with odds of 1 in 2^32, and a collision only makes them
-- wait for each other: every operation takes its keys in ascending order).
ALTER TABLE "tiers" ADD COLUMN "lock_key" INTEGER;
UPDATE "tiers" SET "lock_key" = hashtext(format('%s/%s', 'tiers'::regclass::oid, "id"));
ALTER TABLE "tiers" ALTER COLUMN "lock_key" SET NOT NULL;

CREATE FUNCTION "hotel_set_lock_key"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW."lock_key" := hashtext(format('%s/%s', TG_RELID, NEW."id"));
    RETURN NEW;
END;
$$;
CREATE TRIGGER "tiers_lock_key"
    BEFORE INSERT OR UPDATE OF "id" ON "tiers"
    FOR EACH ROW EXECUTE FUNCTION "hotel_set_lock_key"();

-- ---------------------------------------------------------------- statuses
-- held -> confirmed -> checked_in -> checked_out; confirmed -> cancelled or
-- no_show; held -> expired or cancelled. A suite-night is *taken* by a
-- booking that is held (until expires_at), confirmed, checked_in or
-- checked_out (its stay is shortened to the nights stayed at an early
-- checkout). Nothing else takes it.
ALTER TABLE "bookings" DROP CONSTRAINT "bookings_status_check";
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_status_check"
    CHECK ("status" IN ('held', 'confirmed', 'checked_in', 'checked_out', 'cancelled', 'no_show', 'expired'));
ALTER TABLE "bookings" ADD COLUMN "expires_at" TIMESTAMPTZ(6);
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_hold_expiry_check" CHECK ("status" <> 'held' OR "expires_at" IS NOT NULL);

-- The safety net covers every taken status, held included: a constraint
-- cannot read the clock, so a lapsed hold keeps its suite here until an
-- operation that needs the suite marks it expired (under the night locks).
-- suite_id leads the index: GiST groups its pages by the first column, and
-- every lookup names one suite (property_id is the same for most rows).
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_no_double_booking"
    EXCLUDE USING gist ("suite_id" WITH =, daterange("check_in", "check_out", '[)') WITH &&, "property_id" WITH =)
    WHERE ("status" IN ('held', 'confirmed', 'checked_in', 'checked_out'));

-- The free-suite search excludes the suites of a tier taken on any night of
-- the stay through this index, not one probe per suite.
CREATE INDEX "bookings_taken_tier_stay_idx" ON "bookings"
    USING gist ("tier_id", daterange("check_in", "check_out", '[)'))
    WHERE ("status" IN ('held', 'confirmed', 'checked_in', 'checked_out'));

-- Holds waiting for their expiry: tiny, and what every operation reads to
-- find the lapsed holds on its nights.
CREATE INDEX "bookings_held_tier_expires_at_idx" ON "bookings" ("tier_id", "expires_at") WHERE ("status" = 'held');

-- ---------------------------------------------------------------- counts
-- Every function from here on is created with `SET search_path FROM CURRENT`:
-- it resolves table names in the schema it was migrated into, whatever the
-- caller's search_path (a connection pooler keeps none between transactions,
-- and a stress run's scratch schema must never write to the live tables).
-- tier_night_counts.booked counts confirmed, checked_in and checked_out
-- bookings; .held counts held ones (lapsed or not, until marked expired).
-- low_water: every active suite of the tier numbered up to it is taken that
-- night (for marks whose generation equals the tier's).
ALTER TABLE "tier_night_counts" ADD COLUMN "held" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "tier_night_counts" ADD CONSTRAINT "tier_night_counts_held_check" CHECK ("held" >= 0);

-- Kept in the same transaction as the change they count. Whatever frees a
-- suite-night (cancel, no-show, early checkout, expiry, a change or move,
-- a delete) first takes that night's lock, as every operation does, then
-- clears the night's mark, so a mark never hides a free suite.
CREATE OR REPLACE FUNCTION "hotel_count_booking_nights"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_old_taken BOOLEAN := TG_OP <> 'INSERT' AND OLD."status" IN ('held', 'confirmed', 'checked_in', 'checked_out');
    v_new_taken BOOLEAN := TG_OP <> 'DELETE' AND NEW."status" IN ('held', 'confirmed', 'checked_in', 'checked_out');
    v_frees BOOLEAN := FALSE;
    v_lock_key INTEGER;
BEGIN
    IF v_old_taken THEN
        v_frees := NOT v_new_taken OR NEW."suite_id" <> OLD."suite_id" OR NEW."tier_id" <> OLD."tier_id"
                   OR NEW."check_in" > OLD."check_in" OR NEW."check_out" < OLD."check_out";
        IF v_frees THEN
            SELECT t."lock_key" INTO v_lock_key FROM "tiers" t WHERE t."property_id" = OLD."property_id" AND t."id" = OLD."tier_id";
            FOR v_night IN 0 .. (OLD."check_out" - OLD."check_in" - 1) LOOP
                PERFORM pg_advisory_xact_lock(v_lock_key, (OLD."check_in" - DATE '1970-01-01') + v_night);
            END LOOP;
        END IF;
        UPDATE "tier_night_counts" c
           SET "booked" = c."booked" - (OLD."status" <> 'held')::int,
               "held" = c."held" - (OLD."status" = 'held')::int,
               "low_water" = CASE WHEN v_frees THEN NULL ELSE c."low_water" END
         WHERE c."property_id" = OLD."property_id" AND c."tier_id" = OLD."tier_id"
           AND c."night" >= OLD."check_in" AND c."night" < OLD."check_out";
    END IF;
    IF v_new_taken THEN
        INSERT INTO "tier_night_counts" AS c ("property_id", "tier_id", "night", "booked", "held")
        SELECT NEW."property_id", NEW."tier_id", d::date, (NEW."status" <> 'held')::int, (NEW."status" = 'held')::int
        FROM generate_series(NEW."check_in", NEW."check_out" - 1, interval '1 day') AS d
        ON CONFLICT ("property_id", "tier_id", "night") DO UPDATE
           SET "booked" = c."booked" + EXCLUDED."booked", "held" = c."held" + EXCLUDED."held";
    END IF;
    RETURN NULL;
END;
$$;

-- The old row leaves its tier's counts, the new one joins its tier's; every
-- change moves the tier's generation on, which retires its low-water marks.
CREATE OR REPLACE FUNCTION "hotel_count_tier_suites"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE "tier_suite_counts" c
           SET ("active", "inactive", "generation") = (c."active" - OLD."active"::int, c."inactive" - 1 + OLD."active"::int, c."generation" + 1)
         WHERE (c."property_id", c."tier_id") = (OLD."property_id", OLD."tier_id");
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO "tier_suite_counts" AS c ("property_id", "tier_id", "active", "inactive")
        VALUES (NEW."property_id", NEW."tier_id", NEW."active"::int, 1 - NEW."active"::int)
        ON CONFLICT ("property_id", "tier_id") DO UPDATE
           SET ("active", "inactive", "generation") = (c."active" + EXCLUDED."active", c."inactive" + EXCLUDED."inactive", c."generation" + 1);
    END IF;
    RETURN NULL;
END;
$$;

-- TRUNCATE skips row triggers: without these, a truncated table would leave
-- every night that was full counted as full. Moving every generation on
-- retires any mark a transaction in flight might still write.
CREATE FUNCTION "hotel_bookings_truncated"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM "tier_night_counts";
    UPDATE "tier_suite_counts" SET "generation" = "generation" + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER "bookings_truncate_counts"
    AFTER TRUNCATE ON "bookings"
    FOR EACH STATEMENT EXECUTE FUNCTION "hotel_bookings_truncated"();

CREATE FUNCTION "hotel_suites_truncated"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM "tier_suite_counts";
    RETURN NULL;
END;
$$;
CREATE TRIGGER "suites_truncate_counts"
    AFTER TRUNCATE ON "suites"
    FOR EACH STATEMENT EXECUTE FUNCTION "hotel_suites_truncated"();

-- ---------------------------------------------------------------- events
-- One row per write, in the transaction of the write: who did what to which
-- booking (or suite), with the booking as it was before and after. The
-- application only ever inserts here; docs/design.md shows the grants that
-- make it append-only for everyone else too.
CREATE TABLE "events" (
    "property_id" INTEGER NOT NULL,
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),
    "operation" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "booking_id" INTEGER,
    "suite_id" INTEGER,
    "before" JSONB,
    "after" JSONB,
    "idempotency_key" TEXT,

    CONSTRAINT "events_pkey" PRIMARY KEY ("property_id", "id"),
    CONSTRAINT "events_actor_check" CHECK (length("actor") BETWEEN 1 AND 200),
    CONSTRAINT "events_property_id_fkey" FOREIGN KEY ("property_id") REFERENCES "properties"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "events_property_id_booking_id_idx" ON "events"("property_id", "booking_id", "id");
-- Events arrive in time order: a BRIN index serves `hotel log --since` for
-- almost nothing per insert.
CREATE INDEX "events_at_idx" ON "events" USING brin ("at");
-- A change or move repeated with the same idempotency key finds its event.
CREATE UNIQUE INDEX "events_property_id_operation_idempotency_key_key" ON "events"("property_id", "operation", "idempotency_key")
    WHERE ("idempotency_key" IS NOT NULL);
