import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";

// The commands' logic, run in-process (main() on buffers) against this file's
// own database; each test books on dates and tiers of its own, so none
// depends on another. tests/cli-e2e.test.ts spawns the built CLI for what
// needs a process.

const db = useTestDatabase();
const hotel = (...args: string[]) => runInProcess(["--database-url", db.url, ...args]);
const json = async (...args: string[]): Promise<{ code: number; document: Record<string, unknown> }> => {
  const result = await hotel(...args, "--json");
  expect(result.stdout.trim().split("\n"), result.stderr).toHaveLength(1);
  return { code: result.code, document: JSON.parse(result.stdout) as Record<string, unknown> };
};
const bookingCount = async (): Promise<number> => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bookings`))[0]!.n;
const book = async (tier: string, checkIn: string, nights: number, guest: string): Promise<{ id: number; suite: string }> => {
  const { code, document } = await json("book", "--tier", tier, "--check-in", checkIn, "--nights", String(nights), "--guest", guest);
  expect(code, JSON.stringify(document)).toBe(0);
  return document.booking as { id: number; suite: string };
};

beforeAll(async () => {
  const seeded = await hotel("db", "seed", "--json");
  expect(seeded.code, seeded.stderr).toBe(0);
});

describe("hotel CLI commands (in-process)", () => {
  it("db seed loads the demo inventory once, and again changes nothing", async () => {
    const again = await json("db", "seed");
    expect(again).toEqual({ code: 0, document: { tiersCreated: 0, suitesCreated: 0 } });
    const rows = await db.query(`SELECT t.name, count(*)::int AS n FROM suites s JOIN tiers t ON t.id = s.tier_id GROUP BY t.name ORDER BY t.name`);
    expect(rows).toEqual([
      { name: "deluxe", n: 5 },
      { name: "presidential", n: 2 },
      { name: "standard", n: 10 },
    ]);
  });

  it("book --json prints the accepted booking and stores it; the same stay is refused with exit 3 when the tier is full", async () => {
    const first = await json("book", "--tier", "presidential", "--check-in", "2031-03-01", "--nights", "2", "--guest", "Ada Lovelace");
    expect(first.code).toBe(0);
    expect(first.document).toMatchObject({
      outcome: "accepted",
      status: 201,
      booking: { suite: "P301", tier: "presidential", guest: "Ada Lovelace", checkIn: "2031-03-01", checkOut: "2031-03-03", status: "confirmed" },
    });
    const second = await hotel("book", "--tier", "presidential", "--check-in", "2031-03-02", "--check-out", "2031-03-04", "--guest", "Bob");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^Booked: #\d+ suite P302 \(presidential\) for Bob, 2031-03-02 to 2031-03-04 \(2 nights\), confirmed\n$/);
    const refused = await hotel("book", "--tier", "presidential", "--check-in", "2031-03-02", "--nights", "1", "--guest", "Cy", "--json");
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ outcome: "refused", status: 409, error: { code: "NO_AVAILABILITY" } });
    expect(refused.stderr).toBe("");
    const rows = await db.query(`SELECT guest_name FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = 'presidential' ORDER BY b.id`);
    expect(rows.map((r) => r.guest_name)).toEqual(["Ada Lovelace", "Bob"]);
  });

  it("availability --json reports booked and free per night; the human grid lists every tier, without colour off a terminal", async () => {
    await book("deluxe", "2031-04-01", 2, "Avail A");
    await book("deluxe", "2031-04-02", 1, "Avail B");
    const { code, document } = await json("availability", "--from", "2031-04-01", "--to", "2031-04-04", "--tier", "deluxe");
    expect(code).toBe(0);
    expect(document).toEqual({
      from: "2031-04-01",
      to: "2031-04-04",
      tiers: [
        {
          tier: "deluxe",
          capacity: 5,
          nights: [
            { date: "2031-04-01", booked: 1, held: 0, free: 4 },
            { date: "2031-04-02", booked: 2, held: 0, free: 3 },
            { date: "2031-04-03", booked: 0, held: 0, free: 5 },
          ],
        },
      ],
    });
    const human = await hotel("availability", "--from", "2031-04-01", "--nights", "3");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/standard \(10\)/);
    expect(human.stdout).toMatch(/deluxe \(5\)\s+4\s+3\s+5/);
    expect(human.stdout).not.toContain("\u001b[");
  });

  it("availability defaults to seven nights from today by the run's clock", async () => {
    const { document } = await json("availability", "--tier", "standard");
    const today = new Date();
    const local = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
    expect((document.tiers as { nights: unknown[] }[])[0]?.nights).toHaveLength(7);
    expect(document.from).toBe(local);
    const clocked = await runInProcess(["--database-url", db.url, "availability", "--tier", "standard", "--json"], { now: new Date(2031, 6, 4, 12) });
    expect(JSON.parse(clocked.stdout)).toMatchObject({ from: "2031-07-04", to: "2031-07-11" });
  });

  it("cancel frees the suite and exits 0; again changes nothing; an unknown id exits 4", async () => {
    const booked = await book("deluxe", "2031-05-01", 1, "Dee");
    const cancelled = await json("cancel", String(booked.id));
    expect(cancelled.code).toBe(0);
    expect(cancelled.document).toMatchObject({ outcome: "cancelled", changed: true, booking: { id: booked.id, status: "cancelled" } });
    expect(await db.query(`SELECT status FROM bookings WHERE id = $1`, [booked.id])).toEqual([{ status: "cancelled" }]);
    const again = await hotel("cancel", String(booked.id));
    expect(again.stdout).toMatch(/^Already cancelled: #\d+/);
    expect(await json("cancel", "999999")).toEqual({ code: 4, document: { error: { code: "NOT_FOUND", message: "No booking with id 999999" } } });
  });

  it("bookings lists by range, tier and status", async () => {
    const kept = await book("standard", "2031-09-01", 2, "Listed Kept");
    const dropped = await book("standard", "2031-09-02", 1, "Listed Dropped");
    await book("deluxe", "2031-09-01", 1, "Listed Other Tier");
    expect((await hotel("cancel", String(dropped.id))).code).toBe(0);
    const guests = async (...args: string[]): Promise<string[]> =>
      ((await json("bookings", "--from", "2031-09-01", "--to", "2031-09-04", ...args)).document.bookings as { guest: string }[]).map((b) => b.guest);
    expect(await guests("--tier", "standard")).toEqual(["Listed Kept", "Listed Dropped"]);
    expect(await guests("--tier", "standard", "--status", "confirmed")).toEqual(["Listed Kept"]);
    expect(await guests("--status", "cancelled")).toEqual(["Listed Dropped"]);
    const table = await hotel("bookings", "--from", "2031-09-01", "--to", "2031-09-02", "--tier", "standard");
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+SUITE\\s+TIER\\s+GUEST\\s+CHECK-IN\\s+CHECK-OUT\\s+STATUS\\n\\s*${kept.id}\\s+${kept.suite}\\s+standard\\s+Listed Kept`));
  });

  it("idempotency key: a repeat returns the first booking; other details with the key exit 65", async () => {
    const args = ["book", "--tier", "standard", "--check-in", "2031-06-01", "--nights", "1", "--guest", "Key", "--idempotency-key", "order-1"];
    const first = await json(...args);
    const repeat = await json(...args);
    expect(repeat.code).toBe(0);
    expect(repeat.document).toMatchObject({ replayed: true, booking: { id: (first.document.booking as { id: number }).id } });
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
    [64, "USAGE", ["book", "--tier", "standard", "--check-in", "2031-03-05", "--nights", "1", "--check-out", "2031-03-06", "--guest", "X"]],
    [64, "USAGE", ["frobnicate"]],
    [64, "USAGE", ["suites", "add", "PH9"]],
    [64, "USAGE", ["serve", "--host", " "]],
    [65, "INVALID_INPUT", ["serve", "--port", "70000"]],
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
    const added = await json("suites", "add", "--tier", "penthouse", "PH1", "PH2");
    expect(added.code).toBe(0);
    expect(added.document).toMatchObject({ tierCreated: true, added: [{ number: "PH1" }, { number: "PH2" }] });
    expect((await book("penthouse", "2099-01-01", 2, "Future")).suite).toBe("PH1");
    const refused = await hotel("suites", "disable", "PH1");
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(/PH1 has 1 booking.*--force/);
    expect(await db.query(`SELECT active FROM suites WHERE number = 'PH1'`)).toEqual([{ active: true }]);
    expect((await hotel("suites", "disable", "PH2")).code).toBe(0);
    expect((await json("book", "--tier", "penthouse", "--check-in", "2099-01-01", "--nights", "1", "--guest", "Second")).code).toBe(3);
    expect((await hotel("suites", "enable", "PH2")).code).toBe(0);
    expect((await book("penthouse", "2099-01-01", 1, "Second")).suite).toBe("PH2");
    expect((await hotel("suites", "disable", "PH9")).code).toBe(4);
    const forced = await hotel("suites", "disable", "PH1", "--force");
    expect(forced.stdout).toMatch(/Disabled suite PH1\. 1 future booking\(s\) stay on it/);
    expect((await json("suites", "list", "--tier", "penthouse")).document.suites).toEqual([
      { number: "PH1", tier: "penthouse", active: false },
      { number: "PH2", tier: "penthouse", active: true },
    ]);
    expect((await hotel("suites", "--tier", "penthouse")).stdout).toMatch(/^SUITE\s+TIER\s+ACTIVE\nPH1\s+penthouse\s+no\nPH2\s+penthouse\s+yes\n$/);
    // A booking on a disabled suite is what `hotel check` reports: leave none behind.
    expect((await hotel("suites", "enable", "PH1")).code).toBe(0);
  });

  it("db status lists applied migrations; db migrate is a no-op when up to date; check finds nothing wrong", async () => {
    const status = await json("db", "status");
    expect(status.code).toBe(0);
    expect(status.document.upToDate).toBe(true);
    expect((status.document.migrations as { state: string }[]).every((m) => m.state === "applied")).toBe(true);
    expect((await json("db", "migrate")).document.applied).toEqual([]);
    const check = await hotel("check");
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^OK: no problems in \d+ booking\(s\)/);
  });

  it("--help and --version print on stdout and exit 0, without a database", async () => {
    const help = await runInProcess(["book", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: hotel book \[options\]/);
    expect(help.stdout).toMatch(/Examples:\n\s+\$ hotel book/);
    const top = await runInProcess(["--help"]);
    for (const name of ["book", "cancel", "bookings", "availability", "suites", "db", "stress", "check", "serve"]) expect(top.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    expect(top.stdout).toContain("--no-input");
    const version = await runInProcess(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
