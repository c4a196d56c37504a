import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { createBookingServer } from "../src/http/server.js";
import { createTestDatabase, createTier, hotelOf, type TestDatabase } from "./support/db.js";
import { closeAll, listen, send, type Reply } from "./support/http.js";
import { holdNightLock, waitForLockWaiters } from "./support/sessions.js";

/** The front desk's operations over HTTP: holds, confirm, change, move, check-in/out, no-show, the day lists. */

let testDb: TestDatabase;
let db: Database;
let base: string;
const servers: Server[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open({ poolSize: 10 });
  const server = createBookingServer({ hotel: hotelOf(db, "web"), lockTimeoutMs: 300 });
  servers.push(server);
  base = await listen(server);
  await createTier(testDb, "standard", 2, "S");
  await createTier(testDb, "deluxe", 1, "D");
});
afterAll(async () => {
  await closeAll(servers);
  await testDb?.drop();
});

const api = (method: string, path: string, body?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Reply> =>
  send(`${base}${path}`, method, { body, headers });
const bookingOf = (reply: Reply): { id: number; suite: string; status: string; checkOut: string; expiresAt?: string } =>
  reply.json.booking as { id: number; suite: string; status: string; checkOut: string; expiresAt?: string };

describe("holds over HTTP", () => {
  it("POST /api/holds holds a suite until ttlSeconds; confirm makes it a booking, once", async () => {
    const held = await api("POST", "/api/holds", { tier: "standard", guestName: "Phone", checkIn: "2036-01-01", nights: 2, ttlSeconds: 300 });
    expect(held.status).toBe(201);
    expect(bookingOf(held)).toMatchObject({ status: "held", expiresAt: expect.stringMatching(/Z$/) });
    const id = bookingOf(held).id;
    const confirmed = await api("POST", `/api/bookings/${id}/confirm`);
    expect(confirmed).toMatchObject({ status: 200, json: { outcome: "confirmed", changed: true, booking: { status: "confirmed" } } });
    expect((await api("POST", `/api/bookings/${id}/confirm`)).json).toMatchObject({ outcome: "confirmed", changed: false });
    expect(await testDb.query(`SELECT actor, operation FROM events WHERE booking_id = $1 ORDER BY id`, [id])).toEqual([
      { actor: "web", operation: "hold" },
      { actor: "web", operation: "confirm" },
    ]);
  });

  it.each([
    [{ ttlSeconds: 0 }, "ttlSeconds"],
    [{ ttlSeconds: 86_401 }, "ttlSeconds"],
    [{ ttlSeconds: "15m" }, "ttlSeconds"],
    [{ tier: "nope" }, "tier"],
  ])("a bad hold %j is 400 naming %s and writes nothing", async (override, field) => {
    const before = await testDb.query(`SELECT count(*)::int AS n FROM bookings`);
    const reply = await api("POST", "/api/holds", { tier: "standard", guestName: "X", checkIn: "2036-01-05", nights: 1, ...override });
    expect(reply).toMatchObject({ status: 400, json: { field } });
    expect(await testDb.query(`SELECT count(*)::int AS n FROM bookings`)).toEqual(before);
  });
});

describe("PATCH /api/bookings/:id", () => {
  let badPatches = 0;
  it("changes the stay (200 with previous), moves it, and refuses what does not fit with 409, unchanged", async () => {
    const made = await api("POST", "/api/bookings", { tier: "standard", guestName: "Patch", checkIn: "2036-02-01", nights: 1 });
    const id = bookingOf(made).id;
    const extended = await api("PATCH", `/api/bookings/${id}`, { checkOut: "2036-02-03" }, { "Idempotency-Key": "patch-1" });
    expect(extended).toMatchObject({ status: 200, json: { outcome: "changed", changed: true, booking: { checkOut: "2036-02-03" }, previous: { checkOut: "2036-02-02" } } });
    const replay = await api("PATCH", `/api/bookings/${id}`, { checkOut: "2036-02-03" }, { "Idempotency-Key": "patch-1" });
    expect(replay).toMatchObject({ status: 200, headers: { "idempotent-replayed": "true" }, json: { replayed: true } });
    expect(await api("PATCH", `/api/bookings/${id}`, { checkOut: "2036-02-05" }, { "Idempotency-Key": "patch-1" })).toMatchObject({ status: 422 });
    const upgraded = await api("PATCH", `/api/bookings/${id}`, { tier: "deluxe" });
    expect(upgraded).toMatchObject({ status: 200, json: { outcome: "moved", booking: { suite: "D001", tier: "deluxe" }, previous: { tier: "standard" } } });
    await api("POST", "/api/bookings", { tier: "deluxe", guestName: "Next", checkIn: "2036-02-03", nights: 1 });
    const full = await api("PATCH", `/api/bookings/${id}`, { checkOut: "2036-02-04" });
    expect(full).toMatchObject({ status: 409, json: { code: "NO_AVAILABILITY" } });
    expect(bookingOf(await api("GET", `/api/bookings/${id}`))).toMatchObject({ suite: "D001", checkOut: "2036-02-03" });
  });

  it.each([
    [{ checkOut: "2036-02-30" }, "checkOut", 400],
    [{ nights: 0 }, "nights", 400],
    [{ checkOut: "2036-03-01", tier: "deluxe" }, "tier", 400],
    [{ suite: "S001", tier: "deluxe" }, "tier", 400],
    [{ colour: "blue" }, "colour", 400],
    [{ suite: "NOPE" }, "suite", 400],
    [{}, "checkOut", 400],
  ])("%j is refused naming %s (%i)", async (body, field, status) => {
    badPatches++;
    const made = await api("POST", "/api/bookings", { tier: "standard", guestName: "Bad patch", checkIn: `2036-04-${String(badPatches).padStart(2, "0")}`, nights: 1 });
    const reply = await api("PATCH", `/api/bookings/${bookingOf(made).id}`, body);
    expect(reply).toMatchObject({ status, json: { field } });
  });

  it("a change that cannot get its nights in time is 503 with Retry-After and changes nothing", async () => {
    const made = await api("POST", "/api/bookings", { tier: "standard", guestName: "Waits", checkIn: "2036-05-01", nights: 1 });
    const lock = await holdNightLock(testDb, "standard", "2036-05-02");
    try {
      const reply = await api("PATCH", `/api/bookings/${bookingOf(made).id}`, { checkOut: "2036-05-03" });
      expect(reply).toMatchObject({ status: 503, headers: { "retry-after": "1" }, json: { code: "BUSY" } });
    } finally {
      await lock.close();
    }
    expect(bookingOf(await api("GET", `/api/bookings/${bookingOf(made).id}`))).toMatchObject({ checkOut: "2036-05-02" });
  });
});

describe("check-in, check-out, no-show and the day lists", () => {
  it("a stay of today: arrivals, checkin, inhouse, checkout, departures; a no-show frees its suite", async () => {
    const today = new Date();
    const day = (offset: number): string =>
      new Date(Date.UTC(today.getFullYear(), today.getMonth(), today.getDate() + offset)).toISOString().slice(0, 10);
    const stay = bookingOf(await api("POST", "/api/bookings", { tier: "standard", guestName: "Today", checkIn: day(0), nights: 2 }));
    const other = bookingOf(await api("POST", "/api/bookings", { tier: "standard", guestName: "Never came", checkIn: day(0), nights: 2 }));
    expect((await api("GET", "/api/arrivals")).json).toMatchObject({ date: day(0), bookings: expect.arrayContaining([expect.objectContaining({ id: stay.id })]) });
    expect(await api("POST", `/api/bookings/${stay.id}/checkout`)).toMatchObject({ status: 409, json: { code: "INVALID_STATE" } });
    expect(await api("POST", `/api/bookings/${stay.id}/checkin`)).toMatchObject({ status: 200, json: { outcome: "checked_in", changed: true } });
    const inhouse = await api("GET", `/api/inhouse?date=${day(0)}`);
    expect((inhouse.json.bookings as { id: number; status: string }[]).find((b) => b.id === stay.id)).toMatchObject({ status: "checked_in" });
    expect(await api("POST", `/api/bookings/${stay.id}/checkout`)).toMatchObject({ status: 200, json: { booking: { status: "checked_out", checkOut: day(1) } } });
    expect((await api("GET", `/api/departures?date=${day(1)}`)).json.bookings).toEqual(expect.arrayContaining([expect.objectContaining({ id: stay.id })]));
    expect(await api("POST", `/api/bookings/${other.id}/noshow`)).toMatchObject({ status: 200, json: { outcome: "no_show" } });
    expect(await api("DELETE", `/api/bookings/${other.id}`)).toMatchObject({ status: 409, json: { code: "INVALID_STATE" } });
    expect(await api("GET", "/api/arrivals?date=someday")).toMatchObject({ status: 400, json: { field: "date" } });
    expect(await api("POST", "/api/bookings/999999/checkin")).toMatchObject({ status: 404 });
    expect((await api("GET", "/api/check")).json).toMatchObject({ ok: true, problems: [] });
  });
});

describe("concurrency over HTTP", () => {
  it("a change waiting for its night answers once the night is free", async () => {
    const made = bookingOf(await api("POST", "/api/bookings", { tier: "standard", guestName: "Patient", checkIn: "2036-07-01", nights: 1 }));
    const lock = await holdNightLock(testDb, "standard", "2036-07-02");
    const waiting = api("PATCH", `/api/bookings/${made.id}`, { checkOut: "2036-07-03" });
    await waitForLockWaiters(testDb, 1, "advisory");
    await lock.commit();
    expect(await waiting).toMatchObject({ status: 200, json: { booking: { checkOut: "2036-07-03" } } });
  });
});
