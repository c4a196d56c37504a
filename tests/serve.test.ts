import type { ChildProcess } from "node:child_process";
import http, { type Server } from "node:http";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { createBookingServer, type RequestLogEntry } from "../src/http/server.js";
import { stopAccepting } from "../src/http/shutdown.js";
import { spawnCli } from "./support/cli.js";
import { listen as listenOn, send, type Reply, type Send } from "./support/http.js";
import { bookedPerNight, createTestDatabase, createTier, type TestDatabase, hotelOf } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";
import { holdNightLock as holdLockOf, untilLockWaiter as untilWaiterOn, untilNoneRunning } from "./support/locks.js";

let testDb: TestDatabase;
let db: Database;
const servers: Server[] = [];
let base: string;

const post = (body: Send["body"], headers: Record<string, string> = {}, url = base): Promise<Reply> =>
  send(`${url}/api/bookings`, "POST", { body, headers });

function listen(server: Server): Promise<string> {
  servers.push(server);
  return listenOn(server);
}

const bookingsOf = async (tier: string): Promise<{ id: number; suite: string; guest_name: string; status: string }[]> =>
  testDb.query(
    `SELECT b.id, s.number AS suite, b.guest_name, b.status FROM bookings b JOIN tiers t ON t.id = b.tier_id JOIN suites s ON s.id = b.suite_id
      WHERE t.name = $1 ORDER BY b.id`,
    [tier],
  );

const holdNightLock = (tier: string, night: string) => holdLockOf(testDb, tier, night);
/** Waits until some session waits for an advisory lock: the request is in flight and blocked. */
const untilLockWaiter = () => untilWaiterOn(testDb, "a request to wait for its night lock");

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open({ poolSize: 25 });
  base = await listen(createBookingServer({ hotel: hotelOf(db), lockTimeoutMs: 5000 }));
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await testDb?.drop();
});

describe("POST /api/bookings", () => {
  it("20 concurrent POSTs on a fresh standard tier of 10: 10 x 201 and 10 x 409, 10 rows in 10 suites", async () => {
    await createTier(testDb, "standard", 10, "S");
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post({ suiteType: "standard", checkIn: "2031-03-01", checkOut: "2031-03-02", guestName: `Guest ${i}` })),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(10).fill(201), ...Array(10).fill(409)]);
    for (const reply of replies.filter((r) => r.status === 409)) {
      expect(reply.json).toMatchObject({ code: "NO_AVAILABILITY", error: expect.stringContaining("No standard suite is free") });
      expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    }
    const accepted = replies.filter((r) => r.status === 201);
    for (const reply of accepted) {
      const booking = reply.json.booking as { id: number; suite: string };
      expect(reply.json).toMatchObject({ replayed: false, booking: { tier: "standard", checkIn: "2031-03-01", checkOut: "2031-03-02", status: "confirmed" } });
      expect(reply.headers.location).toBe(`/api/bookings/${booking.id}`);
    }
    const rows = await bookingsOf("standard");
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r.suite)).size).toBe(10);
    expect(rows.every((r) => r.status === "confirmed")).toBe(true);
    expect(await bookedPerNight(testDb, "standard")).toEqual({ "2031-03-01": 10 });
    expect(new Set(accepted.map((r) => (r.json.booking as { suite: string }).suite))).toEqual(new Set(rows.map((r) => r.suite)));
  });

  it("a held night lock gives 503 with Retry-After after the lock timeout, and writes nothing", async () => {
    await createTier(testDb, "held", 2, "H");
    const shortWait = await listen(createBookingServer({ hotel: hotelOf(db), lockTimeoutMs: 200 }));
    const request = { suiteType: "held", checkIn: "2031-05-01", nights: 1, guestName: "Patient" };
    const lock = await holdNightLock("held", "2031-05-01");
    let reply: Reply;
    const started = performance.now();
    try {
      reply = await post(request, {}, shortWait);
    } finally {
      await lock.release();
    }
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("1");
    expect(reply.json).toEqual({ error: "High load, please retry", code: "BUSY", retryAfter: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(await bookingsOf("held")).toEqual([]);
    // The lock was the only obstacle: without it the same request books.
    expect((await post(request, {}, shortWait)).status).toBe(201);
    expect(await bookingsOf("held")).toHaveLength(1);
  });

  it("accepts the tier and nights spellings", async () => {
    await createTier(testDb, "alias", 1, "AL");
    const reply = await post({ tier: "alias", checkIn: "2031-06-01", nights: "3", guestName: "Ada" });
    expect(reply.status).toBe(201);
    expect(reply.json.booking).toMatchObject({ tier: "alias", suite: "AL001", guest: "Ada", checkIn: "2031-06-01", checkOut: "2031-06-04" });
  });

  it("replays an Idempotency-Key: the same booking, 201 with Idempotent-Replayed, one row; other details with it are 422", async () => {
    await createTier(testDb, "idem", 3, "ID");
    const request = { suiteType: "idem", checkIn: "2031-07-01", checkOut: "2031-07-03", guestName: "Once" };
    const first = await post(request, { "Idempotency-Key": "order-8812" });
    expect(first.status).toBe(201);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const again = await Promise.all(Array.from({ length: 5 }, () => post(request, { "Idempotency-Key": "order-8812" })));
    for (const reply of again) {
      expect(reply.status).toBe(201);
      expect(reply.headers["idempotent-replayed"]).toBe("true");
      expect(reply.json).toEqual({ ...first.json, replayed: true });
    }
    const other = await post({ ...request, guestName: "Twice" }, { "Idempotency-Key": "order-8812" });
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ code: "IDEMPOTENCY_MISMATCH", error: expect.stringContaining("order-8812") });
    expect(await bookingsOf("idem")).toHaveLength(1);
    expect(await testDb.query(`SELECT idempotency_key FROM bookings WHERE idempotency_key = 'order-8812'`)).toHaveLength(1);
  });
});

describe("bad requests get their status and write nothing", () => {
  beforeAll(async () => {
    await createTier(testDb, "bad", 2, "B");
  });
  const valid = { suiteType: "bad", checkIn: "2031-08-01", checkOut: "2031-08-02", guestName: "Valid" };

  it.each<[string, Send["body"], Record<string, string>, { status: number; code: string; field?: string }]>([
    ["broken JSON", '{"suiteType": "bad", ', { "Content-Type": "application/json" }, { status: 400, code: "INVALID_INPUT" }],
    ["an empty body", "", { "Content-Type": "application/json" }, { status: 400, code: "INVALID_INPUT" }],
    ["a JSON array", "[1,2]", { "Content-Type": "application/json" }, { status: 400, code: "INVALID_INPUT" }],
    ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), { "Content-Type": "application/json" }, { status: 400, code: "INVALID_INPUT" }],
    ["no suiteType", { ...valid, suiteType: undefined }, {}, { status: 400, code: "INVALID_INPUT", field: "suiteType" }],
    ["a numeric suiteType", { ...valid, suiteType: 7 }, {}, { status: 400, code: "INVALID_INPUT", field: "suiteType" }],
    ["an unknown suiteType", { ...valid, suiteType: "penthouse" }, {}, { status: 400, code: "NOT_FOUND", field: "suiteType" }],
    ["an unknown tier", { ...valid, suiteType: undefined, tier: "penthouse" }, {}, { status: 400, code: "NOT_FOUND", field: "tier" }],
    ["suiteType and tier that differ", { ...valid, tier: "other" }, {}, { status: 400, code: "INVALID_INPUT", field: "tier" }],
    ["an impossible checkIn", { ...valid, checkIn: "2031-02-30" }, {}, { status: 400, code: "INVALID_INPUT", field: "checkIn" }],
    ["checkIn not a date", { ...valid, checkIn: "tomorrow" }, {}, { status: 400, code: "INVALID_INPUT", field: "checkIn" }],
    ["checkOut before checkIn", { ...valid, checkOut: "2031-07-30" }, {}, { status: 400, code: "INVALID_INPUT", field: "checkOut" }],
    ["no checkOut or nights", { ...valid, checkOut: undefined }, {}, { status: 400, code: "INVALID_INPUT", field: "checkOut" }],
    ["zero nights", { ...valid, checkOut: undefined, nights: 0 }, {}, { status: 400, code: "INVALID_INPUT", field: "nights" }],
    ["fractional nights", { ...valid, checkOut: undefined, nights: 1.5 }, {}, { status: 400, code: "INVALID_INPUT", field: "nights" }],
    ["both checkOut and nights", { ...valid, nights: 1 }, {}, { status: 400, code: "INVALID_INPUT", field: "nights" }],
    ["a blank guestName", { ...valid, guestName: "  " }, {}, { status: 400, code: "INVALID_INPUT", field: "guestName" }],
    ["control characters in guestName", { ...valid, guestName: "Evil\u001b[2J" }, {}, { status: 400, code: "INVALID_INPUT", field: "guestName" }],
    ["an overlong Idempotency-Key", valid, { "Idempotency-Key": "k".repeat(300) }, { status: 400, code: "INVALID_INPUT", field: "Idempotency-Key" }],
    ["a body over 64 KB", { ...valid, padding: "x".repeat(70 * 1024) }, {}, { status: 413, code: "PAYLOAD_TOO_LARGE" }],
    ["Content-Type text/plain", JSON.stringify(valid), { "Content-Type": "text/plain" }, { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" }],
    ["no Content-Type", JSON.stringify(valid), {}, { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" }],
    ["a non-UTF-8 charset", JSON.stringify(valid), { "Content-Type": "application/json; charset=latin1" }, { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" }],
  ])("POST with %s", async (_label, body, headers, expected) => {
    const reply = await post(body, headers);
    expect(reply.status).toBe(expected.status);
    expect(reply.json).toMatchObject({ code: expected.code, error: expect.any(String) });
    expect(reply.json.field).toBe(expected.field);
    expect(await bookingsOf("bad")).toEqual([]);
  });

  it("accepts application/json with a charset and an application/*+json type", async () => {
    await createTier(testDb, "ctype", 2, "CT");
    const request = { ...valid, suiteType: "ctype" };
    const first = await post(JSON.stringify(request), { "Content-Type": "Application/JSON; charset=UTF-8" });
    const second = await post(JSON.stringify(request), { "Content-Type": "application/vnd.hotel+json" });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(await bookingsOf("ctype")).toHaveLength(2);
  });

  it("Expect: 100-continue: an oversized body is refused before it is sent, a small one is invited", async () => {
    const expect100 = (body: string, declared: number): Promise<{ status: number; continued: boolean }> =>
      new Promise((resolve, reject) => {
        let continued = false;
        const req = http.request(`${base}/api/bookings`, {
          method: "POST",
          agent: false,
          headers: { "Content-Type": "application/json", "Content-Length": String(declared), Expect: "100-continue" },
        });
        req.on("continue", () => {
          continued = true;
          req.end(body);
        });
        req.on("response", (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, continued }));
        });
        req.on("error", reject);
        req.flushHeaders();
      });
    expect(await expect100("", 10 * 1024 * 1024)).toEqual({ status: 413, continued: false });
    const small = JSON.stringify({ ...valid, suiteType: "penthouse" });
    expect(await expect100(small, Buffer.byteLength(small))).toEqual({ status: 400, continued: true });
  });

  it("a 413 keeps a keep-alive connection usable", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = await send(`${base}/api/bookings`, "POST", { body: { ...valid, padding: "x".repeat(100 * 1024) }, agent });
      const next = await send(`${base}/healthz`, "GET", { agent });
      expect([big.status, next.status]).toEqual([413, 200]);
    } finally {
      agent.destroy();
    }
  });

  it.each<[string, string, string, number, string, string | undefined]>([
    ["an unknown path", "GET", "/api/rooms", 404, "NOT_FOUND", undefined],
    ["an unknown booking id", "GET", "/api/bookings/999999", 404, "NOT_FOUND", undefined],
    ["a malformed booking id", "DELETE", "/api/bookings/abc", 404, "NOT_FOUND", undefined],
    ["GET on the collection", "GET", "/api/bookings", 405, "METHOD_NOT_ALLOWED", "POST"],
    ["PUT on a booking", "PUT", "/api/bookings/1", 405, "METHOD_NOT_ALLOWED", "GET, HEAD, PATCH, DELETE"],
    ["POST on availability", "POST", "/api/availability", 405, "METHOD_NOT_ALLOWED", "GET, HEAD"],
  ])("%s: %s %s is %i", async (_label, method, target, status, code, allow) => {
    const reply = await send(`${base}${target}`, method);
    expect(reply.status).toBe(status);
    expect(reply.json).toMatchObject({ code });
    expect(reply.headers.allow).toBe(allow);
  });

  it("a 500 never shows its cause to the client, only to the server log", async () => {
    const broken = await testDb.open({ poolSize: 1 });
    const logged: RequestLogEntry[] = [];
    const url = await listen(createBookingServer({ hotel: hotelOf(broken), log: (entry) => logged.push(entry) }));
    await testDb.query(`ALTER FUNCTION hotel_book(integer, text, text, date, date, text, integer, integer, text) RENAME TO hotel_book_moved`);
    try {
      const reply = await post(valid, {}, url);
      expect(reply.status).toBe(500);
      expect(reply.json).toEqual({ error: "Internal server error: see the server log", code: "CONFIG" });
      expect(reply.text).not.toMatch(/hotel_book|postgres|at \w+ \(/);
      expect(logged.find((entry) => entry.status === 500)?.detail).toMatch(/hotel db migrate/);
    } finally {
      await testDb.query(`ALTER FUNCTION hotel_book_moved(integer, text, text, date, date, text, integer, integer, text) RENAME TO hotel_book`);
    }
  });
});

describe("reading and cancelling", () => {
  it("GET and DELETE /api/bookings/:id, then availability shows the freed suite", async () => {
    await createTier(testDb, "rc", 2, "RC");
    const made = await post({ suiteType: "rc", checkIn: "2031-10-01", checkOut: "2031-10-03", guestName: "Reader" });
    const id = (made.json.booking as { id: number }).id;
    const got = await send(`${base}/api/bookings/${id}`, "GET");
    expect(got).toMatchObject({ status: 200, json: { booking: made.json.booking } });
    const availabilityUrl = `${base}/api/availability?from=2031-10-01&to=2031-10-04&tier=rc`;
    expect((await send(availabilityUrl, "GET")).json).toEqual({
      from: "2031-10-01",
      to: "2031-10-04",
      tiers: [
        {
          tier: "rc",
          capacity: 2,
          nights: [
            { date: "2031-10-01", booked: 1, held: 0, free: 1 },
            { date: "2031-10-02", booked: 1, held: 0, free: 1 },
            { date: "2031-10-03", booked: 0, held: 0, free: 2 },
          ],
        },
      ],
    });
    const cancelled = await send(`${base}/api/bookings/${id}`, "DELETE");
    expect(cancelled).toMatchObject({ status: 200, json: { outcome: "cancelled", changed: true, booking: { id, status: "cancelled" } } });
    expect((await send(`${base}/api/bookings/${id}`, "DELETE")).json).toMatchObject({ changed: false });
    expect(await bookingsOf("rc")).toMatchObject([{ id, status: "cancelled" }]);
    const after = (await send(availabilityUrl, "GET")).json as { tiers: { nights: { free: number }[] }[] };
    expect(after.tiers[0]?.nights.map((n) => n.free)).toEqual([2, 2, 2]);
  });

  it.each([
    ["an unknown tier", "?tier=nope", "tier", "NOT_FOUND"],
    ["a bad from", "?from=2031-13-01", "from", "INVALID_INPUT"],
    ["to before from", "?from=2031-10-05&to=2031-10-01", "to", "INVALID_INPUT"],
    ["both to and nights", "?from=2031-10-05&to=2031-10-07&nights=2", "nights", "INVALID_INPUT"],
    ["a repeated tier", "?tier=rc&tier=rc", "tier", "INVALID_INPUT"],
  ])("availability with %s is 400 naming the field", async (_label, query, field, code) => {
    const reply = await send(`${base}/api/availability${query}`, "GET");
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ field, code });
  });

  it("GET /healthz checks the database", async () => {
    expect(await send(`${base}/healthz`, "GET")).toMatchObject({ status: 200, json: { status: "ok", database: "ok" } });
    const head = await send(`${base}/healthz`, "HEAD");
    expect([head.status, head.text]).toEqual([200, ""]);
  });

  it("logs one entry per request, with its outcome", async () => {
    await createTier(testDb, "logged", 1, "LG");
    const logged: RequestLogEntry[] = [];
    const url = await listen(createBookingServer({ hotel: hotelOf(db), log: (entry) => logged.push(entry) }));
    const request = { suiteType: "logged", checkIn: "2031-10-20", nights: 1, guestName: "Logged" };
    const replies = [await post(request, {}, url), await post(request, {}, url), await send(`${url}/healthz`, "GET")];
    expect(replies.map((reply) => reply.status)).toEqual([201, 409, 200]);
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({ method: "POST", path: "/api/bookings", status: 201, bookingId: (replies[0]?.json.booking as { id: number }).id });
    expect(logged[1]).toMatchObject({ method: "POST", path: "/api/bookings", status: 409, code: "NO_AVAILABILITY" });
    expect(logged[2]).toMatchObject({ method: "GET", path: "/healthz", status: 200 });
  });
});

describe("graceful shutdown", () => {
  it("in process: a request in flight finishes with its real response, new connections are refused", async () => {
    await createTier(testDb, "drain", 1, "DR");
    const server = createBookingServer({ hotel: hotelOf(db), lockTimeoutMs: 10_000 });
    const url = await listen(server);
    const lock = await holdNightLock("drain", "2031-11-01");
    const inFlight = post({ suiteType: "drain", checkIn: "2031-11-01", nights: 1, guestName: "Late" }, {}, url);
    await untilLockWaiter();
    const shutdown = stopAccepting(server, 10_000);
    await expect(send(`${url}/healthz`, "GET")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await lock.release();
    const reply = await inFlight;
    expect(reply.status).toBe(201);
    expect(reply.headers.connection).toBe("close");
    expect(await shutdown.done).toEqual({ forced: false });
    expect(await bookingsOf("drain")).toMatchObject([{ guest_name: "Late", status: "confirmed" }]);
  });
});

// End-to-end through the built CLI, like the other CLI tests: `npm run build` first.
describe("hotel serve (the built CLI)", () => {
  interface Served {
    child: ChildProcess;
    url: string;
    lines: Record<string, unknown>[];
    exit: Promise<{ code: number | null; ms: number }>;
    until(event: string): Promise<Record<string, unknown>>;
    signalledAt?: number;
  }

  const started: ChildProcess[] = [];
  // A failed test must not leave a server running (and holding connections).
  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  /** Starts `hotel serve --port 0 --json` on this file's database; resolves once it listens. */
  async function serve(...args: string[]): Promise<Served> {
    const { child, done } = spawnCli(["serve", "--port", "0", "--json", "--database-url", testDb.url, ...args]);
    started.push(child);
    const lines: Record<string, unknown>[] = [];
    const waiters: { event: string; resolve: (line: Record<string, unknown>) => void }[] = [];
    if (!child.stdout) throw new Error("no stdout pipe");
    createInterface({ input: child.stdout }).on("line", (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.event === line.event)) waiter.resolve(line);
    });
    const served: Served = {
      child,
      url: "",
      lines,
      exit: done.then(({ code }) => ({ code, ms: performance.now() - (served.signalledAt ?? 0) })),
      until: (event) => {
        const seen = lines.find((line) => line.event === event);
        if (seen) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
          waiters.push({ event, resolve });
          void done.then(({ code, stderr }) => reject(new Error(`hotel serve exited ${code} before "${event}": ${stderr}`)));
        });
      },
    };
    served.url = String((await served.until("listening")).url);
    return served;
  }

  it("SIGTERM with a booking in flight: it completes with 201, new connections are refused, idle keep-alive closes, exit 0", async () => {
    await createTier(testDb, "sigterm", 1, "ST");
    const served = await serve("--lock-timeout", "10000");
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await send(`${served.url}/healthz`, "GET", { agent })).status).toBe(200);
      const idle = Object.values(agent.freeSockets).flat()[0];
      expect(idle).toBeDefined();
      const idleClosed = new Promise((resolve) => idle?.once("close", resolve));

      const lock = await holdNightLock("sigterm", "2031-12-01");
      const inFlight = post({ suiteType: "sigterm", checkIn: "2031-12-01", checkOut: "2031-12-02", guestName: "Last" }, {}, served.url);
      await untilLockWaiter();
      served.signalledAt = performance.now();
      served.child.kill("SIGTERM");
      expect(await served.until("stopping")).toMatchObject({ signal: "SIGTERM", inFlight: 1 });
      await expect(send(`${served.url}/healthz`, "GET")).rejects.toMatchObject({ code: "ECONNREFUSED" });
      await idleClosed;
      // Still serving the request in flight: the process has not exited.
      expect(served.child.exitCode).toBeNull();
      await lock.release();

      const reply = await inFlight;
      expect(reply.status).toBe(201);
      expect(reply.json.booking).toMatchObject({ suite: "ST001", guest: "Last" });
      const exit = await served.exit;
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(5000);
      expect(served.lines.at(-1)).toEqual({ event: "stopped", forced: false });
      expect(served.lines.find((line) => line.event === "request" && line.method === "POST")).toMatchObject({ status: 201, path: "/api/bookings" });
      expect(await bookingsOf("sigterm")).toMatchObject([{ guest_name: "Last", status: "confirmed" }]);
    } finally {
      agent.destroy();
    }
  });

  it("a second SIGTERM cuts the stop short: exit 143 at once; a retry with the same Idempotency-Key books exactly once", async () => {
    await createTier(testDb, "cut", 1, "CU");
    const served = await serve("--lock-timeout", "20000");
    const request = { suiteType: "cut", checkIn: "2032-01-01", nights: 1, guestName: "Cut" };
    const key = { "Idempotency-Key": "cut-1" };
    const lock = await holdNightLock("cut", "2032-01-01");
    try {
      const inFlight = post(request, key, served.url).catch((error: unknown) => error);
      await untilLockWaiter();
      served.signalledAt = performance.now();
      served.child.kill("SIGTERM");
      await served.until("stopping");
      served.child.kill("SIGTERM");
      const exit = await served.exit;
      expect(exit.code).toBe(143);
      // A graceful stop would wait up to lock timeout + 2 s (22 s) for the request: it did not.
      expect(exit.ms).toBeLessThan(10_000);
      // The client cannot know whether its booking happened ...
      expect(await inFlight).toMatchObject({ code: "ECONNRESET" });
    } finally {
      await lock.release();
    }
    // ... so it retries with its key: one booking, whichever way the cut one ended.
    const retry = await post(request, key);
    expect(retry.status).toBe(201);
    // The cut request's session may still finish its booking on its own: wait for it before counting.
    await untilNoneRunning(testDb, "hotel_book");
    expect(await bookingsOf("cut")).toMatchObject([{ guest_name: "Cut", status: "confirmed" }]);
  });

  // One server for both: the refused second one never reaches it, so the first is still idle when signalled.
  it("refuses a port that is in use with exit 78 and says so; SIGINT on the idle server exits 0 promptly", async () => {
    const first = await serve();
    // The second never listens, so it needs no process of its own.
    const second = await runInProcess(["serve", "--port", new URL(first.url).port, "--database-url", testDb.url]);
    expect(second.code).toBe(78);
    expect(second.stderr).toMatch(/already in use/);
    first.signalledAt = performance.now();
    first.child.kill("SIGINT");
    const exit = await first.exit;
    expect(exit.code).toBe(0);
    // Promptly: nothing was left for the grace period to cut, and it ended well
    // within that period (a fixed number of seconds fails on a loaded machine).
    const { graceMs } = await first.until("stopping");
    expect(exit.ms).toBeLessThan(Number(graceMs));
    expect(first.lines.at(-1)).toEqual({ event: "stopped", forced: false });
    expect(first.lines.map((line) => line.event)).toEqual(["listening", "stopping", "stopped"]);
  });
});
