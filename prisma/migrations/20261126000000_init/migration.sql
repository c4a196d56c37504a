-- The booking schema. Tables, keys and indexes follow what `prisma migrate`
-- generates for prisma/schema.prisma; the rest is written by hand because
-- Prisma cannot express it: the exclusion constraint that makes a double
-- booking impossible, the CHECKs, the indexes the booking function needs,
-- and the triggers that keep its per-night counts.

-- btree_gist lets one gist index combine `suite_id WITH =` and a daterange.
CREATE EXTENSION IF NOT EXISTS "btree_gist";

-- CreateTable
CREATE TABLE "tiers" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "tiers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "suites" (
    "id" SERIAL NOT NULL,
    "number" TEXT NOT NULL,
    "tier_id" INTEGER NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "suites_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bookings" (
    "id" SERIAL NOT NULL,
    "suite_id" INTEGER NOT NULL,
    "tier_id" INTEGER NOT NULL,
    "guest_name" TEXT NOT NULL,
    "check_in" DATE NOT NULL,
    "check_out" DATE NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'confirmed',
    "idempotency_key" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMPTZ(6),

    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tier_night_counts" (
    "tier_id" INTEGER NOT NULL,
    "night" DATE NOT NULL,
    "booked" INTEGER NOT NULL,
    "low_water" TEXT,
    "generation" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "tier_night_counts_pkey" PRIMARY KEY ("tier_id","night")
);

-- CreateTable
CREATE TABLE "tier_suite_counts" (
    "tier_id" INTEGER NOT NULL,
    "active" INTEGER NOT NULL,
    "inactive" INTEGER NOT NULL,
    "generation" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "tier_suite_counts_pkey" PRIMARY KEY ("tier_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tiers_name_key" ON "tiers"("name");

-- CreateIndex
CREATE UNIQUE INDEX "suites_number_key" ON "suites"("number");

-- CreateIndex
CREATE INDEX "suites_tier_id_number_idx" ON "suites"("tier_id", "number");

-- CreateIndex
CREATE UNIQUE INDEX "suites_id_tier_id_key" ON "suites"("id", "tier_id");

-- CreateIndex
CREATE UNIQUE INDEX "bookings_idempotency_key_key" ON "bookings"("idempotency_key");

-- CreateIndex
CREATE INDEX "bookings_check_in_idx" ON "bookings"("check_in");

-- AddForeignKey
ALTER TABLE "suites" ADD CONSTRAINT "suites_tier_id_fkey" FOREIGN KEY ("tier_id") REFERENCES "tiers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_suite_id_tier_id_fkey" FOREIGN KEY ("suite_id", "tier_id") REFERENCES "suites"("id", "tier_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_tier_id_fkey" FOREIGN KEY ("tier_id") REFERENCES "tiers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tier_night_counts" ADD CONSTRAINT "tier_night_counts_tier_id_fkey" FOREIGN KEY ("tier_id") REFERENCES "tiers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tier_suite_counts" ADD CONSTRAINT "tier_suite_counts_tier_id_fkey" FOREIGN KEY ("tier_id") REFERENCES "tiers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written from here on.

ALTER TABLE "bookings" ADD CONSTRAINT "bookings_stay_check" CHECK ("check_out" > "check_in");
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_status_check" CHECK ("status" IN ('confirmed', 'cancelled'));
ALTER TABLE "tiers" ADD CONSTRAINT "tiers_name_check" CHECK (length("name") BETWEEN 1 AND 64);
ALTER TABLE "suites" ADD CONSTRAINT "suites_number_check" CHECK (length("number") BETWEEN 1 AND 32);
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_guest_name_check" CHECK (length("guest_name") BETWEEN 1 AND 200);

-- The safety net: whatever the application does, PostgreSQL never stores two
-- confirmed bookings of one suite whose half-open stays overlap.
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_no_double_booking"
    EXCLUDE USING gist ("suite_id" WITH =, daterange("check_in", "check_out", '[)') WITH &&)
    WHERE ("status" = 'confirmed');

-- The free-suite query walks the active suites of one tier in number order...
CREATE INDEX "suites_active_tier_id_number_idx" ON "suites"("tier_id", "number") WHERE "active";

-- ...and excludes the suites of that tier booked for any night of the stay,
-- found through this index rather than one probe per suite.
CREATE INDEX "bookings_confirmed_tier_stay_idx" ON "bookings"
    USING gist ("tier_id", daterange("check_in", "check_out", '[)'))
    WHERE ("status" = 'confirmed');

-- Counts that keep hotel_book() fast however full a night is, kept by
-- triggers in the same transaction as the change they count:
--   tier_night_counts: confirmed bookings per (tier, night), so a full night
--     is refused in two key lookups; and a low-water mark, so the lowest
--     free suite of a filling night is found with an index lookup instead of
--     reading every booking of the night;
--   tier_suite_counts: active and inactive suites per tier, and a generation
--     that moves on every change to the tier's suites.
-- `hotel check` recomputes the counts and reports any drift.
--
-- The marks' invariant: every active suite of the tier numbered up to
-- low_water is booked that night, for marks whose generation equals the
-- tier's. It is kept by:
--   - hotel_book() raising a night's mark only after a one-night booking,
--     which took the lowest free suite of that night, under the night's lock;
--   - anything that frees a suite-night (cancel, delete, moving a booking
--     to other dates or another suite)
--     clearing the mark, in the trigger below, which first takes the night
--     locks in ascending order as hotel_book() does (so stays that share
--     nights never deadlock on the count rows);
--   - any change to a tier's suites (added, enabled, renumbered) moving the
--     tier's generation, so every older mark stops counting at once.
-- Bookings written without hotel_book() (the interactive path) only add
-- booked suite-nights, which cannot make a mark wrong.

ALTER TABLE "tier_night_counts" ADD CONSTRAINT "tier_night_counts_booked_check" CHECK ("booked" >= 0);
ALTER TABLE "tier_suite_counts" ADD CONSTRAINT "tier_suite_counts_check" CHECK ("active" >= 0 AND "inactive" >= 0);

CREATE FUNCTION "hotel_count_booking_nights"() RETURNS trigger
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

CREATE TRIGGER "bookings_count_nights"
    AFTER INSERT OR DELETE OR UPDATE OF "status", "tier_id", "suite_id", "check_in", "check_out" ON "bookings"
    FOR EACH ROW EXECUTE FUNCTION "hotel_count_booking_nights"();

CREATE FUNCTION "hotel_count_tier_suites"() RETURNS trigger
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

CREATE TRIGGER "suites_count_tier"
    AFTER INSERT OR DELETE OR UPDATE OF "active", "tier_id", "number" ON "suites"
    FOR EACH ROW EXECUTE FUNCTION "hotel_count_tier_suites"();
