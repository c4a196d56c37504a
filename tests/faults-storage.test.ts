import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedServerRunning, stopEmbeddedServer } from "../src/db/embedded.js";
import { cleanEnv, waitFor } from "./support/cli.js";
import { createTestDatabase, createTier, type TestDatabase } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";
import { fillDisk, mountTmpfs, request, startServe, unmount } from "./support/served.js";

/**
 * Disk faults, made for real: HOTEL_HOME on a small tmpfs that fills up. And
 * the server's own resource errors (SQLSTATE classes 53, 58, XX), raised by
 * PostgreSQL itself from a trigger on an external database. The commands run
 * in-process (their embedded server is still a real one on the full disk);
 * `hotel serve` runs as its own process.
 */
const tmp = mkdtempSync(path.join(tmpdir(), "hotel-storage-"));
const probe = mountTmpfs(path.join(tmp, "probe"), "1m");
if (probe.ok) unmount(path.join(tmp, "probe"));
else console.warn(`faults-storage.test.ts: the full-disk cases are skipped: ${probe.why}`);

const mounts: string[] = [];
const homes: string[] = [];

/** A fresh tmpfs of `size` and a HOTEL_HOME on it. */
function smallDisk(name: string, size: string, readOnly = false): { disk: string; home: string; env: NodeJS.ProcessEnv } {
  const disk = path.join(tmp, name);
  const mounted = mountTmpfs(disk, size, readOnly);
  if (!mounted.ok) throw new Error(mounted.why);
  mounts.push(disk);
  const home = path.join(disk, "home");
  homes.push(home);
  return { disk, home, env: cleanEnv({ HOTEL_HOME: home }) };
}

afterAll(async () => {
  for (const disk of mounts) rmSync(path.join(disk, "filler"), { force: true });
  for (const home of homes) await stopEmbeddedServer(home).catch(() => undefined);
  for (const disk of mounts) unmount(disk);
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!probe.ok)("HOTEL_HOME's disk", () => {
  it("with 20 MB free at first use: exit 73 naming the directory and the ~60 MB needed; no cluster is left", async () => {
    const { home, env, disk } = smallDisk("tiny", "20m");
    const result = await runInProcess(["db", "seed"], { env });
    expect(result.code).toBe(73);
    expect(result.stderr).toContain(`${home} (HOTEL_HOME) needs about 60 MB free for a new database, but tmpfs on ${disk} has 20.0 MB`);
    expect(result.stderr).not.toMatch(/this is a bug/);
    const json = await runInProcess(["book", "--tier", "standard", "--check-in", "2031-01-01", "--nights", "1", "--guest", "A", "--json"], { env });
    expect(json.code).toBe(73);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "STORAGE", message: expect.stringContaining("needs about 60 MB") });
    expect(readdirSync(home).sort()).toEqual(["run"]);
    expect(embeddedServerRunning(home)).toBe(false);
  });

  it("read-only: exit 73 saying so, naming the directory", async () => {
    const { home, env } = smallDisk("readonly", "1m", true);
    const result = await runInProcess(["bookings"], { env });
    expect(result.code).toBe(73);
    expect(result.stderr).toMatch(new RegExp(`${home} \\(HOTEL_HOME\\) is on a read-only file system`));
  });

  it("filling up between two bookings: exit 73 naming the disk, nothing written; once space is freed nothing was lost", async () => {
    const { disk, env, home } = smallDisk("fills", "100m");
    const hotel = (...args: string[]) => runInProcess(args, { env });
    expect((await hotel("db", "seed")).code).toBe(0);
    const first = await hotel("book", "--tier", "standard", "--check-in", "2031-03-01", "--nights", "2", "--guest", "Before", "--json");
    expect(first.code, first.stderr).toBe(0);

    fillDisk(path.join(disk, "filler"));
    const full = await hotel("book", "--tier", "standard", "--check-in", "2031-03-02", "--nights", "1", "--guest", "Full");
    expect(full.code).toBe(73);
    expect(full.stderr.trim()).toBe(`error: No space left on tmpfs on ${disk}, which holds ${home} (HOTEL_HOME): free some space there, then retry; nothing was written`);
    expect(embeddedServerRunning(home)).toBe(false);

    rmSync(path.join(disk, "filler"));
    const after = await hotel("book", "--tier", "standard", "--check-in", "2031-03-02", "--nights", "1", "--guest", "After", "--json");
    expect(after.code, after.stderr).toBe(0);
    const listed = JSON.parse((await hotel("bookings", "--json")).stdout).bookings;
    expect(listed.map((b: { guest: string; suite: string }) => [b.guest, b.suite])).toEqual([
      ["Before", "S101"],
      ["After", "S102"],
    ]);
    expect((await hotel("check")).code).toBe(0);
    expect(embeddedServerRunning(home)).toBe(false);
  });

  it("PostgreSQL itself out of disk under hotel serve: 503 + Retry-After naming the cause, logged; serve still stops its server; nothing lost", async () => {
    const { disk, env, home } = smallDisk("server-full", "100m");
    expect((await runInProcess(["db", "seed"], { env })).code).toBe(0);
    const served = await startServe([], env);
    // A night of its own for each, so that none is refused for want of a suite.
    const night = (i: number): string => new Date(Date.UTC(2031, 3, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const book = (i: number) => request(`${served.url}/api/bookings`, "POST", { tier: "standard", checkIn: night(i), nights: 1, guestName: `G${i}` });
    try {
      expect((await book(0)).status).toBe(201);
      fillDisk(path.join(disk, "filler"));
      // The bookings table fills the space its pages have left; the next page cannot be had.
      let accepted = 1;
      let refused: Awaited<ReturnType<typeof book>> | undefined;
      for (let i = 1; i < 2000 && !refused; i++) {
        const reply = await book(i);
        if (reply.status === 201) accepted++;
        else refused = reply;
      }
      expect(refused?.status).toBe(503);
      expect(refused?.headers.get("retry-after")).toBe("5");
      expect(refused?.json).toMatchObject({ code: "BUSY", error: expect.stringMatching(/^The database server is out of disk space: free space on its disk, then retry; nothing was written \(SQLSTATE 53100: could not extend file/) });
      // Logged once the answer is sent: the line may trail the response.
      await waitFor(async () => /hotel serve: 503 POST \/api\/bookings: BUSY The database server is out of disk space/.test(served.stderr()), 5000, "the 503 on stderr");

      // Stopped on the full disk, where not even the lock can be written: the server stops too.
      expect((await served.stop()).code).toBe(0);
      expect(embeddedServerRunning(home)).toBe(false);

      rmSync(path.join(disk, "filler"));
      const again = await runInProcess(["book", "--tier", "standard", "--check-in", night(9999), "--nights", "1", "--guest", "After"], { env });
      expect(again.code, again.stderr).toBe(0);
      accepted++;
      const check = await runInProcess(["check", "--json"], { env });
      expect(check.code, check.stdout).toBe(0);
      expect(JSON.parse((await runInProcess(["bookings", "--json"], { env })).stdout).bookings).toHaveLength(accepted);
    } finally {
      served.child.kill("SIGKILL");
    }
    expect(embeddedServerRunning(home)).toBe(false);
  });
});

describe("the server's own faults from an external database (SQLSTATE 53, 58, XX)", () => {
  let db: TestDatabase;
  // The mapping of SQLSTATEs to exit codes is the command's logic: in-process.
  const hotel = (...args: string[]) => runInProcess(["--database-url", db.url, ...args]);

  beforeAll(async () => {
    db = await createTestDatabase();
    await createTier(db, "faulty", 2, "F");
    // PostgreSQL raises the real error, with its SQLSTATE, as it would when short of disk or memory.
    await db.query(`
      CREATE TABLE fault_plan (sqlstate text);
      CREATE FUNCTION fault_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE planned text;
      BEGIN
        SELECT sqlstate INTO planned FROM fault_plan LIMIT 1;
        IF planned IS NOT NULL THEN RAISE EXCEPTION 'forced % failure', planned USING ERRCODE = planned; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fault BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION fault_insert();`);
  });
  afterAll(async () => db?.drop());

  it.each([
    ["53100", 75, /^The database server is out of disk space: free space on its disk, then retry; nothing was written \(SQLSTATE 53100: forced 53100 failure\)$/],
    ["53200", 75, /is out of memory: retry later, or give it more memory; nothing was written/],
    ["53400", 75, /hit one of its configured limits/],
    ["53000", 75, /ran short of resources: retry later; nothing was written/],
    ["58030", 69, /failed on its own files \(SQLSTATE 58030: forced 58030 failure\): check its log and disk/],
    ["XX001", 69, /reported an internal error \(SQLSTATE XX001: forced XX001 failure\)/],
  ] as const)("SQLSTATE %s exits %i with a message naming the cause, never 'a bug', and writes nothing", async (sqlstate, code, message) => {
    await db.query(`DELETE FROM fault_plan`);
    await db.query(`INSERT INTO fault_plan VALUES ($1)`, [sqlstate]);
    const result = await hotel("book", "--tier", "faulty", "--check-in", "2031-05-01", "--nights", "1", "--guest", "X", "--json");
    expect(result.code).toBe(code);
    const error = JSON.parse(result.stdout).error;
    expect(error.message).toMatch(message);
    expect(error.code).toBe(code === 75 ? "BUSY" : "DB_UNAVAILABLE");
    if (code === 75) expect(JSON.parse(result.stdout)).toMatchObject({ outcome: "busy", status: 503, retryAfter: 5, error: { retryAfter: 5 } });
    const human = await hotel("book", "--tier", "faulty", "--check-in", "2031-05-01", "--nights", "1", "--guest", "X");
    expect(human.stderr).not.toMatch(/this is a bug/);
    expect(await db.query(`SELECT count(*)::int AS n FROM bookings`)).toEqual([{ n: 0 }]);
  });

  it("over HTTP, a server out of disk is 503 with Retry-After and the cause", async () => {
    await db.query(`DELETE FROM fault_plan; INSERT INTO fault_plan VALUES ('53100')`);
    const served = await startServe(["--database-url", db.url], cleanEnv());
    try {
      const reply = await request(`${served.url}/api/bookings`, "POST", { tier: "faulty", checkIn: "2031-05-02", nights: 1, guestName: "Y" });
      expect(reply.status).toBe(503);
      expect(reply.headers.get("retry-after")).toBe("5");
      expect(reply.json).toMatchObject({ code: "BUSY", error: expect.stringContaining("out of disk space") });
      expect((await served.stop()).code).toBe(0);
      expect(served.stderr()).toMatch(/503 POST \/api\/bookings: BUSY The database server is out of disk space/);
    } finally {
      served.child.kill("SIGKILL");
      await db.query(`DELETE FROM fault_plan`);
    }
  });
});
