import { checkIntegrity } from "../src/core/audit.js";
import { book } from "../src/core/book.js";
import { addDays, formatDate, parseDate } from "../src/core/dates.js";
import type { Hotel } from "../src/core/hotel.js";
import { addSuites } from "../src/core/inventory.js";
import { addProperty } from "../src/core/properties.js";
import { openDatabase } from "../src/db/database.js";
import { CHECK_IN } from "./scenarios.js";
import { withScratch } from "./scratch.js";

/**
 * Two properties booked at once against one alone, through the booking core
 * in this process: a flash-sale night (every request wants the same night of
 * one tier) in property "main" alone, then the same load split between
 * "main" and "second" (half the suites, half the requests and half the
 * clients each), rounds alternating, each round on a night of its own. The
 * properties' tiers are different rows, so their locks never meet: ideally
 * the two together sell as fast as one alone. Exact means every tier's night
 * sold out exactly (accepted = suites), nothing else than "no availability"
 * refused, no error, and `hotel check` clean for both properties.
 */

export interface PropertiesOptions {
  n: number;
  suites: number;
  concurrency: number;
  rounds: number;
}

export interface PropertiesSide {
  properties: number;
  requests: number;
  accepted: number;
  seconds: number;
  acceptedPerSec: number;
  exact: boolean;
  problems: string[];
}

interface Load {
  hotel: Hotel;
  tier: string;
  suites: number;
  n: number;
}

interface Side {
  loads: Load[];
  requests: number;
  accepted: number;
  ms: number;
  problems: string[];
}

const night = (offset: number): string => formatDate(addDays(parseDate(CHECK_IN, "check-in"), offset));
const numbers = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(4, "0")}`);
/** Warm-up bookings land this far from the measured nights. */
const WARM_UP_NIGHT = 300;

/** One flash-sale night of each load at once, `concurrency` clients shared between them; adds to `side`. */
async function drive(side: Side, offset: number, concurrency: number, record = true): Promise<void> {
  const clients = Math.max(1, Math.floor(concurrency / side.loads.length));
  const started = performance.now();
  const tallies = await Promise.all(side.loads.map((load) => flashNight(load, night(offset), night(offset + 1), clients, record ? load.n : clients * 4)));
  if (!record) return;
  side.ms += performance.now() - started;
  for (const [i, tally] of tallies.entries()) {
    const load = side.loads[i] as Load;
    side.requests += tally.requests;
    side.accepted += tally.accepted;
    const where = `${load.hotel.property}/${load.tier} on ${night(offset)}`;
    if (tally.accepted !== Math.min(load.n, load.suites)) side.problems.push(`${where}: ${tally.accepted} accepted for ${load.suites} suites`);
    if (tally.other.length > 0) side.problems.push(`${where}: ${tally.other.length} answer(s) neither accepted nor NO_AVAILABILITY, first: ${tally.other[0]}`);
  }
}

async function flashNight(load: Load, checkIn: string, checkOut: string, clients: number, n: number): Promise<{ requests: number; accepted: number; other: string[] }> {
  const tally = { requests: 0, accepted: 0, other: [] as string[] };
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      try {
        const outcome = await book(load.hotel, { tier: load.tier, guestName: `scale-${load.hotel.property}-${checkIn}-${i}`, checkIn, checkOut });
        if (outcome.outcome === "accepted") tally.accepted++;
        else if (outcome.outcome !== "refused" || outcome.code !== "NO_AVAILABILITY") tally.other.push(`${outcome.outcome} ${outcome.code}`);
      } catch (error) {
        tally.other.push(error instanceof Error ? error.message : String(error));
      }
      tally.requests++;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return tally;
}

export async function measureProperties(baseUrl: string, o: PropertiesOptions): Promise<{ one: PropertiesSide; two: PropertiesSide }> {
  return withScratch(baseUrl, async (scratch) => {
    const db = await openDatabase({ databaseUrl: scratch.databaseUrl, schema: scratch.name, poolSize: o.concurrency });
    try {
      const hotelOf = (property: string): Hotel => ({ prisma: db.prisma, schema: scratch.name, property, actor: "bench" });
      const [main, second] = [hotelOf("main"), hotelOf("second")];
      await addProperty(main, "second");
      const half = Math.floor(o.suites / 2);
      await addSuites(main, "solo", numbers("S", o.suites));
      await addSuites(main, "pair", numbers("A", half));
      await addSuites(second, "pair", numbers("B", half));
      const one: Side = { loads: [{ hotel: main, tier: "solo", suites: o.suites, n: o.n }], requests: 0, accepted: 0, ms: 0, problems: [] };
      const pair = (hotel: Hotel): Load => ({ hotel, tier: "pair", suites: half, n: Math.floor(o.n / 2) });
      const two: Side = { loads: [pair(main), pair(second)], requests: 0, accepted: 0, ms: 0, problems: [] };
      // Every pooled connection opened, the plans cached, V8 warm: on a night of its own.
      for (const side of [one, two]) await drive(side, WARM_UP_NIGHT, o.concurrency, false);
      for (let round = 0; round < o.rounds; round++) {
        const order = round % 2 === 0 ? [one, two] : [two, one];
        for (const side of order) await drive(side, round, o.concurrency);
      }
      for (const hotel of [main, second]) {
        const report = await checkIntegrity(hotel);
        const problem = `hotel check, ${hotel.property}: ${report.problems.length} problem(s)`;
        // "main" holds both sides' nights; "second" only the two properties'.
        if (report.problems.length > 0) for (const side of hotel === main ? [one, two] : [two]) side.problems.push(problem);
      }
      return { one: sideOf(one), two: sideOf(two) };
    } finally {
      await db.close();
    }
  });
}

const sideOf = (side: Side): PropertiesSide => ({
  properties: side.loads.length,
  requests: side.requests,
  accepted: side.accepted,
  seconds: Math.round(side.ms) / 1000,
  acceptedPerSec: side.ms > 0 ? Math.round((side.accepted / side.ms) * 10_000) / 10 : 0,
  exact: side.problems.length === 0,
  problems: side.problems.slice(0, 3),
});
