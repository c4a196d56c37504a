import { readdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { createBookingServer } from "../src/http/server.js";
import { openScratchRun, resolveStressConfig } from "../src/stress/index.js";
import { assertFreshBuild } from "./support/cli.js";
import { createTestDatabase, createTier, type TestDatabase, hotelOf } from "./support/db.js";
import { runInProcess, type InProcessResult } from "./support/in-process.js";

// `hotel stress` over HTTP: through a `hotel serve` of its own (--via http),
// and against a running server (--url), here one started in this process on
// this file's database. The command runs in this process; the `hotel serve`
// of its own is the built CLI, a process of its own as always.

let testDb: TestDatabase;
let db: Database;
let server: Server;
let base: string;

beforeAll(async () => {
  assertFreshBuild();
  testDb = await createTestDatabase();
  await createTier(testDb, "standard", 6, "S");
  db = await testDb.open({ poolSize: 12 });
  server = createBookingServer({ hotel: hotelOf(db) });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await testDb?.drop();
});

const stress = (args: string[]): Promise<InProcessResult> => runInProcess(["stress", ...args, "--database-url", testDb.url]);

const bookingsByStatus = async (): Promise<Record<string, number>> =>
  Object.fromEntries((await testDb.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM bookings GROUP BY status`)).map((row) => [row.status, row.n]));

/** Processes whose command line holds all of `parts` (a leftover own `hotel serve` would). */
function processesWith(...parts: string[]): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
        const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
        return parts.every((part) => cmdline.includes(part) || environ.includes(part));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("GET /api/check", () => {
  it("answers 200 with the audit of `hotel check`, ok or not", async () => {
    const clean = await fetch(`${base}/api/check`);
    expect(clean.status).toBe(200);
    expect(await clean.json()).toMatchObject({ ok: true, checked: { suites: 6, tiers: 1 }, problems: [] });
    await testDb.query(`INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out) SELECT 1, id, tier_id, 'Check', '2031-05-01', '2031-05-02' FROM suites WHERE number = 'S006'`);
    await testDb.query(`UPDATE suites SET active = false WHERE number = 'S006'`);
    try {
      const damaged = await fetch(`${base}/api/check`);
      expect(damaged.status).toBe(200);
      expect(await damaged.json()).toMatchObject({ ok: false, problems: [expect.objectContaining({ kind: "booking-on-inactive-suite", suite: "S006" })] });
    } finally {
      await testDb.query(`UPDATE suites SET active = true WHERE number = 'S006'`);
      await testDb.query(`DELETE FROM bookings WHERE guest_name = 'Check'`);
    }
  });
});

describe("hotel stress --via http", () => {
  it("drives a hotel serve of its own over the scratch data, with the same audit and cleanup", async () => {
    const result = await stress(["--via", "http", "--n", "60", "--concurrency", "12", "--scenario", "overlapping", "--seed", "9", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown> & { scratch: { schema: string }; accepted: number; refused: number };
    expect(report).toMatchObject({
      via: "http",
      requested: 60,
      errors: 0,
      lockWaitMs: { p50: null, p95: null, max: null },
      invariants: { overbookedNights: 0, doubleBookedSuites: 0, unjustifiedRefusals: 0, phantomBookings: 0, lostBookings: 0, ok: true },
      ok: true,
    });
    expect(report.accepted + report.refused).toBe(60);
    expect(await testDb.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hotel\\_stress\\_%'`)).toEqual([]);
    expect(processesWith(report.scratch.schema)).toEqual([]);
  });

  it("with servers: 2 (the library's option) starts two serves of its own, stays exact, and stops both", async () => {
    const config = resolveStressConfig({ via: "http", n: 80, concurrency: 8, capacity: 20, seed: 4 });
    const run = await openScratchRun(config, { baseUrl: testDb.url, servers: 2 });
    try {
      expect(processesWith(run.schema)).toHaveLength(2);
      await run.drive();
    } catch (error) {
      await run.abandon();
      throw error;
    }
    const report = await run.finish();
    expect(report).toMatchObject({ requested: 80, accepted: 20, errors: 0, invariants: { ok: true, unjustifiedRefusals: 0 } });
    expect(processesWith(run.schema)).toEqual([]);
  });
});

describe("hotel stress --url", () => {
  it("off a terminal without --yes: exit 64 and nothing booked", async () => {
    const before = await bookingsByStatus();
    const human = await stress(["--url", base, "--n", "5"]);
    expect(human.code).toBe(64);
    expect(human.stderr).toContain("--yes");
    const json = await stress(["--url", base, "--n", "5", "--json"]);
    expect(json.code).toBe(64);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "USAGE" } });
    expect(await bookingsByStatus()).toEqual(before);
  });

  it("with --yes books the server's real inventory, audits through it and cancels its own bookings", async () => {
    const before = await bookingsByStatus();
    const result = await stress(["--url", base, "--n", "20", "--concurrency", "8", "--check-in", "2031-06-01", "--yes", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      via: "http",
      requested: 20,
      accepted: 6,
      refused: 14,
      capacity: 6,
      scratch: null,
      invariants: { overbookedNights: 0, doubleBookedSuites: 0, unjustifiedRefusals: null, phantomBookings: null, lostBookings: 0, ok: true },
      remote: { urls: [base], cancelled: 6, cancelFailed: 0, kept: false, serverProblems: 0 },
      ok: true,
    });
    const after = await bookingsByStatus();
    expect(after.confirmed ?? 0).toBe(before.confirmed ?? 0);
    expect(after.cancelled ?? 0).toBe((before.cancelled ?? 0) + 6);
    const guests = await testDb.query<{ guest_name: string }>(`SELECT guest_name FROM bookings WHERE status = 'cancelled' AND check_in = '2031-06-01'`);
    for (const { guest_name: guest } of guests) expect(guest).toMatch(/^stress-[0-9a-f]{6}-\d+$/);
  });

  it("--keep leaves the bookings it made; several --url are driven round-robin", async () => {
    const result = await stress(["--url", base, "--url", `${base}/`, "--n", "8", "--check-in", "2031-07-01", "--keep", "--yes", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 6, remote: { urls: [base, base], cancelled: 0, kept: true } });
    expect(await testDb.query(`SELECT count(*)::int AS n FROM bookings WHERE status = 'confirmed' AND check_in = '2031-07-01'`)).toEqual([{ n: 6 }]);
  });

  it("an unreachable server: exit 69, one line", async () => {
    const result = await stress(["--url", "http://127.0.0.1:9", "--n", "3", "--yes"]);
    expect(result.code).toBe(69);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("127.0.0.1:9");
  });
});
