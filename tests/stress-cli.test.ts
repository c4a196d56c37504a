import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { BIN, CLI_NODE_ARGS, cleanEnv, runCli, type CliResult } from "./support/cli.js";
import { createTestDatabase, createTier, type TestDatabase, urlWithSecret } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";
import { childrenOf } from "./support/processes.js";

// `hotel stress` against this file's own database (so no other file sees its
// scratch schemas). The command's logic runs in this process (main() on
// buffers); what needs a process of its own (worker processes, signals), and
// one whole run, runs the built CLI, spawned as ops would.

let testDb: TestDatabase;
/** The same database with a password in the URL (the server trusts it): it must never be printed. */
let urlWithPassword: string;
let password: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ({ url: urlWithPassword, secret: password } = urlWithSecret(testDb.url));
  // Live data that stress must never touch.
  await createTier(testDb, "standard", 2, "LIVE");
  await testDb.query(`INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out) SELECT 1, id, tier_id, 'Live Guest', '2031-01-01', '2031-01-03' FROM suites WHERE number = 'LIVE001'`);
});
afterAll(async () => testDb?.drop());

type Run = Pick<CliResult, "code" | "stdout" | "stderr">;

/** `hotel stress` in this process. */
const stress = (args: string[]): Promise<Run> => runInProcess(["stress", ...args, "--database-url", urlWithPassword]);

/** `hotel stress` as its own process, the built CLI. */
const stressSpawned = (args: string[]): Promise<Run> => runCli(["stress", ...args, "--database-url", urlWithPassword], { timeoutMs: 50_000 });

const scratchSchemas = async (): Promise<string[]> =>
  (await testDb.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'hotel\\_stress\\_%'`)).map((r) => r.name);

const liveRows = (): Promise<unknown[]> => testDb.query(`SELECT id, suite_id, guest_name, check_in, check_out, status FROM bookings ORDER BY id`);

interface Report {
  requested: number;
  accepted: number;
  refused: number;
  failed: number;
  errors: number;
  strategy: string;
  scenario: string;
  capacity: number;
  workers: number;
  refusedBy: { noAvailability: number; conflict: number };
  latencyMs: Record<"p50" | "p90" | "p95" | "p99" | "p999" | "max", number>;
  lockWaitMs: Record<"p50" | "p95" | "max", number>;
  throughputPerSec: number;
  invariants: { overbookedNights: number; doubleBookedSuites: number; unjustifiedRefusals: number; ok: boolean };
  thresholds: { maxFailed?: { ok: boolean; actual: number }; maxP99Ms?: { ok: boolean; actual: number }; ok: boolean };
  scratch: { schema: string; kept: boolean; inspect?: string[] };
  ok: boolean;
}

function report(result: Run): Report {
  expect(result.stdout.trim().split("\n"), result.stderr).toHaveLength(1);
  return JSON.parse(result.stdout) as Report;
}

function expectNoSecrets(result: Run): void {
  expect(result.stdout + result.stderr).not.toContain(password);
}

const HOLDS = { overbookedNights: 0, doubleBookedSuites: 0, unjustifiedRefusals: 0, ok: true };

describe("hotel stress", () => {
  it.each([
    ["same-dates", 10, stress],
    ["overlapping", undefined, stress],
    ["mixed-tiers", 30, stress],
  ] as const)("%s: every invariant holds, exit 0, scratch schema removed, live bookings untouched", async (scenario, expectedAccepted, run) => {
    const before = await liveRows();
    const result = await run(["--n", "60", "--concurrency", "12", "--scenario", scenario, "--seed", "5", "--json"]);
    expectNoSecrets(result);
    expect(result.code, result.stderr).toBe(0);
    const r = report(result);
    expect(r).toMatchObject({ requested: 60, failed: 0, errors: 0, strategy: "locked", scenario, capacity: 10, invariants: HOLDS, ok: true });
    expect(r.accepted + r.refused).toBe(60);
    if (expectedAccepted !== undefined) expect(r.accepted).toBe(expectedAccepted);
    else expect(r.accepted).toBeGreaterThan(10);
    expect(r.refusedBy).toEqual({ noAvailability: r.refused, conflict: 0 });
    for (const key of ["p50", "p90", "p95", "p99", "max"] as const) expect(r.latencyMs[key]).toBeGreaterThan(0);
    expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p99);
    expect(r.throughputPerSec).toBeGreaterThan(0);
    expect(Object.keys(r.lockWaitMs).sort()).toEqual(["max", "p50", "p95"]);
    expect(await scratchSchemas()).toEqual([]);
    expect(await liveRows()).toEqual(before);
  });

  it("--workers 3 splits the load over processes and still accepts exactly the capacity (spawned: the whole built CLI, no password printed, live bookings untouched)", async () => {
    const before = await liveRows();
    const result = await stressSpawned(["--n", "30", "--workers", "3", "--concurrency", "6", "--json"]);
    expectNoSecrets(result);
    expect(result.code, result.stderr).toBe(0);
    expect(report(result)).toMatchObject({ requested: 30, accepted: 10, refused: 20, failed: 0, errors: 0, workers: 3, invariants: HOLDS });
    expect(await scratchSchemas()).toEqual([]);
    expect(await liveRows()).toEqual(before);
  });

  it("--strategy serializable runs the original brief's design and reports honestly what it refused", async () => {
    const result = await stress(["--n", "20", "--strategy", "serializable", "--json"]);
    const r = report(result);
    // Serialization conflicts: far fewer than the 10 suites get booked, and
    // every such refusal is counted as unjustified, so the run fails.
    expect(r.strategy).toBe("serializable");
    expect(r.accepted).toBeLessThan(10);
    expect(r.refusedBy.conflict).toBeGreaterThan(0);
    expect(r.invariants).toMatchObject({ overbookedNights: 0, doubleBookedSuites: 0, ok: false });
    expect(r.invariants.unjustifiedRefusals).toBeGreaterThan(0);
    expect(result.code).toBe(1);
    expect(await scratchSchemas()).toEqual([]);
  });

  it("--strategy seed is no strategy any more: exit 64, nothing created", async () => {
    const result = await stress(["--n", "20", "--strategy", "seed", "--json"]);
    expect(result.code).toBe(64);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "USAGE" } });
    expect(await scratchSchemas()).toEqual([]);
  });

  it("open model: --rate for --n sends every request, reports latency from the schedule and the service time", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hotel-stress-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, "requests.ndjson");
    const result = await stress(["--rate", "400", "--n", "120", "--concurrency", "8", "--arrival", "poisson", "--seed", "3", "--out", out, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const r = report(result) as Report & { rate: { target: number; achieved: number; lateStarts: number }; serviceMs: Record<string, number>; model: string };
    expect(r).toMatchObject({ requested: 120, accepted: 10, refused: 110, model: "open", rate: { target: 400 }, invariants: HOLDS });
    expect(r.rate.lateStarts).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(r.serviceMs.p50 as number);
    expect(Object.keys(r.latencyMs).sort()).toEqual(["max", "p50", "p90", "p95", "p99", "p999"]);
    const lines = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(120);
    expect(new Set(lines.map((line) => line.i)).size).toBe(120);
    expect(lines.filter((line) => line.outcome === "accepted")).toHaveLength(10);
    for (const line of lines) {
      expect(line).toMatchObject({ operation: "book", status: expect.any(Number), lockWaitMs: expect.any(Number) });
      expect(line.started as number).toBeGreaterThanOrEqual((line.scheduled as number) - 0.5);
      expect(line.ended as number).toBeGreaterThan(line.started as number);
      expect(line.latencyMs as number).toBeCloseTo((line.ended as number) - (line.scheduled as number), 2);
    }
    expect(await scratchSchemas()).toEqual([]);
  });

  // One run proves two things: --duration bounds a closed run by time, and a
  // missed threshold exits 1 although every invariant holds.
  it("--duration bounds a closed run by time instead of a count; a missed --max-p99 threshold exits 1 although every invariant holds", async () => {
    const result = await stress(["--duration", "1s", "--concurrency", "4", "--max-p99", "0.001", "--max-failed", "0", "--json"]);
    const r = report(result) as Report & { durationMs: number };
    expect(r.durationMs).toBe(1000);
    expect(r.requested).toBeGreaterThan(10);
    expect(r.accepted).toBe(10);
    expect(result.code, result.stderr).toBe(1);
    expect(r.invariants).toMatchObject(HOLDS);
    expect(r.thresholds).toMatchObject({ maxFailed: { ok: true, actual: 0 }, maxP99Ms: { ok: false }, ok: false });
  });

  it("prints a plain summary without colour when stdout is not a terminal; --keep keeps the scratch schema and says how to inspect it, without the password", async () => {
    const result = await stress(["--n", "20", "--concurrency", "4", "--keep"]);
    expectNoSecrets(result);
    expect(result.code, result.stderr).toBe(0);
    const [schema] = await scratchSchemas();
    expect(schema).toMatch(/^hotel_stress_[0-9a-f]{12}$/);
    try {
      // eslint-disable-next-line no-control-regex
      expect(result.stdout + result.stderr).not.toMatch(/\u001b\[/);
      expect(result.stdout).toMatch(/^201\s+accepted\s+10$/m);
      expect(result.stdout).toMatch(/^409\s+refused .*\s10$/m);
      expect(result.stdout).toMatch(/^503\s+failed .*\s0$/m);
      expect(result.stdout).toContain("Invariants: all hold");
      expect(result.stdout).toMatch(/^overbooked tier-nights\s+0$/m);
      expect(result.stdout).toContain(`Scratch schema kept: ${schema}`);
      expect(result.stdout).toContain(`search_path=${schema}`);
      expect(result.stdout).toContain(`DROP SCHEMA "${schema}" CASCADE`);
      expect(await testDb.query(`SELECT count(*)::int AS n FROM "${schema}".bookings WHERE status = 'confirmed'`)).toEqual([{ n: 10 }]);
    } finally {
      await testDb.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it.each([
    ["--n 0", ["--n", "0"]],
    ["--n -3", ["--n", "-3"]],
    ["--n abc", ["--n", "abc"]],
    ["--workers above --n", ["--n", "3", "--workers", "5"]],
    ["a bad --check-in", ["--check-in", "2031-13-01"]],
  ])("%s exits 65 with one line and creates nothing", async (_label, args) => {
    const human = await stress(args);
    expect(human.code).toBe(65);
    expect(human.stdout).toBe("");
    expect(human.stderr.trim().split("\n")).toHaveLength(1);
    const json = await stress([...args, "--json"]);
    expect(json.code).toBe(65);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "INVALID_INPUT" } });
    expect(await scratchSchemas()).toEqual([]);
  });
});

describe("hotel stress interrupted", () => {
  /** Starts a long run and resolves once its scratch schema exists and it is booking. */
  async function startLongRun(args: string[]): Promise<{ pid: number; exit: Promise<CliResult> }> {
    const child = spawn(process.execPath, [...CLI_NODE_ARGS, BIN, "stress", "--n", "20000", ...args, "--json", "--database-url", urlWithPassword], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
    for (let i = 0; i < 200; i++) {
      const [schema] = await scratchSchemas();
      if (schema) {
        const booked = await testDb.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".bookings`).catch(() => [{ n: 0 }]);
        if ((booked[0]?.n ?? 0) > 0) return { pid: child.pid as number, exit };
      }
      await sleep(50);
    }
    child.kill("SIGKILL");
    throw new Error(`the stress run never started booking: ${stderr}`);
  }

  it("Ctrl-C (SIGINT) exits 130 and removes the scratch schema and its sessions", async () => {
    const run = await startLongRun(["--concurrency", "10"]);
    process.kill(run.pid, "SIGINT");
    const result = await run.exit;
    expect(result.code).toBe(130);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "INTERRUPTED" } });
    expect(await scratchSchemas()).toEqual([]);
    expect(
      await testDb.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'hotel\\_stress\\_%' AND datname = current_database()`),
    ).toEqual([{ n: 0 }]);
  });

  it("a worker process (the run's own CLI and Node options) killed mid-run fails the run, stops the other workers and removes the scratch schema", async () => {
    const run = await startLongRun(["--workers", "2", "--concurrency", "8"]);
    const workers = childrenOf(run.pid);
    expect(workers).toHaveLength(2);
    // Each worker is the same CLI started with the run's own Node options, as fork() would.
    for (const pid of workers) expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(1, 3)).toEqual([...CLI_NODE_ARGS, BIN]);
    process.kill(workers[0] as number, "SIGKILL");
    const result = await run.exit;
    expect(result.code).toBe(130);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "INTERRUPTED", message: expect.stringContaining("SIGKILL") } });
    expect(await scratchSchemas()).toEqual([]);
    expect(workers.filter(isAlive)).toEqual([]);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
