import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedServerRunning, stopEmbeddedServer } from "../src/db/embedded.js";
import { cleanEnv, runCli, spawnCli, waitFor } from "./support/cli.js";
import { runInProcess } from "./support/in-process.js";

// The embedded default, end to end: no --database-url, no DATABASE_URL.
const home = mkdtempSync(path.join(tmpdir(), "hotel-embedded-cli-"));
const env = cleanEnv({ HOTEL_HOME: home });
const hotel = (...args: string[]) => runCli(args, { env });
/** For a lone invocation after the processes under test: the same embedded lifecycle, without a process's start-up. */
const hotelInProcess = (...args: string[]) => runInProcess(args, { env });

afterAll(async () => {
  await stopEmbeddedServer(home);
  rmSync(home, { recursive: true, force: true });
});

describe("embedded default", () => {
  it("first use initialises and migrates it; parallel invocations share one server and none is left running", async () => {
    const seeded = await hotel("db", "seed");
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(existsSync(path.join(home, "pg", "PG_VERSION"))).toBe(true);
    expect(embeddedServerRunning(home)).toBe(false);

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => hotel("book", "--tier", "standard", "--check-in", "2031-01-01", "--nights", "1", "--guest", `Parallel ${i}`, "--json")),
    );
    expect(results.map((r) => r.code)).toEqual(Array(6).fill(0));
    const suites = results.map((r) => JSON.parse(r.stdout).booking.suite).sort();
    expect(new Set(suites).size).toBe(6);
    expect(embeddedServerRunning(home)).toBe(false);

    const listed = await hotelInProcess("bookings", "--json");
    expect(JSON.parse(listed.stdout).bookings).toHaveLength(6);
    const password = readFileSync(path.join(home, "password"), "utf8").trim();
    for (const output of [...results, listed, seeded]) expect(output.stdout + output.stderr).not.toContain(password);
    expect(embeddedServerRunning(home)).toBe(false);
  });

  it("an invocation killed with SIGKILL does not keep the next one from working, and the last one stops the server", async () => {
    // A long run, killed once it holds its lease on the running server (run/users/<pid>-<n>).
    const victim = spawnCli(["stress", "--n", "200000", "--concurrency", "4", "--json"], { env });
    const leased = (): boolean => readdirSync(path.join(home, "run", "users")).some((name) => name.startsWith(`${victim.child.pid}-`));
    await waitFor(async () => embeddedServerRunning(home) && leased(), 20_000, "the run to hold its lease on the embedded server");
    victim.child.kill("SIGKILL");
    await victim.done;
    const next = await hotelInProcess("availability", "--from", "2031-01-01", "--nights", "1", "--tier", "standard", "--json");
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout).tiers[0].nights[0]).toEqual({ date: "2031-01-01", booked: 6, held: 0, free: 4 });
    expect(embeddedServerRunning(home)).toBe(false);
  });
});
