import http, { type Server } from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hotel } from "../src/core/hotel.js";
import { addSuites } from "../src/core/inventory.js";
import { addProperty } from "../src/core/properties.js";
import { addToken, revokeToken } from "../src/core/tokens.js";
import type { Database } from "../src/db/database.js";
import { tokenAuthenticator } from "../src/http/auth.js";
import { createBookingServer, type RequestLogEntry } from "../src/http/server.js";
import { createTestDatabase, hotelOf, type TestDatabase } from "./support/db.js";
import { listen, send, type Reply } from "./support/http.js";

// `hotel serve`'s token rules, on createBookingServer with the authenticator
// serve uses, in-process. Each test has a property (and so a token set) of
// its own. The built CLI's wiring is in tests/tokens-e2e.test.ts.

let testDb: TestDatabase;
let db: Database;
const servers: Server[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open({ poolSize: 10 });
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await testDb?.drop();
});

interface Served {
  hotel: Hotel;
  url: string;
  log: RequestLogEntry[];
}

/** A property with one tier of two suites, served on loopback; `requireToken` as when bound beyond it. */
async function serveProperty(name: string, requireToken = false): Promise<Served> {
  const hotel: Hotel = { ...hotelOf(db, "server-actor"), property: name };
  await addProperty(hotel, name);
  await addSuites(hotel, "standard", ["S1", "S2"]);
  const log: RequestLogEntry[] = [];
  const server = createBookingServer({ hotel, authenticate: tokenAuthenticator(hotel, { requireToken }), log: (entry) => log.push(entry) });
  servers.push(server);
  return { hotel, url: await listen(server), log };
}

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
const booking = (guestName: string, checkIn = "2032-01-10") => ({ suiteType: "standard", checkIn, nights: 1, guestName });
const bookingsOf = async (property: string) =>
  testDb.query<{ id: number; status: string }>(`SELECT b.id, b.status FROM bookings b JOIN properties p ON p.id = b.property_id WHERE p.name = $1 ORDER BY b.id`, [property]);

/** Every /api/ route of the README, and one that does not exist. */
const ROUTES: [method: string, path: string][] = [
  ["POST", "/api/bookings"],
  ["POST", "/api/holds"],
  ["GET", "/api/bookings/1"],
  ["HEAD", "/api/bookings/1"],
  ["PATCH", "/api/bookings/1"],
  ["DELETE", "/api/bookings/1"],
  ...["confirm", "checkin", "checkout", "noshow"].map((op): [string, string] => ["POST", `/api/bookings/1/${op}`]),
  ["GET", "/api/availability"],
  ["GET", "/api/arrivals"],
  ["GET", "/api/departures"],
  ["GET", "/api/inhouse"],
  ["GET", "/api/check"],
  ["GET", "/api/no-such-route"],
];

function expectUnauthorized(reply: Reply, presented: boolean, what = ""): void {
  expect(reply.status, `${what}: ${reply.text}`).toBe(401);
  expect(reply.headers["www-authenticate"], what).toBe(presented ? 'Bearer realm="hotel", error="invalid_token"' : 'Bearer realm="hotel"');
  if (reply.text !== "") expect(reply.json, what).toMatchObject({ code: "UNAUTHORIZED", error: expect.any(String) as string });
}

describe("hotel serve with API tokens", () => {
  it("with no token at all, loopback is open as the server's actor; once one exists every /api/ route needs it and /healthz never does", async () => {
    const { hotel, url } = await serveProperty("p-open");
    const open = await send(`${url}/api/bookings`, "POST", { body: booking("Before tokens") });
    expect(open.status, open.text).toBe(201);
    expect(await testDb.query(`SELECT actor FROM events WHERE booking_id = $1`, [(open.json.booking as { id: number }).id])).toEqual([{ actor: "server-actor" }]);

    await addToken(hotel, "desk-1");
    const before = await bookingsOf("p-open");
    for (const [method, path] of ROUTES) {
      const body = method === "POST" || method === "PATCH" ? booking("No token", "2032-01-11") : undefined;
      expectUnauthorized(await send(`${url}${path}`, method, { body }), false, `${method} ${path}`);
    }
    expect(await bookingsOf("p-open")).toEqual(before);
    const health = await send(`${url}/healthz`, "GET");
    expect(health.status).toBe(200);
  });

  it("a frontdesk token reads and writes as its name (the events say desk-1); a readonly token reads, and every write is 403 and changes nothing", async () => {
    const { hotel, url, log } = await serveProperty("p-roles");
    const desk = (await addToken(hotel, "desk-1")).token;
    const audit = (await addToken(hotel, "audit-1", "readonly")).token;

    const created = await send(`${url}/api/bookings`, "POST", { body: booking("Ada"), headers: bearer(desk) });
    expect(created.status, created.text).toBe(201);
    const id = (created.json.booking as { id: number }).id;
    const cancelled = await send(`${url}/api/bookings/${id}`, "DELETE", { headers: bearer(desk) });
    expect(cancelled.status).toBe(200);
    expect(await testDb.query(`SELECT operation, actor FROM events WHERE booking_id = $1 ORDER BY id`, [id])).toEqual([
      { operation: "book", actor: "desk-1" },
      { operation: "cancel", actor: "desk-1" },
    ]);
    expect(log.filter((entry) => entry.status < 300).map((entry) => entry.actor)).toEqual(["desk-1", "desk-1"]);

    const kept = await send(`${url}/api/bookings`, "POST", { body: booking("Kept", "2032-01-12"), headers: bearer(desk) });
    const keptId = (kept.json.booking as { id: number }).id;
    expect((await send(`${url}/api/bookings/${keptId}`, "GET", { headers: bearer(audit) })).status).toBe(200);
    expect((await send(`${url}/api/availability?from=2032-01-12&nights=1`, "GET", { headers: bearer(audit) })).status).toBe(200);
    const before = await bookingsOf("p-roles");
    const writes: [string, string, Record<string, unknown> | undefined][] = [
      ["POST", "/api/bookings", booking("Readonly", "2032-01-13")],
      ["POST", "/api/holds", booking("Readonly", "2032-01-13")],
      ["PATCH", `/api/bookings/${keptId}`, { nights: 2 }],
      ["DELETE", `/api/bookings/${keptId}`, undefined],
      ["POST", `/api/bookings/${keptId}/checkin`, undefined],
    ];
    for (const [method, path, body] of writes) {
      const reply = await send(`${url}${path}`, method, { body, headers: bearer(audit) });
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.json).toMatchObject({ code: "FORBIDDEN", error: expect.stringContaining('"audit-1" is read-only') as string });
    }
    expect(await bookingsOf("p-roles")).toEqual(before);
  });

  it("a wrong, unknown or revoked token is 401 invalid_token; revoking takes effect on the next request, even on an open connection", async () => {
    const { hotel, url } = await serveProperty("p-revoke");
    const token = (await addToken(hotel, "soon-gone")).token;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send(`${url}/api/check`, "GET", { headers: bearer(token), agent })).status).toBe(200);
      const socket = Object.values(agent.freeSockets).flat()[0];
      expect(socket).toBeDefined();
      await revokeToken(hotel, "soon-gone");
      const next = await send(`${url}/api/check`, "GET", { headers: bearer(token), agent });
      expectUnauthorized(next, true);
      expect(Object.values(agent.freeSockets).flat()[0]).toBe(socket);
    } finally {
      agent.destroy();
    }
    const other = (await addToken(hotel, "other")).token;
    const flipped = other.slice(0, -1) + (other.endsWith("A") ? "B" : "A");
    expectUnauthorized(await send(`${url}/api/check`, "GET", { headers: bearer(flipped) }), true, "one character changed");
    expectUnauthorized(await send(`${url}/api/check`, "GET", { headers: bearer(`htk_0123456789abcdef_${"A".repeat(43)}`) }), true, "unknown lookup id");
    expect((await send(`${url}/api/check`, "GET", { headers: bearer(other) })).status).toBe(200);
  });

  it("a token of another property is 401 here", async () => {
    const here = await serveProperty("p-here");
    const there = await serveProperty("p-there");
    await addToken(here.hotel, "local");
    const foreign = (await addToken(there.hotel, "local")).token;
    expectUnauthorized(await send(`${here.url}/api/check`, "GET", { headers: bearer(foreign) }), true);
    expect((await send(`${there.url}/api/check`, "GET", { headers: bearer(foreign) })).status).toBe(200);
  });

  it("a malformed Authorization header is 401, never 500; the scheme is case-insensitive", async () => {
    const { hotel, url, log } = await serveProperty("p-malformed");
    const token = (await addToken(hotel, "desk")).token;
    const presented: [string, string][] = [
      ["Bearer", "scheme alone"],
      ["Bearer ", "scheme and a space"],
      ["Bearer    ", "scheme and spaces"],
      ["Bearer htk_", "prefix only"],
      ["Bearer htk_zz_short", "wrong shape"],
      [`Bearer ${token} ${token}`, "two tokens"],
      [`Bearer ${token}x`, "one character more"],
      [`Bearer ${token.slice(0, -1)}`, "one character less"],
      [`Bearer "${token}"`, "quoted"],
      [`Bearer ${"A".repeat(8000)}`, "8 KB"],
      [`Bearer ${token}${" ".repeat(600)}.`, "over the length limit"],
      ["Bearer %00%0a", "percent-encoded control characters"],
    ];
    for (const [header, what] of presented) expectUnauthorized(await send(`${url}/api/check`, "GET", { headers: { Authorization: header } }), true, what);
    for (const [header, what] of [
      ["", "empty"],
      ["Basic ZGVzazpzZWNyZXQ=", "Basic"],
      [token, "no scheme"],
      ["Token abc", "another scheme"],
      ["Bearer\t" + token, "a tab where the space goes"],
    ]) {
      expectUnauthorized(await send(`${url}/api/check`, "GET", { headers: { Authorization: header as string } }), false, what);
    }
    // Bytes beyond ASCII reach the server (Node's parser takes them as latin1).
    const garbage = await rawRequest(url, Buffer.concat([Buffer.from("Bearer "), Buffer.from(Array.from({ length: 120 }, (_, i) => 0x80 + i))]));
    expect(garbage).toMatch(/^HTTP\/1\.1 401 /);
    // Beyond Node's header limit (16 KB) the parser answers 431 before any code of ours runs.
    expect(await rawRequest(url, Buffer.from(`Bearer ${"A".repeat(20_000)}`))).toMatch(/^HTTP\/1\.1 431 /);

    expect((await send(`${url}/api/check`, "GET", { headers: { Authorization: `bearer ${token}` } })).status).toBe(200);
    expect((await send(`${url}/api/check`, "GET", { headers: { Authorization: `BEARER   ${token}  ` } })).status).toBe(200);
    expect(log.filter((entry) => entry.status >= 500)).toEqual([]);
  });

  it("bound beyond loopback: with no token at all every /api/ request is 401, and revoking the last token never opens it", async () => {
    const { hotel, url } = await serveProperty("p-beyond", true);
    expectUnauthorized(await send(`${url}/api/check`, "GET"), false);
    expectUnauthorized(await send(`${url}/api/bookings`, "POST", { body: booking("Nobody") }), false);
    expect((await send(`${url}/healthz`, "GET")).status).toBe(200);
    const token = (await addToken(hotel, "only")).token;
    expect((await send(`${url}/api/check`, "GET", { headers: bearer(token) })).status).toBe(200);
    await revokeToken(hotel, "only");
    expectUnauthorized(await send(`${url}/api/check`, "GET"), false);
    expectUnauthorized(await send(`${url}/api/check`, "GET", { headers: bearer(token) }), true);
    expect(await bookingsOf("p-beyond")).toEqual([]);
  });

  it("last_used_at moves on at most once a minute per token", async () => {
    const { hotel, url } = await serveProperty("p-used");
    const token = (await addToken(hotel, "counted")).token;
    const lastUsed = async (): Promise<Date | null> =>
      (await testDb.query<{ last_used_at: Date | null }>(`SELECT last_used_at FROM api_tokens WHERE name = 'counted' AND public_id = $1`, [token.slice(4, 20)]))[0]!.last_used_at;
    expect(await lastUsed()).toBeNull();
    expect((await send(`${url}/api/check`, "GET", { headers: bearer(token) })).status).toBe(200);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    for (let i = 0; i < 5; i++) await send(`${url}/api/check`, "GET", { headers: bearer(token) });
    expect(await lastUsed()).toEqual(first);
    // As if the last use were 61 seconds ago: the next request moves it on.
    await testDb.query(`UPDATE api_tokens SET last_used_at = last_used_at - interval '61 seconds' WHERE public_id = $1`, [token.slice(4, 20)]);
    await send(`${url}/api/check`, "GET", { headers: bearer(token) });
    expect((await lastUsed())!.getTime()).toBeGreaterThanOrEqual(first!.getTime());
  });
});

/** A GET /api/check with these exact header bytes, on a raw socket; resolves to what came back. */
function rawRequest(url: string, authorization: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
    socket.write(Buffer.concat([Buffer.from(`GET /api/check HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\nAuthorization: `), authorization, Buffer.from("\r\n\r\n")]));
  });
}
