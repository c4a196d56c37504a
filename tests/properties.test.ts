import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkIntegrity } from "../src/core/audit.js";
import { book } from "../src/core/book.js";
import { listBookings } from "../src/core/bookings.js";
import type { Hotel } from "../src/core/hotel.js";
import { addSuites } from "../src/core/inventory.js";
import { addProperty } from "../src/core/properties.js";
import type { Database } from "../src/db/database.js";
import { localMigrations, migrate } from "../src/db/migrate.js";
import { createTestDatabase, hotelOf, type TestDatabase } from "./support/db.js";
import { openSession } from "./support/sessions.js";

/** Several hotels in one database, and a schema ready to be distributed by property. */

let testDb: TestDatabase;
let db: Database;
let main: Hotel;
let lisbon: Hotel;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open({ poolSize: 6 });
  main = hotelOf(db);
  lisbon = { ...main, property: "lisbon" };
  await addProperty(main, "lisbon");
  await addSuites(main, "standard", ["S1"]);
  await addSuites(lisbon, "standard", ["S1"]);
});
afterAll(async () => testDb?.drop());

describe("properties", () => {
  it("share nothing: the same tier and suite names, bookings, lists and checks are each property's own", async () => {
    const stay = { tier: "standard", checkIn: "2038-01-01", checkOut: "2038-01-02" };
    expect(await book(main, { ...stay, guestName: "Main" })).toMatchObject({ outcome: "accepted", booking: { suite: "S1" } });
    expect(await book(lisbon, { ...stay, guestName: "Lisbon" })).toMatchObject({ outcome: "accepted", booking: { suite: "S1" } });
    expect(await book(main, { ...stay, guestName: "Main again" })).toMatchObject({ outcome: "refused" });
    expect((await listBookings(lisbon)).map((b) => b.guest)).toEqual(["Lisbon"]);
    expect((await checkIntegrity(main)).problems).toEqual([]);
    expect((await checkIntegrity(lisbon)).problems).toEqual([]);
    await expect(book({ ...main, property: "atlantis" }, { ...stay, guestName: "Nowhere" })).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/Unknown property "atlantis"/) });
  });

  it("never wait for each other: one property's night held, the other's books at once", async () => {
    const held = await openSession(testDb);
    await held.query(
      `SELECT pg_advisory_xact_lock(t.lock_key, DATE '2038-02-01' - DATE '1970-01-01')
         FROM tiers t JOIN properties p ON p.id = t.property_id WHERE p.name = 'main' AND t.name = 'standard'`,
    );
    try {
      const started = Date.now();
      expect(await book(lisbon, { tier: "standard", guestName: "Unblocked", checkIn: "2038-02-01", checkOut: "2038-02-02" }, { lockTimeoutMs: 2000 })).toMatchObject({ outcome: "accepted" });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await book(main, { tier: "standard", guestName: "Blocked", checkIn: "2038-02-01", checkOut: "2038-02-02" }, { lockTimeoutMs: 300 })).toMatchObject({ outcome: "busy" });
    } finally {
      await held.close();
    }
  });
});

describe("a schema ready to be distributed by property", () => {
  it("every primary, unique, foreign and exclusion key of a property's tables includes property_id", async () => {
    const keys = await testDb.query<{ table: string; name: string; kind: string; columns: string[] }>(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS kind,
              array_agg(a.attname::text ORDER BY a.attnum) AS columns
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.connamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f', 'x')
          AND c.conrelid::regclass::text NOT IN ('properties', '_prisma_migrations')
        GROUP BY 1, 2, 3`,
    );
    const indexes = await testDb.query<{ table: string; name: string; columns: string[] }>(
      `SELECT i.indrelid::regclass::text AS table, i.indexrelid::regclass::text AS name,
              array_agg(a.attname::text) AS columns
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE t.relnamespace = current_schema()::regnamespace AND i.indisunique
          AND i.indrelid::regclass::text NOT IN ('properties', '_prisma_migrations')
        GROUP BY 1, 2`,
    );
    const tables = new Set(keys.map((key) => key.table));
    expect([...tables]).toEqual(expect.arrayContaining(["bookings", "events", "suites", "tier_night_counts", "tier_suite_counts", "tiers"]));
    const without = [...keys, ...indexes].filter((key) => !key.columns.includes("property_id")).map((key) => `${key.table}.${key.name}`);
    expect(without).toEqual([]);
  });

  it("every booking operation takes the property's id first, so a distributed database can route each call by it", async () => {
    const operations = await testDb.query<{ name: string; first: string; type: string }>(
      `SELECT p.proname AS name, p.proargnames[1] AS first, format_type(p.proargtypes[0], NULL) AS type
         FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace AND p.proname IN ('hotel_book', 'hotel_change', 'hotel_move', 'hotel_transition')
        ORDER BY 1`,
    );
    expect(operations).toEqual(["hotel_book", "hotel_change", "hotel_move", "hotel_transition"].map((name) => ({ name, first: "p_property_id", type: "integer" })));
    // Each reaches its own property's rows only: lisbon's booking is not main's to cancel.
    const [lisbonId] = await testDb.query<{ id: number }>(`SELECT id FROM properties WHERE name = 'lisbon'`);
    const booked = await book(lisbon, { tier: "standard", guestName: "Routed", checkIn: "2036-03-01", checkOut: "2036-03-02" });
    const id = booked.outcome === "accepted" ? booked.booking.id : 0;
    const [fromMain] = await testDb.query<{ outcome: string }>(`SELECT outcome FROM hotel_transition(1, $1, 'cancel', '2036-01-01', 1000, 'test')`, [id]);
    expect(fromMain).toEqual({ outcome: "not_found" });
    const [fromLisbon] = await testDb.query<{ outcome: string; status: string }>(`SELECT outcome, status FROM hotel_transition($1, $2, 'cancel', '2036-01-01', 1000, 'test')`, [lisbonId!.id, id]);
    expect(fromLisbon).toEqual({ outcome: "changed", status: "cancelled" });
  });

  it("the migration to properties moves existing data into `main` with nothing lost", async () => {
    const old = await createTestDatabase({ migrate: false });
    const client = new pg.Client({ connectionString: old.url });
    await client.connect();
    try {
      const all = localMigrations();
      const firstRelease = all.filter((m) => m.name < "20261201000000");
      await migrate(client, { local: firstRelease });
      await client.query(`
        INSERT INTO tiers (name) VALUES ('standard'), ('deluxe');
        INSERT INTO suites (number, tier_id) SELECT 'S' || g, 1 FROM generate_series(1, 3) g;
        INSERT INTO suites (number, tier_id) VALUES ('D1', 2);`);
      await client.query(`SELECT * FROM hotel_book('standard', 'Old Guest', '2030-01-01', '2030-01-03', 'old-key', 5000)`);
      await client.query(`SELECT * FROM hotel_book('deluxe', 'Old Deluxe', '2030-01-01', '2030-01-02', NULL, 5000)`);
      const before = (await client.query(`SELECT id, suite_id, tier_id, guest_name, check_in::text, check_out::text, status, idempotency_key FROM bookings ORDER BY id`)).rows;
      expect(await migrate(client, { local: all })).toEqual(all.filter((m) => m.name >= "20261201000000").map((m) => m.name));
      const after = (await client.query(`SELECT id, suite_id, tier_id, guest_name, check_in::text, check_out::text, status, idempotency_key FROM bookings ORDER BY id`)).rows;
      expect(after).toEqual(before);
      expect((await client.query(`SELECT DISTINCT p.name FROM bookings b JOIN properties p ON p.id = b.property_id`)).rows).toEqual([{ name: "main" }]);
      const migrated = await old.open({ poolSize: 2 });
      const hotel = hotelOf(migrated);
      expect((await checkIntegrity(hotel)).problems).toEqual([]);
      expect(await book(hotel, { tier: "standard", guestName: "Old Guest", checkIn: "2030-01-01", checkOut: "2030-01-03", idempotencyKey: "old-key" })).toMatchObject({ outcome: "accepted", replayed: true });
      expect(await book(hotel, { tier: "standard", guestName: "New", checkIn: "2030-01-01", checkOut: "2030-01-02" })).toMatchObject({ outcome: "accepted", booking: { suite: "S2" } });
    } finally {
      await client.end();
      await old.drop();
    }
  });
});
