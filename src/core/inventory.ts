import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { HotelError, notFound } from "./errors.js";
import { formatDate, today } from "./dates.js";
import { BOOKING_INCLUDE, bookingView } from "./views.js";
import type { BookingView } from "./booking.js";
import * as validate from "./validate.js";

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
export async function seedDemo(prisma: PrismaClient): Promise<SeedResult> {
  let tiersCreated = 0;
  let suitesCreated = 0;
  for (const { tier, prefix, first, count } of DEMO_INVENTORY) {
    const numbers = Array.from({ length: count }, (_, i) => `${prefix}${first + i}`);
    const result = await addSuites(prisma, tier, numbers, { skipExisting: true });
    tiersCreated += result.tierCreated ? 1 : 0;
    suitesCreated += result.added.length;
  }
  return { tiersCreated, suitesCreated };
}

export async function listSuites(prisma: PrismaClient, tier?: string): Promise<SuiteView[]> {
  const rows = await prisma.suite.findMany({
    where: tier === undefined ? {} : { tier: { name: validate.tierName(tier) } },
    include: { tier: { select: { name: true } } },
    orderBy: [{ tier: { name: "asc" } }, { number: "asc" }],
  });
  return rows.map((row) => ({ number: row.number, tier: row.tier.name, active: row.active }));
}

/** Adds suites to a tier, creating the tier if it is new. */
export async function addSuites(
  prisma: PrismaClient,
  rawTier: string,
  rawNumbers: string[],
  options: { skipExisting?: boolean } = {},
): Promise<{ tierCreated: boolean; added: SuiteView[] }> {
  const tier = validate.tierName(rawTier);
  const numbers = rawNumbers.map(validate.suiteNumber);
  if (numbers.length === 0) throw new HotelError("USAGE", "name at least one suite number to add");
  return prisma.$transaction(async (tx) => {
    const inserted = await tx.$queryRaw<{ id: number }[]>`
      INSERT INTO tiers (name) VALUES (${tier}) ON CONFLICT (name) DO NOTHING RETURNING id`;
    const tierRow = await tx.tier.findUniqueOrThrow({ where: { name: tier } });
    const existing = await tx.suite.findMany({ where: { number: { in: numbers } }, include: { tier: true } });
    if (existing.length > 0 && !options.skipExisting) {
      const names = existing.map((suite) => `${suite.number} (${suite.tier.name})`).join(", ");
      throw new HotelError("INVALID_INPUT", `Suite ${names} already exists`);
    }
    const taken = new Set(existing.map((suite) => suite.number));
    const fresh = [...new Set(numbers)].filter((number) => !taken.has(number));
    await tx.suite.createMany({ data: fresh.map((number) => ({ number, tierId: tierRow.id })), skipDuplicates: true });
    return { tierCreated: inserted.length > 0, added: fresh.map((number) => ({ number, tier, active: true })) };
  });
}

export interface DisableResult {
  suite: SuiteView;
  /** Confirmed bookings from today on that stay on the suite. */
  futureBookings: BookingView[];
}

/**
 * Takes a suite out of service. Refused while it has confirmed bookings from
 * today on, unless forced. The update comes first so that it waits for any
 * booking transaction holding the suite row (hotel_book() takes it FOR SHARE);
 * the check after it then sees that booking, and the refusal rolls back.
 */
export async function disableSuite(prisma: PrismaClient, rawNumber: string, options: { force?: boolean; now?: Date } = {}): Promise<DisableResult> {
  const number = validate.suiteNumber(rawNumber);
  const from = today(options.now);
  return prisma.$transaction(async (tx) => {
    const suite = await setActive(tx, number, false);
    const future = await tx.booking.findMany({
      where: { suiteId: suite.id, status: "confirmed", checkOut: { gt: from } },
      include: BOOKING_INCLUDE,
      orderBy: { checkIn: "asc" },
    });
    const futureBookings = future.map(bookingView);
    if (futureBookings.length > 0 && !options.force) {
      const list = futureBookings.slice(0, 5).map((b) => `#${b.id} ${b.checkIn}..${b.checkOut}`).join(", ");
      const more = futureBookings.length > 5 ? ` and ${futureBookings.length - 5} more` : "";
      throw new HotelError(
        "INVALID_INPUT",
        `Suite ${number} has ${futureBookings.length} booking(s) from ${formatDate(from)} on (${list}${more}); cancel them or use --force`,
        { details: { bookings: futureBookings } },
      );
    }
    return { suite: { number: suite.number, tier: suite.tier.name, active: false }, futureBookings };
  });
}

export async function enableSuite(prisma: PrismaClient, rawNumber: string): Promise<SuiteView> {
  const number = validate.suiteNumber(rawNumber);
  const suite = await setActive(prisma, number, true);
  return { number: suite.number, tier: suite.tier.name, active: true };
}

/** Flips a suite's active flag; an unknown number is NOT_FOUND. */
function setActive(prisma: Prisma.TransactionClient, number: string, active: boolean) {
  return prisma.suite.update({ where: { number }, data: { active }, include: { tier: true } }).catch((error: unknown) => {
    if ((error as { code?: string }).code === "P2025") throw notFound(`No suite ${number}`);
    throw error;
  });
}
