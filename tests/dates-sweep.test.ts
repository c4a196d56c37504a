import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBookingServer } from "../src/http/server.js";
import { createTier, hotelOf, useTestDatabase } from "./support/db.js";
import { closeAll, listen, send } from "./support/http.js";
import { runInProcess } from "./support/in-process.js";

/**
 * Every path that takes a date, at the ends of the calendar hotel handles
 * (1900-01-01..9999-12-31), on a leap day and on a day that does not exist:
 * input errors are exit 65 / HTTP 400 naming the problem, never a database
 * error (exit 70 / 500), and nothing is written.
 */

const db = useTestDatabase();
const servers: Server[] = [];
let base: string;

beforeAll(async () => {
  await createTier(db, "edge", 2, "E");
  const server = createBookingServer({ hotel: hotelOf(await db.open({ poolSize: 4 })) });
  servers.push(server);
  base = await listen(server);
});
afterAll(() => closeAll(servers));

const cli = async (...args: string[]) => {
  const result = await runInProcess(["--database-url", db.url, ...args, "--json"]);
  return { code: result.code, document: JSON.parse(result.stdout) as { error?: { code: string; message: string } } };
};
const events = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`))[0]?.n;

describe("the CLI at the ends of the calendar", () => {
  it.each([
    [["book", "--tier", "edge", "--check-in", "1900-01-01", "--nights", "1", "--guest", "First day"], 0],
    [["book", "--tier", "edge", "--check-in", "2028-02-29", "--nights", "1", "--guest", "Leap day"], 0],
    [["book", "--tier", "edge", "--check-in", "9999-12-30", "--check-out", "9999-12-31", "--guest", "Last night"], 0],
    [["availability", "--from", "9999-12-30", "--nights", "1"], 0],
    [["bookings", "--from", "1900-01-01", "--to", "1900-01-02"], 0],
    [["arrivals", "--date", "9999-12-31"], 0],
  ])("%j works (exit %i)", async (args, code) => {
    const result = await cli(...args);
    expect(result.code, JSON.stringify(result.document)).toBe(code);
  });

  it.each([
    [["book", "--tier", "edge", "--check-in", "9999-12-31", "--nights", "2", "--guest", "X"], /ends after 9999-12-31/],
    [["book", "--tier", "edge", "--check-in", "0050-01-01", "--nights", "1", "--guest", "X"], /year is out of range \(1900-9999\)/],
    [["book", "--tier", "edge", "--check-in", "2027-02-29", "--nights", "1", "--guest", "X"], /does not exist in the calendar/],
    [["availability", "--from", "9999-12-31", "--nights", "2"], /ends after 9999-12-31/],
    [["availability", "--from", "0050-01-01"], /year is out of range/],
    [["bookings", "--from", "9999-12-31"], /ends after 9999-12-31/],
    [["bookings", "--from", "2027-02-29", "--to", "2027-03-01"], /does not exist in the calendar/],
    [["arrivals", "--date", "0050-01-01"], /year is out of range/],
    [["change", "1", "--check-in", "9999-12-31"], /9999-12-31/],
    [["change", "1", "--check-out", "0050-01-01"], /year is out of range/],
    [["stress", "--n", "1", "--check-in", "9999-12-31"], /9999/],
    [["stress", "--n", "1", "--check-in", "0050-01-01"], /year is out of range/],
  ])("%j exits 65 naming the problem and writes nothing", async (args, message) => {
    const before = await events();
    const result = await cli(...args);
    expect(result.code, JSON.stringify(result.document)).toBe(65);
    expect(result.document.error).toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(message) });
    expect(await events()).toBe(before);
  });
});

describe("HTTP at the ends of the calendar", () => {
  it.each([
    ["GET", "/api/availability?from=9999-12-31&nights=2", undefined, "nights", /ends after 9999-12-31/],
    ["GET", "/api/availability?from=0050-01-01", undefined, "from", /year is out of range/],
    ["GET", "/api/arrivals?date=2027-02-29", undefined, "date", /does not exist/],
    ["POST", "/api/bookings", { tier: "edge", guestName: "X", checkIn: "9999-12-31", nights: 2 }, "nights", /ends after 9999-12-31/],
    ["POST", "/api/bookings", { tier: "edge", guestName: "X", checkIn: "0050-01-01", nights: 1 }, "checkIn", /year is out of range/],
    ["POST", "/api/holds", { tier: "edge", guestName: "X", checkIn: "2027-02-29", nights: 1 }, "checkIn", /does not exist/],
  ] as const)("%s %s is 400 naming the field", async (method, path, body, field, message) => {
    const before = await events();
    const reply = await send(`${base}${path}`, method, { body: body as Record<string, unknown> | undefined });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.json).toMatchObject({ code: "INVALID_INPUT", field, error: expect.stringMatching(message) });
    expect(await events()).toBe(before);
  });

  it("PATCH a stay past 9999-12-31 is 400, and a leap-day change works", async () => {
    const made = await send(`${base}/api/bookings`, "POST", { body: { tier: "edge", guestName: "Patch", checkIn: "2028-02-27", nights: 1 } });
    const id = (made.json.booking as { id: number }).id;
    expect(await send(`${base}/api/bookings/${id}`, "PATCH", { body: { checkIn: "9999-12-31" } })).toMatchObject({ status: 400 });
    expect(await send(`${base}/api/bookings/${id}`, "PATCH", { body: { checkOut: "2028-03-01" } })).toMatchObject({ status: 200, json: { booking: { checkOut: "2028-03-01" } } });
  });
});
