-- The booking schema. Tables, keys and indexes follow what `prisma migrate`
-- generates for prisma/schema.prisma; the rest is written by hand because
-- Prisma cannot express it: the exclusion constraint that makes a double
-- booking impossible, the CHECK on the stay, and the indexes the booking
-- function needs.

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
