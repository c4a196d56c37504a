import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addToken } from "../src/core/tokens.js";
import type { Database } from "../src/db/database.js";
import { tokenAuthenticator } from "../src/http/auth.js";
import { createBookingServer } from "../src/http/server.js";
import { assertFreshBuild } from "./support/cli.js";
import { createTestDatabase, createTier, hotelOf, type TestDatabase } from "./support/db.js";
import { listen } from "./support/http.js";
import { runInProcess, type InProcessResult } from "./support/in-process.js";

// `hotel stress --url` against a server that requires API tokens: the
// authenticator `hotel serve` uses, bound as serve binds it beyond loopback
// (every /api/ request needs a token), in this process on this file's
// database. The token goes as Authorization: Bearer on every request; a
// refused one ends the run with exit 78 and is never printed.

const SUITES = 4;
let testDb: TestDatabase;
let db: Database;
let server: Server;
let base: string;
let frontdesk: string;
let readonly: string;
let scratch: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  await createTier(testDb, "standard", SUITES, "S");
  db = await testDb.open({ poolSize: 12 });
  const hotel = hotelOf(db, "server-actor");
  frontdesk = (await addToken(hotel, "stress-desk")).token;
  readonly = (await addToken(hotel, "night-audit", "readonly")).token;
  server = createBookingServer({ hotel, authenticate: tokenAuthenticator(hotel, { requireToken: true }) });
  base = await listen(server);
  scratch = mkdtempSync(path.join(os.tmpdir(), "hotel-stress-token-"));
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await testDb?.drop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** `hotel stress --url <the server>` in this process, on its own check-in day. */
const stress = (checkIn: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<InProcessResult> =>
  runInProcess(["stress", "--url", base, "--check-in", checkIn, "--yes", ...args], { env });

const bookingsOn = (checkIn: string) =>
  testDb.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM bookings WHERE check_in = $1 GROUP BY status ORDER BY status`, [checkIn]);

function expectRefusedRun(result: InProcessResult, message: string, secrets: string[]): void {
  expect(result.code, result.stderr).toBe(78);
  expect(result.stdout).toBe("");
  expect(result.stderr.trim().split("\n")).toEqual([`error: ${message}`]);
  for (const secret of secrets) expect(result.stderr).not.toContain(secret);
}

describe("hotel stress --url --token", () => {
  it("sends the token on every request: books exactly the suites there are, as the token, and the oracle is exact (the flag wins over HOTEL_TOKEN)", async () => {
    const result = await stress("2032-03-01", ["--token", frontdesk, "--n", "12", "--concurrency", "6", "--json"], { HOTEL_TOKEN: readonly });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      requested: 12,
      accepted: SUITES,
      refused: 12 - SUITES,
      errors: 0,
      capacity: SUITES,
      invariants: { overbookedNights: 0, doubleBookedSuites: 0, unjustifiedRefusals: null, phantomBookings: null, lostBookings: 0, ok: true },
      remote: { urls: [base], serverProblems: 0, cancelled: SUITES, cancelFailed: 0 },
      ok: true,
    });
    expect(result.stdout + result.stderr).not.toContain(frontdesk);
    // Every booking and every cancellation was made as the token (the server's actor is the token's name).
    expect(await bookingsOn("2032-03-01")).toEqual([{ status: "cancelled", n: SUITES }]);
    const actors = await testDb.query<{ operation: string; actor: string; n: number }>(
      `SELECT e.operation, e.actor, count(*)::int AS n FROM events e JOIN bookings b ON b.id = e.booking_id WHERE b.check_in = '2032-03-01' GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(actors).toEqual([
      { operation: "book", actor: "stress-desk", n: SUITES },
      { operation: "cancel", actor: "stress-desk", n: SUITES },
    ]);
  });

  it("without a token: exit 78 at the first request, one line naming the server, nothing booked", async () => {
    const result = await stress("2032-03-02", ["--n", "5"]);
    expectRefusedRun(result, `${base} requires an API token and none was sent (401): pass one with --token or HOTEL_TOKEN`, []);
    const json = await stress("2032-03-02", ["--n", "5", "--json"]);
    expect(json.code).toBe(78);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: "CONFIG", message: expect.stringContaining(`${base} requires an API token`) as string } });
    expect(await bookingsOn("2032-03-02")).toEqual([]);
  });

  it("an unknown token: exit 78, the token refused and not shown", async () => {
    const unknown = `htk_${"0".repeat(16)}_${"A".repeat(43)}`;
    const result = await stress("2032-03-03", ["--n", "5", "--verbose"], { HOTEL_TOKEN: unknown });
    expectRefusedRun(result, `${base} refused the API token (401: malformed, unknown to its property, or revoked): pass a valid one with --token or HOTEL_TOKEN`, [unknown, "A".repeat(43)]);
  });

  it("a readonly token: 403 on the first booking ends the run with exit 78; neither the output nor --out holds the token", async () => {
    const out = path.join(scratch, "readonly.ndjson");
    const result = await stress("2032-03-04", ["--token", readonly, "--n", "40", "--concurrency", "4", "--out", out, "--verbose"]);
    expectRefusedRun(result, `${base} refused the API token (403: it is read-only): stress books, so it needs a frontdesk token`, [readonly, readonly.slice(21)]);
    expect(readFileSync(out, "utf8")).not.toContain(readonly.slice(21));
    expect(await bookingsOn("2032-03-04")).toEqual([]);
    const json = await stress("2032-03-04", ["--token", readonly, "--n", "5", "--json"]);
    expect(json.code).toBe(78);
    expect(json.stdout).not.toContain(readonly);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "CONFIG" } });
  });

  it("a malformed token exits 65 without echoing it; --token without --url exits 64", async () => {
    const malformed = await stress("2032-03-05", ["--token", "htk_secret value"]);
    expect(malformed.code).toBe(65);
    expect(malformed.stderr).toContain("--token is not an API token");
    expect(malformed.stderr).not.toContain("secret value");
    const scratchRun = await runInProcess(["stress", "--token", frontdesk, "--n", "2"]);
    expect(scratchRun.code).toBe(64);
    expect(scratchRun.stderr).toContain("--token is sent to the servers of --url");
    expect(scratchRun.stderr).not.toContain(frontdesk);
  });

  it("--workers: the worker processes (the built CLI) send HOTEL_TOKEN's token too", async () => {
    assertFreshBuild();
    const result = await stress("2032-03-06", ["--n", "12", "--workers", "2", "--json"], { HOTEL_TOKEN: frontdesk });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ workers: 2, accepted: SUITES, refused: 12 - SUITES, errors: 0, invariants: { lostBookings: 0, ok: true } });
    expect(await bookingsOn("2032-03-06")).toEqual([{ status: "cancelled", n: SUITES }]);
    const refused = await stress("2032-03-07", ["--n", "12", "--workers", "2"], { HOTEL_TOKEN: readonly });
    expect(refused.code, refused.stderr).toBe(78);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain(`${base} refused the API token (403`);
    expect(refused.stderr).not.toContain(readonly);
  });
});
