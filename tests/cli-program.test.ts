import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { AnyCommand } from "../src/cli/command.js";
import { buildProgram, type Runner } from "../src/cli/program.js";
import { createTier, useTestDatabase } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";
import { holdNightLock, untilLockWaiter } from "./support/locks.js";

const db = useTestDatabase();

/** What the flags of `argv` parse to, without running anything (gh's runF). */
async function parsed(argv: string[]): Promise<{ command: string; options: unknown }> {
  let seen: { command: string; options: unknown } | undefined;
  const sink = { write: () => true };
  const runner: Runner = {
    async run(definition: AnyCommand, input) {
      seen = { command: definition.name, options: definition.parse(input.flags, input.args) };
    },
  };
  await buildProgram("0.0.0-test", { stdout: sink, stderr: sink }, runner).parseAsync(argv, { from: "user" });
  if (!seen) throw new Error(`${argv.join(" ")} ran nothing`);
  return seen;
}

describe("commands own their definitions", () => {
  it.each([
    [["book", "--tier", "deluxe", "--check-in", "2031-01-01", "--nights", "2", "--guest", "Ada"], "book", { tier: "deluxe", checkIn: "2031-01-01", nights: "2", guest: "Ada" }],
    [["cancel", "42"], "cancel", { id: "42" }],
    [["bookings", "--tier", "loft"], "bookings", { tier: "loft", status: "all", limit: "1000" }],
    [["suites", "add", "--tier", "loft", "L1", "L2"], "add", { tier: "loft", numbers: ["L1", "L2"] }],
    [["suites", "disable", "L1"], "disable", { number: "L1", force: false }],
    [["suites"], "list", { tier: undefined }],
    [["serve", "--port", "0", "--host", " ::1 "], "serve", { host: "::1", port: 0 }],
    [
      ["stress", "--url", "http://a:3000", "--url", "http://b:3000", "--token", "htk_t", "-y", "--n", "5"],
      "stress",
      { stress: { url: ["http://a:3000", "http://b:3000"], n: "5", tier: "standard", nights: "1", scenario: "same-dates", strategy: "locked", workers: "1" }, yes: true, token: "htk_t" },
    ],
    [["stress-worker", "{}"], "stress-worker", { plan: "{}" }],
  ])("%j parses to the %s command's options", async (argv, command, options) => {
    expect(await parsed(argv)).toEqual({ command, options });
  });
});

describe("in-process runs share no state", () => {
  it("an interrupted run exits 130 with one document, rolls back, and leaves no listener or silencing behind", async () => {
    await createTier(db, "sig", 1, "SG");
    const processListeners = process.listenerCount("SIGINT");
    const signals = new EventEmitter();
    const lock = await holdNightLock(db, "sig", "2031-02-01");
    let interrupted;
    try {
      const run = runInProcess(["--database-url", db.url, "book", "--tier", "sig", "--check-in", "2031-02-01", "--nights", "1", "--guest", "Cut", "--lock-timeout", "30000", "--json"], { signals });
      await untilLockWaiter(db);
      signals.emit("SIGINT");
      interrupted = await run;
    } finally {
      await lock.release();
    }
    expect(interrupted.code).toBe(130);
    expect(JSON.parse(interrupted.stdout)).toEqual({ error: { code: "INTERRUPTED", message: "Interrupted by SIGINT: work in flight was rolled back" } });
    expect(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM")).toBe(0);
    expect(process.listenerCount("SIGINT")).toBe(processListeners);
    // The next run prints as usual, and the interrupted booking was rolled back.
    const next = await runInProcess(["--database-url", db.url, "book", "--tier", "sig", "--check-in", "2031-02-01", "--nights", "1", "--guest", "Next"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^Booked: #\d+ suite SG001/);
    expect(await db.query(`SELECT guest_name FROM bookings`)).toEqual([{ guest_name: "Next" }]);
  });
});
