import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { book } from "../src/core/book.js";
import type { BookingView } from "../src/core/booking.js";
import { getBooking } from "../src/core/bookings.js";
import { cancel, change, move } from "../src/core/front-desk.js";
import { history, log, type EventView } from "../src/core/history.js";
import type { Hotel } from "../src/core/hotel.js";
import { addSuites, disableSuite } from "../src/core/inventory.js";
import type { Database } from "../src/db/database.js";
import { createTier, hotelOf, type TestDatabase, openHotelDatabase } from "./support/db.js";

/** Every write appends one event in its own transaction; nothing else does. */

let testDb: TestDatabase;
let db: Database;
let hotel: Hotel;

beforeAll(async () => ({ testDb, db, hotel } = await openHotelDatabase({ poolSize: 25, actor: "ada" })));
afterAll(async () => testDb?.drop());

const eventsOf = (operation: string, tier: string) =>
  testDb.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events e JOIN bookings b ON b.id = e.booking_id JOIN tiers t ON t.id = b.tier_id WHERE e.operation = $1 AND t.name = $2`,
    [operation, tier],
  );

describe("events", () => {
  it("20 racing bookings for 10 suites leave exactly 10 book events, with actor and the database's time", async () => {
    await createTier(testDb, "evented", 10, "EV");
    const started = (await testDb.query<{ now: Date }>(`SELECT clock_timestamp() AS now`))[0]!.now;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => book(hotel, { tier: "evented", guestName: `G${i}`, checkIn: "2035-01-01", checkOut: "2035-01-02" })));
    expect(results.filter((r) => r.outcome === "accepted")).toHaveLength(10);
    expect(await eventsOf("book", "evented")).toEqual([{ n: 10 }]);
    const one = results.find((r) => r.outcome === "accepted");
    if (one?.outcome !== "accepted") throw new Error("none accepted");
    const [event] = await history(hotel, one.booking.id);
    expect(event).toMatchObject({ operation: "book", actor: "ada", bookingId: one.booking.id, before: null, after: one.booking });
    expect(Date.parse(event!.at)).toBeGreaterThanOrEqual(started.getTime());
  });

  it("refused, idempotent-replay and unchanged operations leave no event", async () => {
    await createTier(testDb, "quiet", 1, "QU");
    const first = await book(hotel, { tier: "quiet", guestName: "K", checkIn: "2035-02-01", checkOut: "2035-02-02", idempotencyKey: "quiet-1" });
    await book(hotel, { tier: "quiet", guestName: "K", checkIn: "2035-02-01", checkOut: "2035-02-02", idempotencyKey: "quiet-1" });
    await book(hotel, { tier: "quiet", guestName: "Refused", checkIn: "2035-02-01", checkOut: "2035-02-02" });
    if (first.outcome !== "accepted") throw new Error("not booked");
    await cancel(hotel, first.booking.id);
    await cancel(hotel, first.booking.id);
    expect((await history(hotel, first.booking.id)).map((e) => e.operation)).toEqual(["book", "cancel"]);
  });

  it("a change racing a cancel leaves events in commit order that replay to the final row", async () => {
    await createTier(testDb, "replay", 3, "RP");
    for (let round = 0; round < 8; round++) {
      const day = `2035-03-${String(round * 3 + 1).padStart(2, "0")}`;
      const result = await book(hotel, { tier: "replay", guestName: `R${round}`, checkIn: day, checkOut: `2035-03-${String(round * 3 + 2).padStart(2, "0")}` });
      if (result.outcome !== "accepted") throw new Error("not booked");
      const id = result.booking.id;
      await Promise.all([
        change(hotel, id, { nights: 2 }),
        cancel(hotel, id),
        move(hotel, id, { tier: "replay" }),
      ]);
      const events = await history(hotel, id);
      expect(replay(events), `round ${round}`).toEqual(await getBooking(hotel, id));
      // Each event starts from where the one before it left the booking.
      for (let i = 1; i < events.length; i++) expect(events[i]?.before).toEqual(events[i - 1]?.after);
    }
  });

  it("suite changes are events too; log filters by actor and day", async () => {
    const other = hotelOf(db, "grace");
    await addSuites(other, "logged", ["LG1", "LG2"]);
    await disableSuite(other, "LG2");
    const events = await log(hotel, { actor: "grace" });
    expect(events.map((e) => [e.operation, e.suite])).toEqual([
      ["suite_add", "LG1"],
      ["suite_add", "LG2"],
      ["suite_disable", "LG2"],
    ]);
    expect(events[2]).toMatchObject({ before: { active: true }, after: { active: false } });
    expect(await log(hotel, { actor: "grace", since: "2999-01-01" })).toEqual([]);
    expect((await log(hotel, { limit: 2 })).length).toBe(2);
    await expect(log(hotel, { since: "yesterday" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(history(hotel, 987_654)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("no code path updates or deletes an event", async () => {
    const { readFileSync, readdirSync } = await import("node:fs");
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? (entry.name === "generated" ? [] : sources(`${dir}/${entry.name}`)) : [`${dir}/${entry.name}`],
      );
    const files = [...sources("src"), ...sources("prisma/migrations")];
    const offenders = files.filter((file) => /(UPDATE|DELETE FROM)\s+"?events"?\b|\.event\.(update|delete|upsert)/i.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
  });
});

/** The booking as its events say it ended up. */
function replay(events: EventView[]): BookingView | null {
  return (events.at(-1)?.after as BookingView | undefined) ?? null;
}
