import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";

/**
 * The front desk's commands through the CLI (in-process): exit codes, --json
 * shapes and human lines of the contract, and what they leave in the
 * database. Each test uses its own tier and dates.
 */

const db = useTestDatabase();
const hotel = (...args: string[]) => runInProcess(["--database-url", db.url, "--actor", "desk", ...args]);
const json = async (...args: string[]): Promise<{ code: number; document: Record<string, unknown> }> => {
  const result = await hotel(...args, "--json");
  expect(result.stdout.trim().split("\n"), result.stderr).toHaveLength(1);
  return { code: result.code, document: JSON.parse(result.stdout) as Record<string, unknown> };
};
const booked = async (tier: string, checkIn: string, nights: number, guest: string): Promise<{ id: number; suite: string }> => {
  const { code, document } = await json("book", "--tier", tier, "--check-in", checkIn, "--nights", String(nights), "--guest", guest);
  expect(code, JSON.stringify(document)).toBe(0);
  return document.booking as { id: number; suite: string };
};
const rowOf = async (id: number) => (await db.query(`SELECT xmin::text AS version, to_jsonb(b) AS row FROM bookings b WHERE id = $1`, [id]))[0];
const today = (offset = 0): string => {
  const now = new Date();
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() + offset)).toISOString().slice(0, 10);
};

beforeAll(async () => {
  for (const [tier, numbers] of [
    ["harbour", ["H1", "H2"]],
    ["garden", ["G1"]],
    ["today", ["T1", "T2"]],
  ] as const) {
    const added = await hotel("suites", "add", "--tier", tier, ...numbers);
    expect(added.code, added.stderr).toBe(0);
  }
});

describe("change and move", () => {
  it("change extends in place, names the previous stay, and a refusal exits 3 leaving the row untouched", async () => {
    const stay = await booked("harbour", "2037-01-01", 2, "Ada");
    const extended = await json("change", String(stay.id), "--check-out", "2037-01-04");
    expect(extended).toEqual({
      code: 0,
      document: {
        outcome: "changed",
        status: 200,
        changed: true,
        replayed: false,
        booking: { id: stay.id, suite: "H1", tier: "harbour", guest: "Ada", checkIn: "2037-01-01", checkOut: "2037-01-04", status: "confirmed" },
        previous: { suite: "H1", tier: "harbour", checkIn: "2037-01-01", checkOut: "2037-01-03" },
      },
    });
    await booked("harbour", "2037-01-04", 1, "Next 1");
    await booked("harbour", "2037-01-04", 1, "Next 2");
    const before = await rowOf(stay.id);
    const refused = await json("change", String(stay.id), "--nights", "4");
    expect(refused).toMatchObject({ code: 3, document: { outcome: "refused", status: 409, error: { code: "NO_AVAILABILITY" } } });
    expect(await rowOf(stay.id)).toEqual(before);
    const human = await hotel("change", String(stay.id), "--check-in", "2037-02-01");
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Changed: #\d+ suite H1 \(harbour\) for Ada, 2037-02-01 to 2037-02-04 \(3 nights\), confirmed; was suite H1 \(harbour\), 2037-01-01 to 2037-01-04\n$/);
  });

  it("move --tier and --suite; a suite that is taken exits 3; an unknown suite exits 4", async () => {
    const stay = await booked("harbour", "2037-03-01", 1, "Grace");
    expect(await json("move", String(stay.id), "--tier", "garden")).toMatchObject({ code: 0, document: { outcome: "moved", booking: { suite: "G1", tier: "garden" }, previous: { suite: stay.suite, tier: "harbour" } } });
    const other = await booked("harbour", "2037-03-01", 1, "Other");
    expect(await json("move", String(stay.id), "--suite", other.suite)).toMatchObject({ code: 3, document: { error: { code: "NO_AVAILABILITY" } } });
    expect(await json("move", String(stay.id), "--suite", "NOPE")).toMatchObject({ code: 4, document: { error: { code: "NOT_FOUND" } } });
  });

  it.each([
    [["change", "1"], 64, "USAGE"],
    [["move", "1"], 64, "USAGE"],
    [["change", "1", "--check-out", "2037-02-30"], 65, "INVALID_INPUT"],
    [["change", "abc", "--nights", "1"], 65, "INVALID_INPUT"],
    [["change", "999999", "--nights", "1"], 4, "NOT_FOUND"],
    [["checkin", "999999"], 4, "NOT_FOUND"],
    [["move", "1", "--suite", "H1", "--tier", "garden"], 64, "USAGE"],
    [["hold", "--tier", "harbour", "--check-in", "2037-05-01", "--nights", "1", "--guest", "X", "--ttl", "25h"], 65, "INVALID_INPUT"],
    [["hold", "--tier", "harbour", "--check-in", "2037-05-01", "--nights", "1", "--guest", "X", "--ttl", "0s"], 65, "INVALID_INPUT"],
    [["arrivals", "--date", "tomorrow"], 65, "INVALID_INPUT"],
    [["log", "--since", "2037-13-01"], 65, "INVALID_INPUT"],
    [["--property", "", "bookings"], 65, "INVALID_INPUT"],
    [["--property", "atlantis", "bookings"], 4, "NOT_FOUND"],
  ])("%j exits %i (%s) and writes nothing", async (args, code, errorCode) => {
    const before = await db.query(`SELECT count(*)::int AS n FROM events`);
    const result = await hotel(...args, "--json");
    expect(result.code, result.stdout).toBe(code);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: errorCode } });
    expect(await db.query(`SELECT count(*)::int AS n FROM events`)).toEqual(before);
  });
});

describe("holds, the day's life and accountability", () => {
  it("hold --ttl, confirm (again: changed false), and a hold listed by status", async () => {
    const held = await json("hold", "--tier", "garden", "--check-in", "2037-06-01", "--nights", "1", "--guest", "Phone", "--ttl", "10m");
    expect(held).toMatchObject({ code: 0, document: { outcome: "held", status: 201, booking: { status: "held", expiresAt: expect.stringMatching(/Z$/) } } });
    const id = String((held.document.booking as { id: number }).id);
    const expires = Date.parse((held.document.booking as { expiresAt: string }).expiresAt);
    expect(expires - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(expires - Date.now()).toBeLessThan(11 * 60_000);
    expect((await json("bookings", "--status", "held", "--tier", "garden")).document.bookings).toEqual([expect.objectContaining({ id: Number(id), status: "held" })]);
    expect(await json("confirm", id)).toMatchObject({ code: 0, document: { outcome: "confirmed", changed: true, booking: { status: "confirmed" } } });
    expect(await json("confirm", id)).toMatchObject({ code: 0, document: { outcome: "confirmed", changed: false } });
    expect(await json("checkin", id)).toMatchObject({ code: 3, document: { outcome: "refused", error: { code: "INVALID_STATE" } } });
  });

  it("arrivals, checkin, inhouse, checkout (early: the stay ends today), departures, noshow, history and log", async () => {
    const guest = await booked("today", today(), 3, "Here Today");
    const absent = await booked("today", today(), 1, "Never Came");
    expect((await json("arrivals")).document).toMatchObject({ date: today(), bookings: expect.arrayContaining([expect.objectContaining({ id: guest.id })]) });
    expect((await hotel("arrivals")).stdout).toMatch(new RegExp(`^Arrivals on ${today()}:\\n`));
    expect(await json("checkin", String(guest.id))).toMatchObject({ code: 0, document: { outcome: "checked_in", changed: true } });
    expect(((await json("inhouse")).document.bookings as { id: number }[]).map((b) => b.id)).toContain(guest.id);
    expect(await json("checkout", String(guest.id))).toMatchObject({ code: 0, document: { outcome: "checked_out", booking: { checkOut: today(1) } } });
    expect(((await json("departures", "--date", today(1))).document.bookings as { id: number }[]).map((b) => b.id)).toContain(guest.id);
    expect(await json("noshow", String(absent.id))).toMatchObject({ code: 0, document: { outcome: "no_show" } });
    expect(await json("cancel", String(absent.id))).toMatchObject({ code: 3, document: { error: { code: "INVALID_STATE" } } });
    const story = await json("history", String(guest.id));
    expect((story.document.events as { operation: string; actor: string }[]).map((e) => [e.operation, e.actor])).toEqual([
      ["book", "desk"],
      ["checkin", "desk"],
      ["checkout", "desk"],
    ]);
    const human = await hotel("history", String(guest.id));
    expect(human.stdout).toMatch(/AT\s+ACTOR\s+OPERATION\s+BOOKING\s+WHAT/);
    expect(human.stdout).toMatch(/checkout +#\d+ +T\d \S+ checked_out \(was \S+\.\.\S+ checked_in\)/);
    const logged = await json("log", "--actor", "desk", "--limit", "2");
    expect((logged.document.events as { operation: string }[]).map((e) => e.operation)).toEqual(["checkout", "noshow"]);
    expect((await json("bookings", "--guest", "here tod")).document.bookings).toEqual([expect.objectContaining({ id: guest.id })]);
  });

  it("properties: add one, work on it with --property, and the default property never sees it", async () => {
    expect(await json("properties", "add", "lisbon")).toMatchObject({ code: 0, document: { property: { name: "lisbon" } } });
    expect(await json("properties", "add", "lisbon")).toMatchObject({ code: 65 });
    expect((await hotel("--property", "lisbon", "suites", "add", "--tier", "harbour", "L1")).code).toBe(0);
    const there = await json("--property", "lisbon", "book", "--tier", "harbour", "--check-in", "2037-08-01", "--nights", "1", "--guest", "Abroad");
    expect(there).toMatchObject({ code: 0, document: { booking: { suite: "L1" } } });
    const id = String((there.document.booking as { id: number }).id);
    expect(await json("cancel", id)).toMatchObject({ code: 4 });
    expect(await json("--property", "lisbon", "cancel", id)).toMatchObject({ code: 0, document: { outcome: "cancelled" } });
    const listed = (await json("properties", "list")).document.properties as { name: string; suites: number }[];
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ name: "lisbon", suites: 1 }), expect.objectContaining({ name: "main" })]));
  });
});
