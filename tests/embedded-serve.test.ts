import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedServerRunning, stopEmbeddedServer } from "../src/db/embedded.js";
import { cleanEnv, waitFor } from "./support/cli.js";
import { runInProcess } from "./support/in-process.js";
import { childrenOf, processDead } from "./support/processes.js";
import { request, startServe, type Reply } from "./support/served.js";

// `hotel serve` (its own process) on the embedded default, whose PostgreSQL
// dies under it; the commands before and after it run in-process.
const home = mkdtempSync(path.join(tmpdir(), "hotel-embedded-serve-"));
const env = cleanEnv({ HOTEL_HOME: home });

afterAll(async () => {
  await stopEmbeddedServer(home).catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
});

const postmasterPid = (): number => Number(readFileSync(path.join(home, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
const night = (i: number): string => new Date(Date.UTC(2031, 6, 1) + i * 86_400_000).toISOString().slice(0, 10);

describe("hotel serve when its embedded PostgreSQL is killed", () => {
  it("answers 503 + Retry-After meanwhile, restarts it, books again within seconds and keeps every committed booking", async () => {
    expect((await runInProcess(["db", "seed"], { env })).code).toBe(0);
    const served = await startServe([], env);
    const book = (i: number): Promise<Reply> => request(`${served.url}/api/bookings`, "POST", { tier: "standard", checkIn: night(i), nights: 1, guestName: `Guest ${i}` });
    try {
      const before = await book(0);
      expect(before.status).toBe(201);
      const killed = postmasterPid();
      const serverProcesses = [killed, ...childrenOf(killed)];
      process.kill(killed, "SIGKILL");
      const killedAt = performance.now();
      // Its backends outlive the postmaster for a moment, and one of them may
      // still answer serve's pooled connection: book once they are all gone.
      await waitFor(async () => serverProcesses.every(processDead), 15_000, "the killed server's processes to end");

      // A client that keeps booking until it gets through, as a front desk would.
      const outage: Reply[] = [];
      let after: Reply | undefined;
      for (let i = 1; !after && performance.now() - killedAt < 30_000; i++) {
        const reply = await book(i);
        if (reply.status === 201) after = reply;
        else outage.push(reply);
        if (!after) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const recoveredMs = Math.round(performance.now() - killedAt);
      console.info(`embedded-serve.test.ts: booking again ${recoveredMs} ms after the postmaster was killed (${outage.length} answers meanwhile)`);
      expect(after?.status).toBe(201);
      expect(recoveredMs).toBeLessThan(15_000);
      for (const reply of outage) {
        expect(reply.status).toBe(503);
        expect(Number(reply.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(reply.json.code).toBe("DB_UNAVAILABLE");
      }
      expect(postmasterPid()).not.toBe(killed);

      const earlier = await request(`${served.url}/api/bookings/${(before.json.booking as { id: number }).id}`);
      expect(earlier.status).toBe(200);
      expect(earlier.json.booking).toMatchObject({ guest: "Guest 0", status: "confirmed" });

      const stopped = await served.stop();
      expect(stopped.code).toBe(0);
      // One line per change, and the same as events with --json; no password anywhere.
      const lines = stopped.stderr.split("\n").filter((line) => /^hotel serve: (the database|restarted|could not restart)/.test(line));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^hotel serve: the database is unreachable \(.+\); answering 503 until it is back$/);
      expect(lines[1]).toMatch(
        /^hotel serve: the database is reachable again after \d+\.\d s \(restarted the embedded PostgreSQL; its crash recovery keeps every committed booking\)$/,
      );
      const events = served.events.filter((event) => String(event.event).startsWith("database-"));
      expect(events).toMatchObject([{ event: "database-unreachable" }, { event: "database-reachable", restarted: true }]);
      expect(stopped.stderr.split("\n").filter((line) => line.startsWith("hotel serve: 503 POST /api/bookings: DB_UNAVAILABLE"))).toHaveLength(outage.length);
      const password = readFileSync(path.join(home, "password"), "utf8").trim();
      expect(stopped.stdout + stopped.stderr).not.toContain(password);
    } finally {
      served.child.kill("SIGKILL");
    }
    expect(embeddedServerRunning(home)).toBe(false);

    const check = await runInProcess(["check"], { env });
    expect(check.code, check.stdout).toBe(0);
    const listed = JSON.parse((await runInProcess(["bookings", "--json"], { env })).stdout).bookings as { guest: string }[];
    expect(listed.map((b) => b.guest)).toEqual(["Guest 0", expect.stringMatching(/^Guest \d+$/)]);
    expect(embeddedServerRunning(home)).toBe(false);
  });
});
