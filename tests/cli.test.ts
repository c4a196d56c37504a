import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/db.js";
import { runCli } from "./support/cli.js";

let db: TestDatabase;
const hotel = (...args: string[]) => runCli(["--database-url", db.url, ...args]);
const bookingCount = async (): Promise<number> => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bookings`))[0]!.n;

beforeAll(async () => {
  db = await createTestDatabase();
  const seeded = await hotel("db", "seed", "--json");
  expect(seeded.code, seeded.stderr).toBe(0);
});
afterAll(async () => db?.drop());

describe("hotel CLI end to end", () => {
  it("db seed loads the demo inventory once, and again changes nothing", async () => {
    const again = await hotel("db", "seed", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ tiersCreated: 0, suitesCreated: 0 });
    const rows = await db.query(`SELECT t.name, count(*)::int AS n FROM suites s JOIN tiers t ON t.id = s.tier_id GROUP BY t.name ORDER BY t.name`);
    expect(rows).toEqual([
      { name: "deluxe", n: 5 },
      { name: "presidential", n: 2 },
      { name: "standard", n: 10 },
    ]);
  });

  it("book --json prints the accepted booking and stores it; the same stay is refused with exit 3 when the tier is full", async () => {
    const first = await hotel("book", "--tier", "presidential", "--check-in", "2031-03-01", "--nights", "2", "--guest", "Ada Lovelace", "--json");
    expect(first.code, first.stderr).toBe(0);
    const accepted = JSON.parse(first.stdout);
    expect(accepted).toMatchObject({
      outcome: "accepted",
      status: 201,
      booking: { suite: "P301", tier: "presidential", guest: "Ada Lovelace", checkIn: "2031-03-01", checkOut: "2031-03-03", status: "confirmed" },
    });
    const second = await hotel("book", "--tier", "presidential", "--check-in", "2031-03-02", "--check-out", "2031-03-04", "--guest", "Bob");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("P302");
    const refused = await hotel("book", "--tier", "presidential", "--check-in", "2031-03-02", "--nights", "1", "--guest", "Cy", "--json");
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ outcome: "refused", status: 409, error: { code: "NO_AVAILABILITY" } });
    expect(refused.stderr).toBe("");
    const rows = await db.query(`SELECT guest_name FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = 'presidential' ORDER BY b.id`);
    expect(rows.map((r) => r.guest_name)).toEqual(["Ada Lovelace", "Bob"]);
  });

  it("availability --json reports booked and free per night; the human grid lists every tier", async () => {
    const json = await hotel("availability", "--from", "2031-03-01", "--to", "2031-03-04", "--tier", "presidential", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      from: "2031-03-01",
      to: "2031-03-04",
      tiers: [
        {
          tier: "presidential",
          capacity: 2,
          nights: [
            { date: "2031-03-01", booked: 1, held: 0, free: 1 },
            { date: "2031-03-02", booked: 2, held: 0, free: 0 },
            { date: "2031-03-03", booked: 1, held: 0, free: 1 },
          ],
        },
      ],
    });
    const human = await hotel("availability", "--from", "2031-03-01", "--nights", "3");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/standard \(10\)/);
    expect(human.stdout).toMatch(/presidential \(2\)\s+1\s+0\s+1/);
    expect(human.stdout).not.toContain("\u001b["); // not a TTY: no colour
  });

  it("cancel frees the suite and exits 0; an unknown id exits 4", async () => {
    const booked = JSON.parse((await hotel("book", "--tier", "deluxe", "--check-in", "2031-05-01", "--nights", "1", "--guest", "Dee", "--json")).stdout);
    const cancelled = await hotel("cancel", String(booked.booking.id), "--json");
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ outcome: "cancelled", booking: { id: booked.booking.id, status: "cancelled" } });
    expect(await db.query(`SELECT status FROM bookings WHERE id = $1`, [booked.booking.id])).toEqual([{ status: "cancelled" }]);
    const missing = await hotel("cancel", "999999", "--json");
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: "NOT_FOUND", message: "No booking with id 999999" } });
  });

  it("bookings lists by range, tier and status", async () => {
    const listed = await hotel("bookings", "--from", "2031-03-01", "--to", "2031-03-02", "--tier", "presidential", "--json");
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).bookings.map((b: { guest: string }) => b.guest)).toEqual(["Ada Lovelace"]);
    const cancelled = await hotel("bookings", "--status", "cancelled", "--json");
    expect(JSON.parse(cancelled.stdout).bookings.map((b: { guest: string }) => b.guest)).toEqual(["Dee"]);
  });

  it("idempotency key: a repeat returns the first booking; other details with the key exit 65", async () => {
    const args = ["book", "--tier", "standard", "--check-in", "2031-06-01", "--nights", "1", "--guest", "Key", "--idempotency-key", "order-1", "--json"];
    const first = JSON.parse((await hotel(...args)).stdout);
    const repeat = await hotel(...args);
    expect(repeat.code).toBe(0);
    expect(JSON.parse(repeat.stdout)).toMatchObject({ replayed: true, booking: { id: first.booking.id } });
    const before = await bookingCount();
    const clash = await hotel("book", "--tier", "standard", "--check-in", "2031-06-02", "--nights", "1", "--guest", "Key", "--idempotency-key", "order-1");
    expect(clash.code).toBe(65);
    expect(clash.stderr).toMatch(/order-1.*already used/);
    expect(await bookingCount()).toBe(before);
  });

  it.each([
    [65, "INVALID_INPUT", ["book", "--tier", "standard", "--check-in", "2031-02-30", "--nights", "1", "--guest", "X"]],
    [65, "INVALID_INPUT", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--check-out", "2031-03-05", "--guest", "X"]],
    [65, "INVALID_INPUT", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--nights", "0", "--guest", "X"]],
    [65, "INVALID_INPUT", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--nights", "abc", "--guest", "X"]],
    [65, "INVALID_INPUT", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--nights", "99999999", "--guest", "X"]],
    [65, "INVALID_INPUT", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--nights", "1", "--guest", ""]],
    [65, "INVALID_INPUT", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--nights", "1", "--guest", "x".repeat(201)]],
    [4, "NOT_FOUND", ["book", "--tier", "penthouse'; DROP TABLE bookings;--", "--check-in", "2031-03-05", "--nights", "1", "--guest", "X"]],
    [64, "USAGE", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--guest", "X"]],
    [64, "USAGE", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--nights", "1", "--guest", "X", "--bogus"]],
    [64, "USAGE", ["frobnicate"]],
    [65, "INVALID_INPUT", ["availability", "--from", "2031-03-05", "--to", "2031-03-01"]],
    [4, "NOT_FOUND", ["availability", "--tier", "nope"]],
    [65, "INVALID_INPUT", ["cancel", "abc"]],
  ])("exits %i (%s) for bad input and writes nothing: %j", async (code, errorCode, args) => {
    const before = await bookingCount();
    const result = await hotel(...args, "--json");
    expect(result.code, result.stderr).toBe(code);
    const document = JSON.parse(result.stdout);
    expect(document.error.code).toBe(errorCode);
    expect(document.error.message).not.toMatch(/\n/);
    expect(await bookingCount()).toBe(before);
    const human = await hotel(...args);
    expect(human.code).toBe(code);
    expect(human.stdout).toBe("");
    expect(human.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("suites: add, disable (refused with future bookings unless --force), enable", async () => {
    const added = await hotel("suites", "add", "--tier", "penthouse", "PH1", "PH2", "--json");
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ tierCreated: true, added: [{ number: "PH1" }, { number: "PH2" }] });
    const booked = await hotel("book", "--tier", "penthouse", "--check-in", "2099-01-01", "--nights", "2", "--guest", "Future", "--json");
    expect(JSON.parse(booked.stdout).booking.suite).toBe("PH1");
    const refused = await hotel("suites", "disable", "PH1");
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(/PH1 has 1 booking.*--force/);
    expect(await db.query(`SELECT active FROM suites WHERE number = 'PH1'`)).toEqual([{ active: true }]);
    expect((await hotel("suites", "disable", "PH2")).code).toBe(0);
    const full = await hotel("book", "--tier", "penthouse", "--check-in", "2099-01-01", "--nights", "1", "--guest", "Second", "--json");
    expect(full.code).toBe(3);
    expect((await hotel("suites", "enable", "PH2")).code).toBe(0);
    const fits = await hotel("book", "--tier", "penthouse", "--check-in", "2099-01-01", "--nights", "1", "--guest", "Second", "--json");
    expect(JSON.parse(fits.stdout).booking.suite).toBe("PH2");
    expect((await hotel("suites", "disable", "PH9")).code).toBe(4);
    const listed = JSON.parse((await hotel("suites", "list", "--tier", "penthouse", "--json")).stdout);
    expect(listed.suites).toEqual([
      { number: "PH1", tier: "penthouse", active: true },
      { number: "PH2", tier: "penthouse", active: true },
    ]);
  });

  it("db status lists applied migrations; db migrate is a no-op when up to date", async () => {
    const status = await hotel("db", "status", "--json");
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.upToDate).toBe(true);
    expect(parsed.migrations.every((m: { state: string }) => m.state === "applied")).toBe(true);
    const migrate = await hotel("db", "migrate", "--json");
    expect(JSON.parse(migrate.stdout).applied).toEqual([]);
  });

  it("--help and --version work without a database", async () => {
    const help = await runCli(["book", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n\s+\$ hotel book/);
    const version = await runCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
