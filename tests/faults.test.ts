import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { book } from "../src/core/book.js";
import { propertyId } from "../src/core/properties.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { runCli, spawnCli, waitFor } from "./support/cli.js";
import { createTestDatabase, createTier, type TestDatabase, urlWithSecret, hotelOf } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";
import { advisoryLockWaiters, holdNightLock as holdLockOf, untilNoneRunning } from "./support/locks.js";
import { testSeed } from "./support/random.js";

let db: TestDatabase;
let app: Database;
// The commands' logic runs in-process; what needs processes (many at once, signals) spawns the built CLI.
const hotel = (...args: string[]) => runInProcess(["--database-url", db.url, ...args]);
const spawned = (...args: string[]) => runCli(["--database-url", db.url, ...args]);
const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await db.query<{ n: number }>(sql, params))[0]?.n);
const bookingsOf = (tier: string) => count(`SELECT count(*)::int AS n FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = $1`, [tier]);

const holdNightLock = (tier: string, night: string) => holdLockOf(db, tier, night);
const advisoryWaiters = () => advisoryLockWaiters(db);

beforeAll(async () => {
  db = await createTestDatabase();
  app = await db.open({ poolSize: 12 });
});
afterAll(async () => db?.drop());

describe("database unreachable or misconfigured", () => {
  it("exits 69 within seconds naming host and port, never the password", async () => {
    const started = Date.now();
    const result = await runInProcess(["--database-url", "postgresql://hotel:s3cret-pw@127.0.0.1:1/hotel", "availability", "--json"]);
    expect(result.code).toBe(69);
    expect(Date.now() - started).toBeLessThan(10_000);
    const document = JSON.parse(result.stdout);
    expect(document.error.code).toBe("DB_UNAVAILABLE");
    expect(document.error.message).toContain("127.0.0.1:1");
    expect(result.stdout + result.stderr).not.toContain("s3cret-pw");
    const human = await runInProcess(["availability", "--verbose"], { env: { DATABASE_URL: "postgresql://hotel:s3cret-pw@127.0.0.1:1/hotel" } });
    expect(human.code).toBe(69);
    expect(human.stderr).toMatch(/unreachable at 127\.0\.0\.1:1/);
    expect(human.stderr).not.toContain("s3cret-pw");
  });

  it.each([
    ["a bad port", "postgresql://hotel:s3cret-pw@localhost:notaport/hotel"],
    ["another scheme", "mysql://hotel:s3cret-pw@localhost/hotel"],
    ["no scheme at all", "hotel:s3cret-pw@localhost"],
  ])("exits 78 for a malformed URL (%s) without printing the password", async (_label, url) => {
    const result = await runInProcess(["--database-url", url, "bookings", "--json"]);
    expect(result.code).toBe(78);
    expect(JSON.parse(result.stdout).error.code).toBe("CONFIG");
    expect(result.stdout + result.stderr).not.toContain("s3cret-pw");
  });
});

describe("lock waits and timeouts", () => {
  beforeAll(async () => {
    await createTier(db, "locked", 3, "L");
  });

  it("a lock that is never released ends as 503 / exit 75 with retryAfter within the lock timeout, writing nothing", async () => {
    const lock = await holdNightLock("locked", "2031-01-10");
    try {
      const started = Date.now();
      const result = await hotel("book", "--tier", "locked", "--check-in", "2031-01-09", "--nights", "3", "--guest", "Waits", "--lock-timeout", "400", "--json");
      expect(result.code).toBe(75);
      expect(JSON.parse(result.stdout)).toMatchObject({ outcome: "busy", status: 503, retryAfter: 1, error: { code: "BUSY" } });
      expect(Date.now() - started).toBeLessThan(5_000);
      const viaEnv = await runInProcess(["--database-url", db.url, "book", "--tier", "locked", "--check-in", "2031-01-10", "--nights", "1", "--guest", "Env"], {
        env: { HOTEL_LOCK_TIMEOUT_MS: "300" },
      });
      expect(viaEnv.code).toBe(75);
      expect(viaEnv.stderr).toMatch(/High load, please retry.*300 ms/);
    } finally {
      await lock.release();
    }
    expect(await bookingsOf("locked")).toBe(0);
  });

  it("Prisma's maxWait for a pool connection (P2028) maps to 503 too", async () => {
    const tiny = await db.open({ poolSize: 1 });
    // The property's id is looked up once per client: before the pool is starved, as in a serve that has answered once.
    await propertyId(hotelOf(tiny));
    const hog = tiny.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT pg_sleep(1.5)::text`;
    }, { timeout: 5000 });
    // The pool's one connection is busy once the hog's sleep runs.
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep(1.5)%'`, [db.name])) > 0, 15_000, "the hog's sleep");
    const result = await book(hotelOf(tiny), { tier: "locked", guestName: "Starved", checkIn: "2031-01-20", checkOut: "2031-01-21" }, { strategy: "interactive", lockTimeoutMs: 200 });
    await hog;
    expect(result).toMatchObject({ outcome: "busy", status: 503, code: "BUSY" });
    expect(await bookingsOf("locked")).toBe(0);
  });
  it("a pool whose every connection stays busy past the connect timeout answers 503, not 'unreachable'", async () => {
    const starved = await openDatabase({ databaseUrl: db.url, poolSize: 1, connectTimeoutMs: 300 });
    try {
      const hotel = hotelOf(starved);
      await propertyId(hotel);
      const hog = starved.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT pg_sleep(1.5)::text`;
      }, { timeout: 5000 });
      await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep(1.5)%'`, [db.name])) > 0, 15_000, "the hog's sleep");
      const result = await book(hotel, { tier: "locked", guestName: "Starved too", checkIn: "2031-01-21", checkOut: "2031-01-22" }, { lockTimeoutMs: 200 });
      await hog;
      expect(result).toMatchObject({ outcome: "busy", status: 503, code: "BUSY" });
      expect(await bookingsOf("locked")).toBe(0);
    } finally {
      await starved.close();
    }
  });
});

describe("bounded retries of serialization failures and deadlocks", () => {
  beforeAll(async () => {
    await createTier(db, "flaky", 2, "K");
    // Forces real errors from the database, the first N inserts of a tier:
    // a sequence is not rolled back with the failing transaction.
    await db.query(`
      CREATE SEQUENCE flaky_failures;
      CREATE TABLE flaky_plan (sqlstate text, failures int);
      CREATE FUNCTION flaky_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE plan flaky_plan%ROWTYPE;
      BEGIN
        SELECT * INTO plan FROM flaky_plan LIMIT 1;
        IF FOUND AND nextval('flaky_failures') <= plan.failures THEN
          RAISE EXCEPTION 'forced failure' USING ERRCODE = plan.sqlstate;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER flaky BEFORE INSERT ON bookings FOR EACH ROW
        WHEN (NEW.guest_name LIKE 'flaky%') EXECUTE FUNCTION flaky_insert();`);
  });

  const plan = async (sqlstate: string, failures: number) => {
    await db.query(`DELETE FROM flaky_plan; INSERT INTO flaky_plan VALUES ('${sqlstate}', ${failures}); SELECT setval('flaky_failures', 1, false);`);
  };

  it.each(["40001", "40P01", "23P01"])("retries SQLSTATE %s with backoff and then books", async (sqlstate) => {
    await plan(sqlstate, 2);
    const retries: string[] = [];
    const result = await book(hotelOf(app), { tier: "flaky", guestName: `flaky ${sqlstate}`, checkIn: "2031-02-01", checkOut: "2031-02-02" }, {
      onRetry: (_attempt, state) => retries.push(state ?? "?"),
    });
    expect(result).toMatchObject({ outcome: "accepted", attempts: 3 });
    expect(retries).toEqual([sqlstate, sqlstate]);
    await db.query(`UPDATE bookings SET status = 'cancelled' WHERE guest_name = $1`, [`flaky ${sqlstate}`]);
  });

  it("gives up after the bounded attempts with 409 CONFLICT and writes nothing; --verbose shows the retries", async () => {
    await plan("40P01", 1000);
    const before = await bookingsOf("flaky");
    const result = await book(hotelOf(app), { tier: "flaky", guestName: "flaky forever", checkIn: "2031-02-03", checkOut: "2031-02-04" }, { maxAttempts: 4 });
    expect(result).toMatchObject({ outcome: "refused", status: 409, code: "CONFLICT", message: "Booking conflict, please retry", attempts: 4 });
    const { url: secretUrl, secret } = urlWithSecret(db.url, "hunter2-secret");
    const cli = await runInProcess(["--database-url", secretUrl, "book", "--tier", "flaky", "--check-in", "2031-02-03", "--nights", "1", "--guest", "flaky cli", "--verbose"]);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(/attempt 1 failed with SQLSTATE 40P01; retrying in \d+ ms/);
    expect(cli.stderr).toMatch(/Booking conflict, please retry/);
    expect(cli.stderr + cli.stdout).not.toContain(secret);
    expect(await bookingsOf("flaky")).toBe(before);
    await plan("40001", 0);
    const verbose = await runInProcess(["--database-url", secretUrl, "book", "--tier", "flaky", "--check-in", "2031-02-05", "--nights", "1", "--guest", "flaky ok", "--verbose"]);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/lock wait \d+\.\d+ ms over 1 attempt/);
    expect(verbose.stderr).not.toContain(secret);
  });
});

describe("exactly once", () => {
  beforeAll(async () => {
    await createTier(db, "once", 5, "X");
  });

  it("the same idempotency key from 10 clients at once (3 of them processes of their own) yields one booking and the same id for all", async () => {
    const args = ["book", "--tier", "once", "--check-in", "2031-03-01", "--nights", "2", "--guest", "Once", "--idempotency-key", "cron-42", "--json"];
    // Each in-process run opens its own pool, so all 10 race as separate sessions; 3 are separate processes too.
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i < 3 ? spawned(...args) : hotel(...args))));
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    const ids = new Set(results.map((r) => JSON.parse(r.stdout).booking.id));
    expect(ids.size).toBe(1);
    expect(await bookingsOf("once")).toBe(1);
    const [id] = [...ids];
    expect(await db.query(`SELECT id, idempotency_key FROM bookings WHERE idempotency_key = 'cron-42'`)).toEqual([{ id, idempotency_key: "cron-42" }]);
  });

  it("cancelling and re-booking works; the old key keeps naming the cancelled booking", async () => {
    const first = JSON.parse((await hotel("book", "--tier", "once", "--check-in", "2031-03-10", "--nights", "1", "--guest", "Re", "--idempotency-key", "re-1", "--json")).stdout);
    expect((await hotel("cancel", String(first.booking.id))).code).toBe(0);
    const replay = JSON.parse((await hotel("book", "--tier", "once", "--check-in", "2031-03-10", "--nights", "1", "--guest", "Re", "--idempotency-key", "re-1", "--json")).stdout);
    expect(replay.booking).toMatchObject({ id: first.booking.id, status: "cancelled" });
    const rebooked = await hotel("book", "--tier", "once", "--check-in", "2031-03-10", "--nights", "1", "--guest", "Re", "--idempotency-key", "re-2", "--json");
    expect(rebooked.code).toBe(0);
    expect(JSON.parse(rebooked.stdout).booking.suite).toBe(first.booking.suite);
    expect(await db.query(`SELECT status FROM bookings WHERE guest_name = 'Re' ORDER BY id`)).toEqual([{ status: "cancelled" }, { status: "confirmed" }]);
  });

  it("backends killed mid-run never lose or duplicate a booking made with a key", async () => {
    await createTier(db, "killed", 200, "Z");
    // Kills one booking backend at a time, mid-flight, until it has killed
    // enough to matter; bounded so that every client gets through after it.
    let killing = true;
    let killed = 0;
    const seed = testSeed();
    const killer = (async () => {
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      // Which backend dies is random() on the server: seeded, so a failing run can be repeated.
      await admin.query("SELECT setseed($1)", [seed / 2 ** 32]);
      while (killing && killed < 60) {
        const result = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM (
             SELECT pid FROM pg_stat_activity
              WHERE datname = $1 AND pid <> pg_backend_pid() AND query LIKE '%hotel_book%' AND state = 'active'
              ORDER BY random() LIMIT 1) AS victim`,
          [db.name],
        );
        killed += result.rowCount ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await admin.end();
    })();
    const accepted = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const key = `lost-ack-${i}`;
        const request = { tier: "killed", guestName: `Guest ${i}`, checkIn: "2031-04-01", checkOut: "2031-04-03", idempotencyKey: key };
        // A client that retries with the same key until it hears an answer;
        // 503 (busy: on a loaded machine, 120 clients queue for 12 connections)
        // only says to retry later.
        for (let attempt = 0; attempt < 100; attempt++) {
          try {
            const result = await book(hotelOf(app), request, { maxAttempts: 2 });
            if (result.outcome === "busy") continue;
            if (result.outcome === "accepted") accepted.set(key, result.booking.id);
            return;
          } catch (error) {
            expect((error as { code?: string }).code).toBe("DB_UNAVAILABLE");
          }
        }
      }),
    );
    killing = false;
    await killer;
    expect(killed).toBeGreaterThan(0);
    const rows = await db.query<{ id: number; idempotency_key: string }>(
      `SELECT b.id, b.idempotency_key FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = 'killed' AND b.status = 'confirmed'`,
    );
    expect(rows).toHaveLength(accepted.size);
    expect(accepted.size).toBe(120);
    for (const row of rows) expect(accepted.get(row.idempotency_key)).toBe(row.id);
  });
});

describe("signals", () => {
  beforeAll(async () => {
    await createTier(db, "signal", 2, "G");
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s while a booking waits for its lock rolls it back and exits %i", async (signal, code) => {
    const lock = await holdNightLock("signal", "2031-05-01");
    const run = spawnCli(["--database-url", db.url, "book", "--tier", "signal", "--check-in", "2031-05-01", "--nights", "1", "--guest", `Sig ${signal}`, "--lock-timeout", "30000", "--json"]);
    try {
      await waitFor(async () => (await advisoryWaiters()) > 0, 15_000, "the booking to wait for the lock");
      run.child.kill(signal);
      const result = await run.done;
      expect(result.code).toBe(code);
      expect(JSON.parse(result.stdout).error.code).toBe("INTERRUPTED");
      expect(await advisoryWaiters()).toBe(0);
    } finally {
      await lock.release();
    }
    await untilNoneRunning(db, "hotel_book");
    expect(await bookingsOf("signal")).toBe(0);
  });

  it("SIGINT during db migrate exits 130 and leaves the schema untouched", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    const holder = new pg.Client({ connectionString: fresh.url });
    try {
      await holder.connect();
      await holder.query("SELECT pg_advisory_lock(72707369)"); // Prisma's migrate lock
      const run = spawnCli(["--database-url", fresh.url, "db", "migrate"]);
      await waitFor(async () => Number((await fresh.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'advisory'`, [fresh.name]))[0]?.n) > 0, 15_000, "migrate to wait");
      run.child.kill("SIGINT");
      const result = await run.done;
      expect(result.code).toBe(130);
      expect(result.stderr).toMatch(/Interrupted by SIGINT/);
      await holder.end();
      expect(await fresh.query(`SELECT to_regclass('bookings') AS t, to_regclass('_prisma_migrations') AS m`)).toEqual([{ t: null, m: null }]);
    } finally {
      await holder.end().catch(() => undefined);
      await fresh.drop();
    }
  });
});

describe("hostile input is data", () => {
  beforeAll(async () => {
    await createTier(db, "hostile", 3, "H");
  });

  it("stores SQL-looking names verbatim and prints stored control characters escaped", async () => {
    const sqlish = "Robert'); DROP TABLE bookings;--";
    const booked = await hotel("book", "--tier", "hostile", "--check-in", "2031-06-01", "--nights", "1", "--guest", sqlish, "--json");
    expect(booked.code).toBe(0);
    expect(await db.query(`SELECT guest_name FROM bookings WHERE guest_name = $1`, [sqlish])).toHaveLength(1);
    // Rows written by something else may hold escapes; they must not reach the terminal raw.
    const suite = (await db.query<{ id: number; tier_id: number }>(`SELECT s.id, s.tier_id FROM suites s WHERE s.number = 'H002'`))[0]!;
    await db.query(`INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out) VALUES (1, $1, $2, $3, '2031-06-01', '2031-06-02')`, [
      suite.id,
      suite.tier_id,
      "Evil\u001b]0;pwned\u0007\u001b[2J",
    ]);
    const listed = await hotel("bookings", "--tier", "hostile");
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain("\u001b");
    expect(listed.stdout).not.toContain("\u0007");
    expect(listed.stdout).toContain("Evil\\x1b]0;pwned");
  });

  it.each([
    ["a 100 KB guest name", 65, ["book", "--tier", "hostile", "--check-in", "2031-06-01", "--nights", "1", "--guest", "x".repeat(100_000)]],
    ["a control character in the tier", 65, ["book", "--tier", "host\u0007ile", "--check-in", "2031-06-01", "--nights", "1", "--guest", "X"]],
    ["a five-digit year", 65, ["book", "--tier", "hostile", "--check-in", "99999-01-01", "--nights", "1", "--guest", "X"]],
    ["negative nights", 65, ["book", "--tier", "hostile", "--check-in", "2031-06-01", "--nights", "-3", "--guest", "X"]],
    ["nights in exponent notation", 65, ["book", "--tier", "hostile", "--check-in", "2031-06-01", "--nights", "1e9", "--guest", "X"]],
    ["a stay past the year 9999", 65, ["book", "--tier", "hostile", "--check-in", "9999-12-31", "--nights", "2", "--guest", "X"]],
  ] as const)("%s exits %i and writes nothing", async (_label, code, args) => {
    const before = await count(`SELECT count(*)::int AS n FROM bookings`);
    const result = await hotel(...args);
    expect(result.code, result.stderr.slice(0, 300)).toBe(code);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr.length).toBeLessThan(400);
    expect(await count(`SELECT count(*)::int AS n FROM bookings`)).toBe(before);
  });
});

describe("hotel check", () => {
  it("exits 0 on clean data and 1 with a readable list for each kind of problem", async () => {
    const clean = await createTestDatabase();
    const audit = (...args: string[]) => runInProcess(["--database-url", clean.url, "check", ...args]);
    try {
      await createTier(clean, "audit", 2, "A");
      await clean.query(`INSERT INTO tiers (property_id, name) VALUES (1, 'other')`);
      const ok = await audit("--json");
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problems: [] });
      // Plant every kind of problem, switching off the guards that prevent them.
      await clean.query(`
        ALTER TABLE bookings DROP CONSTRAINT bookings_no_double_booking;
        INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
          SELECT 1, s.id, s.tier_id, g, '2031-07-01', '2031-07-03' FROM suites s, unnest(ARRAY['a','b','c']) g WHERE s.number = 'A001';
        UPDATE suites SET active = false WHERE number = 'A002';
        INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
          SELECT 1, s.id, s.tier_id, 'inactive', '2099-01-01', '2099-01-02' FROM suites s WHERE s.number = 'A002';
        SET session_replication_role = replica;
        INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out) VALUES (1, 9999, 9999, 'orphan', '2031-07-01', '2031-07-02');
        INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out)
          SELECT 1, s.id, (SELECT id FROM tiers WHERE name = 'other'), 'wrong tier', '2031-08-01', '2031-08-02' FROM suites s WHERE s.number = 'A001';
        SET session_replication_role = origin;
        INSERT INTO tier_night_counts (property_id, tier_id, night, booked, low_water, generation)
          SELECT 1, c.tier_id, '2031-09-01', 0, 'A001', c.generation FROM tier_suite_counts c JOIN tiers t ON t.id = c.tier_id WHERE t.name = 'audit';`);
      const bad = await audit("--json");
      expect(bad.code).toBe(1);
      const kinds = new Set(JSON.parse(bad.stdout).problems.map((p: { kind: string }) => p.kind));
      expect(kinds).toEqual(
        new Set(["overbooked-night", "double-booked-suite", "booking-on-inactive-suite", "orphan-booking", "missing-safety-net", "count-drift", "stale-mark"]),
      );
      const human = await audit();
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/overbooked: audit on 2031-07-01 has 3 bookings for 1 active suites/);
      expect(human.stdout).toMatch(/double-booked: suite A001, bookings #\d+ and #\d+ overlap/);
      expect(human.stdout).toMatch(/orphan: booking #\d+: its suite does not exist/);
      expect(human.stdout).toMatch(/its tier differs from its suite's tier/);
      expect(human.stdout).toMatch(/count drift: other, bookings on 2031-08-01: counted 0, actually 1/);
      expect(human.stdout).toMatch(/stale mark: audit on 2031-09-01 is marked taken up to A001, but suite A001 is free/);
    } finally {
      await clean.drop();
    }
  });
});
