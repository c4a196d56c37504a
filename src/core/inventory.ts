import type { Prisma } from "../generated/prisma/client.js";
import type { BookingView } from "./booking.js";
import { formatDate, today } from "./dates.js";
import { HotelError, notFound } from "./errors.js";
import { sqlName, type Hotel } from "./hotel.js";
import { propertyId } from "./properties.js";
import { rawQuery } from "./raw.js";
import * as validate from "./validate.js";
import { bookingView, bookingViewQuery, type BookingViewRow } from "./views.js";

/** Suites and tiers of a property: list, add, disable, enable, and the demo inventory. */

export interface SuiteView {
  number: string;
  tier: string;
  active: boolean;
}

/** The demo inventory of `hotel db seed`. */
export const DEMO_INVENTORY: ReadonlyArray<{ tier: string; prefix: string; first: number; count: number }> = [
  { tier: "standard", prefix: "S", first: 101, count: 10 },
  { tier: "deluxe", prefix: "D", first: 201, count: 5 },
  { tier: "presidential", prefix: "P", first: 301, count: 2 },
];

export interface SeedResult {
  tiersCreated: number;
  suitesCreated: number;
}

/** Loads the demo inventory; running it again creates nothing. */
export async function seedDemo(hotel: Hotel): Promise<SeedResult> {
  let tiersCreated = 0;
  let suitesCreated = 0;
  for (const { tier, prefix, first, count } of DEMO_INVENTORY) {
    const numbers = Array.from({ length: count }, (_, i) => `${prefix}${first + i}`);
    const result = await addSuites(hotel, tier, numbers, { skipExisting: true });
    tiersCreated += result.tierCreated ? 1 : 0;
    suitesCreated += result.added.length;
  }
  return { tiersCreated, suitesCreated };
}

export async function listSuites(hotel: Hotel, tier?: string): Promise<SuiteView[]> {
  const property = await propertyId(hotel);
  const tierName = tier === undefined ? null : validate.tierName(tier);
  return rawQuery<SuiteView>(
    hotel,
    `SELECT s.number, t.name AS tier, s.active
       FROM ${sqlName(hotel, "suites")} s JOIN ${sqlName(hotel, "tiers")} t ON t.property_id = s.property_id AND t.id = s.tier_id
      WHERE s.property_id = $1 AND ($2::text IS NULL OR t.name = $2)
      ORDER BY t.name, s.number`,
    property,
    tierName,
  );
}

/** Adds suites to a tier, creating the tier if it is new; one event per suite added. */
export async function addSuites(
  hotel: Hotel,
  rawTier: string,
  rawNumbers: string[],
  options: { skipExisting?: boolean } = {},
): Promise<{ tierCreated: boolean; added: SuiteView[] }> {
  const tier = validate.tierName(rawTier);
  const numbers = rawNumbers.map(validate.suiteNumber);
  if (numbers.length === 0) throw new HotelError("USAGE", "name at least one suite number to add");
  const property = await propertyId(hotel);
  return hotel.prisma.$transaction(async (tx) => {
    const before = await tx.tier.findUnique({ where: { propertyId_name: { propertyId: property, name: tier } } });
    const tierRow = before ?? (await tx.tier.upsert({ where: { propertyId_name: { propertyId: property, name: tier } }, create: { propertyId: property, name: tier, lockKey: 0 }, update: {} }));
    const existing = await tx.suite.findMany({ where: { propertyId: property, number: { in: numbers } }, include: { tier: true } });
    if (existing.length > 0 && !options.skipExisting) {
      const names = existing.map((suite) => `${suite.number} (${suite.tier.name})`).join(", ");
      throw new HotelError("INVALID_INPUT", `Suite ${names} already exists`);
    }
    const taken = new Set(existing.map((suite) => suite.number));
    const fresh = [...new Set(numbers)].filter((number) => !taken.has(number));
    const created = await tx.suite.createManyAndReturn({ data: fresh.map((number) => ({ propertyId: property, number, tierId: tierRow.id })), skipDuplicates: true });
    await tx.event.createMany({
      data: created.map((suite) => ({ propertyId: property, operation: "suite_add", actor: hotel.actor, suiteId: suite.id, after: { suite: suite.number, tier, active: true } })),
    });
    return { tierCreated: before === null, added: created.map((suite) => ({ number: suite.number, tier, active: true })) };
  });
}

export interface DisableResult {
  suite: SuiteView;
  /** Bookings from today on that take the suite. */
  futureBookings: BookingView[];
}

/**
 * Takes a suite out of service. Refused while bookings from today on take
 * it, unless forced. The update comes first, so that it waits for any
 * operation holding the suite row (the booking functions lock the suite
 * they pick FOR SHARE); the check after it then sees that booking, and the
 * refusal rolls back. An operation that waited for us sees the suite
 * inactive and picks another.
 */
export async function disableSuite(hotel: Hotel, rawNumber: string, options: { force?: boolean; now?: Date } = {}): Promise<DisableResult> {
  const number = validate.suiteNumber(rawNumber);
  const from = formatDate(today(options.now));
  const property = await propertyId(hotel);
  return hotel.prisma.$transaction(async (tx) => {
    const suite = await setActive(tx, hotel, property, number, false);
    const rows = await tx.$queryRawUnsafe<BookingViewRow[]>(
      `SELECT * FROM (${bookingViewQuery(hotel)} AND b.suite_id = $2 AND b.check_out > $3::date) v
        WHERE v.status IN ('held', 'confirmed', 'checked_in') ORDER BY v.check_in`,
      hotel.property,
      suite.id,
      from,
    );
    const futureBookings = rows.map(bookingView);
    if (futureBookings.length > 0 && !options.force) {
      const list = futureBookings.slice(0, 5).map((b) => `#${b.id} ${b.checkIn}..${b.checkOut}`).join(", ");
      const more = futureBookings.length > 5 ? ` and ${futureBookings.length - 5} more` : "";
      throw new HotelError("INVALID_INPUT", `Suite ${number} has ${futureBookings.length} booking(s) from ${from} on (${list}${more}); cancel or move them, or use --force`, {
        details: { bookings: futureBookings },
      });
    }
    return { suite: { number: suite.number, tier: suite.tier.name, active: false }, futureBookings };
  });
}

export async function enableSuite(hotel: Hotel, rawNumber: string): Promise<SuiteView> {
  const number = validate.suiteNumber(rawNumber);
  const property = await propertyId(hotel);
  const suite = await hotel.prisma.$transaction((tx) => setActive(tx, hotel, property, number, true));
  return { number: suite.number, tier: suite.tier.name, active: true };
}

/** Flips a suite's active flag and records the event; an unknown number is NOT_FOUND. */
async function setActive(tx: Prisma.TransactionClient, hotel: Hotel, property: number, number: string, active: boolean) {
  const suite = await tx.suite
    .update({ where: { propertyId_number: { propertyId: property, number } }, data: { active }, include: { tier: true } })
    .catch((error: unknown) => {
      if ((error as { code?: string }).code === "P2025") throw notFound(`No suite ${number}`);
      throw error;
    });
  await tx.event.create({
    data: {
      propertyId: property,
      operation: active ? "suite_enable" : "suite_disable",
      actor: hotel.actor,
      suiteId: suite.id,
      before: { suite: suite.number, tier: suite.tier.name, active: !active },
      after: { suite: suite.number, tier: suite.tier.name, active },
    },
  });
  return suite;
}
