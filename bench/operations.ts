import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import pg from "pg";
import { book, hold } from "../src/core/book.js";
import { change, move, transition } from "../src/core/front-desk.js";
import type { Hotel } from "../src/core/hotel.js";
import { callOperation } from "../src/core/operation.js";
import { addDays, formatDate, parseDate } from "../src/core/dates.js";
import { openDatabase, sessionUrl } from "../src/db/database.js";
import { Histogram } from "../src/stress/index.js";
import { withPg } from "../src/stress/bookkeeping.js";
import { createInventory } from "../src/stress/scratch.js";
import { LIMIT_DDL, LIMIT_TABLE } from "./limit.js";
import { CHECK_IN, FLASH_NIGHT_KEY } from "./scenarios.js";
import { withScratch } from "./scratch.js";

/**
 * Each write operation alone (one client, nothing contended, every call
 * changes something), measured in slices that alternate with slices of the
 * limit transaction (BEGIN; lock; INSERT; COMMIT, one round trip each,
 * node-pg), so that the machine's background load hits both alike. Two
 * measures per call: the client's wall time (p50), and the server's CPU,
 * read from the backend's /proc/<pid>/stat when PostgreSQL runs on this
 * machine (far less sensitive to the load of other processes than wall time).
 * "book, no event" is hotel_book() with its event insert removed (a copy in
 * the scratch schema only): its difference with "book" is what the event costs.
 * "the writes alone" is the floor under any booking with these guarantees:
 * the night's lock, the booking row (its indexes, checks, foreign key and
 * count trigger) and its event, one round trip, no lookup and no function.
 */

export interface OperationRow {
  operation: string;
  count: number;
  p50Ms: number;
  /** Server CPU per call, ms; null when the server's processes cannot be read here. */
  serverCpuMs: number | null;
}

export interface OperationsResult {
  limit: OperationRow;
  operations: OperationRow[];
}

type Call = (index: number) => Promise<unknown>;

interface Measured {
  name: string;
  call: Call;
  pid: number;
  latency: Histogram;
  /** Server CPU over the timed calls, ms (NaN once a reading failed). */
  cpuMs: number;
  /** The next call's index (warm-up calls included). */
  next: number;
}

const EVENT_INSERT = /INSERT\s+INTO\s+"events"\s*\([^;]*?'book'\s+ELSE\s+'hold'\s+END[^;]*;/;

/** hotel_book() as installed by the migrations, renamed and without its event insert. */
async function createEventFreeCopy(client: pg.Client): Promise<void> {
  const [row] = (await client.query<{ def: string }>(`SELECT pg_get_functiondef('hotel_book'::regproc) AS def`)).rows;
  const definition = row?.def ?? "";
  if (!EVENT_INSERT.test(definition)) throw new Error("hotel_book() no longer has the expected event insert: update bench/operations.ts");
  await client.query(definition.replace(/FUNCTION\s+((?:"?\w+"?\.)?)"?hotel_book"?\s*\(/, "FUNCTION $1hotel_book_noevent(").replace(EVENT_INSERT, "NULL;"));
}

let ticksPerSecond: number | undefined;
/**
 * CPU (user + system) of a local process, ms; undefined when it is not a
 * PostgreSQL process of this machine. From the scheduler's own count, in
 * nanoseconds (/proc/<pid>/schedstat), where the kernel keeps one; else from
 * /proc/<pid>/stat, in clock ticks (10 ms: a slice of calls then reads a few
 * ticks, and only many slices average out).
 */
function processCpuMs(pid: number): number | undefined {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres")) return undefined;
    const ranNs = Number(readSchedstat(pid)?.split(" ")[0]);
    if (Number.isFinite(ranNs) && ranNs > 0) return ranNs / 1e6;
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

function readSchedstat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/schedstat`, "utf8");
  } catch {
    return undefined;
  }
}

const night = (offset: number): string => formatDate(addDays(parseDate(CHECK_IN, "check-in"), offset));
/** 30 nights per operation, each night its own: no operation meets another's bookings. */
const nightOf = (block: number, index: number): string => night(block * 40 + (index % 30));
/** Every timed call must have written something: a booking accepted, or a booking changed. */
const expectChanged = (what: string, outcome: { outcome: string; changed?: boolean }): void => {
  if (outcome.outcome !== "accepted" && outcome.changed !== true) throw new Error(`${what}: ${JSON.stringify(outcome)}`);
};

/** Bookings (or holds) made before the clock starts, for the operations that need one each. */
async function prepared(hotel: Hotel, block: number, n: number, ttlSeconds?: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const request = { tier: "standard", guestName: `prepared-${block}-${i}`, checkIn: nightOf(block, i), checkOut: night(block * 40 + (i % 30) + 1) };
    const outcome = ttlSeconds ? await hold(hotel, { ...request, ttlSeconds }) : await book(hotel, request);
    if (outcome.outcome !== "accepted") throw new Error(`preparing block ${block}: ${outcome.outcome}`);
    ids.push(outcome.booking.id);
  }
  return ids;
}

async function operationCalls(hotel: Hotel, n: number): Promise<[string, Call][]> {
  const stay = (block: number, i: number) => ({ tier: "standard", guestName: `op-${block}-${i}`, checkIn: nightOf(block, i), checkOut: night(block * 40 + (i % 30) + 1) });
  const [holds, changes, moves] = [await prepared(hotel, 2, n + WARM_UP, 3600), await prepared(hotel, 3, n + WARM_UP), await prepared(hotel, 4, n + WARM_UP)];
  const id = (ids: number[], i: number): number => ids[i] ?? 0;
  return [
    ["book", async (i) => expectChanged("book", await book(hotel, stay(0, i)))],
    ["hold", async (i) => expectChanged("hold", await hold(hotel, { ...stay(1, i), ttlSeconds: 900 }))],
    ["confirm", async (i) => expectChanged("confirm", await transition(hotel, "confirm", id(holds, i)))],
    ["change (one more night)", async (i) => expectChanged("change", await change(hotel, id(changes, i), { nights: 2 }))],
    ["move (to another tier)", async (i) => expectChanged("move", await move(hotel, id(moves, i), { tier: "deluxe" }))],
    [
      "book, no event",
      async (i) => {
        const s = stay(5, i);
        const row = await callOperation(hotel, "hotel_book_noevent", [1, s.tier, s.guestName, s.checkIn, s.checkOut, null, 5000, null, hotel.actor], BOOK_CASTS);
        expectChanged("book, no event", row);
      },
    ],
  ];
}

const BOOK_CASTS = ["int", "text", "text", "date", "date", "text", "int", "int", "text"];

/** The name of the floor's row: what a booking writes, without what it reads or decides. */
export const WRITES_ALONE = "the writes alone: lock, INSERT booking, INSERT event (1 round trip)";

/**
 * The floor: one simple-protocol query (one implicit transaction) that takes
 * the night's lock and writes the booking and its event as hotel_book() does,
 * on nights no operation uses, each call on a suite-night of its own.
 */
async function writesAloneCall(client: pg.Client): Promise<Call> {
  const { rows } = await client.query<{ property_id: number; tier_id: number; lock_key: number; suites: number[]; numbers: string[] }>(
    `SELECT t.property_id, t.id AS tier_id, t.lock_key, array_agg(s.id ORDER BY s.number) AS suites, array_agg(s.number ORDER BY s.number) AS numbers
     FROM tiers t JOIN suites s ON s.property_id = t.property_id AND s.tier_id = t.id WHERE t.name = 'standard' GROUP BY t.property_id, t.id, t.lock_key`,
  );
  const tier = rows[0];
  if (!tier) throw new Error("the writes alone: no standard tier");
  return async (i) => {
    const checkIn = nightOf(6, i);
    const slot = Math.floor(i / 30);
    await client.query(
      `SELECT pg_advisory_xact_lock(${tier.lock_key}, DATE '${checkIn}' - DATE '1970-01-01');
       WITH b AS (
         INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out, status)
         VALUES (${tier.property_id}, ${tier.suites[slot]}, ${tier.tier_id}, 'floor-${i}', DATE '${checkIn}', DATE '${checkIn}' + 1, 'confirmed') RETURNING *)
       INSERT INTO events (property_id, operation, actor, booking_id, after)
       SELECT b.property_id, 'book', 'bench', b.id, hotel_booking_doc(b, '${tier.numbers[slot]}', 'standard') FROM b`,
    );
  };
}

export async function measureOperations(baseUrl: string, n: number, slice: number): Promise<OperationsResult> {
  return withScratch(baseUrl, async (scratch) => {
    // A change adds each stay a night, on the night after: room for both.
    const capacity = Math.ceil(((n + WARM_UP) * 3) / 30) + 5;
    await createInventory(scratch, {
      tiers: [
        { name: "standard", prefix: "STA", capacity },
        { name: "deluxe", prefix: "DLX", capacity },
      ],
      checkIn: CHECK_IN,
      warmUpRequests: 0,
      prefill: 0,
      historyNights: 0,
    });
    await withPg(sessionUrl(scratch.databaseUrl, scratch.name), async (client) => {
      await createEventFreeCopy(client);
      await client.query(LIMIT_DDL);
    });
    const db = await openDatabase({ databaseUrl: scratch.databaseUrl, schema: scratch.name, poolSize: 1 });
    const limitClient = new pg.Client({ connectionString: sessionUrl(scratch.databaseUrl, scratch.name) });
    limitClient.on("error", () => undefined);
    try {
      await limitClient.connect();
      const hotel: Hotel = { prisma: db.prisma, schema: scratch.name, property: "main", actor: "bench" };
      const calls = await operationCalls(hotel, n);
      // Statistics that know the prepared bookings, as a database in use has them.
      await withPg(sessionUrl(scratch.databaseUrl, scratch.name), (client) => client.query("ANALYZE bookings, events, tier_night_counts"));
      const pid = async (query: () => Promise<{ pid: number }[]>): Promise<number> => (await query())[0]?.pid ?? 0;
      const opsPid = await pid(() => db.prisma.$queryRawUnsafe<{ pid: number }[]>("SELECT pg_backend_pid() AS pid"));
      const limitPid = await pid(async () => (await limitClient.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows);
      const limit = measured("limit: BEGIN; lock; INSERT; COMMIT (4 round trips)", limitPid, (i) => limitTransaction(limitClient, i));
      const operations = [...calls.map(([name, call]) => measured(name, opsPid, call)), measured(WRITES_ALONE, limitPid, await writesAloneCall(limitClient))];
      await alternate(limit, operations, n, slice);
      return { limit: rowOf(limit), operations: operations.map(rowOf) };
    } finally {
      await limitClient.end().catch(() => undefined);
      await db.close();
    }
  });
}

const measured = (name: string, pid: number, call: Call): Measured => ({ name, call, pid, latency: new Histogram(), cpuMs: 0, next: 0 });

async function limitTransaction(client: pg.Client, index: number): Promise<void> {
  await client.query("BEGIN");
  await client.query({ name: "ops_limit_lock", text: "SELECT pg_advisory_xact_lock(1, $1)", values: [FLASH_NIGHT_KEY] });
  await client.query({ name: "ops_limit_insert", text: `INSERT INTO ${LIMIT_TABLE} (night, guest) VALUES ($1, $2)`, values: [FLASH_NIGHT_KEY, `ops-${index}`] });
  await client.query("COMMIT");
}

/** Untimed calls of each before the clock starts. */
const WARM_UP = 10;

/** Slices of `slice` calls: each operation's, then the limit's, until every operation made `n` timed calls. */
async function alternate(limit: Measured, operations: Measured[], n: number, slice: number): Promise<void> {
  for (const target of [limit, ...operations]) for (let i = 0; i < WARM_UP; i++) await target.call(target.next++);
  while (operations.some((op) => op.next < n + WARM_UP)) {
    for (const op of operations) {
      await runSlice(op, Math.min(slice, n + WARM_UP - op.next));
      await runSlice(limit, slice);
    }
  }
}

async function runSlice(target: Measured, count: number): Promise<void> {
  if (count <= 0) return;
  const cpuBefore = processCpuMs(target.pid);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await target.call(target.next++);
    target.latency.record(performance.now() - started);
  }
  const cpuAfter = processCpuMs(target.pid);
  target.cpuMs = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : target.cpuMs + cpuAfter - cpuBefore;
}

function rowOf(target: Measured): OperationRow {
  const count = target.latency.count;
  return {
    operation: target.name,
    count,
    p50Ms: target.latency.percentiles().p50,
    serverCpuMs: Number.isFinite(target.cpuMs) && count > 0 ? Math.round((target.cpuMs / count) * 1000) / 1000 : null,
  };
}
