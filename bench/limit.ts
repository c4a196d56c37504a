import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { LoadDriver, OUTCOME, RunRecorder, type TaskAnswer } from "../src/stress/index.js";

/**
 * The physical limit: what PostgreSQL itself does for the smallest booking-like
 * transaction, `BEGIN; SELECT pg_advisory_xact_lock(1, night); INSERT; COMMIT`,
 * driven by raw node-pg (no Prisma, no plpgsql) at the same concurrency as the
 * strategies, every transaction on the same night (so it queues on one lock,
 * like a flash sale). Two shapes:
 *   - "1rt": the four statements as one simple-protocol query string, one round
 *     trip: the least a real client needs (hotel_book() is one round trip too);
 *   - "4rt": one round trip per statement, as pgbench sends them.
 * "nolock" is 1rt without the advisory lock, for the lock's own overhead.
 */

export type LimitShape = "1rt" | "4rt" | "1rt-nolock";

export const LIMIT_TABLE = "limit_bookings";
export const LIMIT_DDL = `CREATE TABLE ${LIMIT_TABLE} (id BIGSERIAL PRIMARY KEY, night INTEGER NOT NULL, guest TEXT NOT NULL)`;

export interface LimitPhase {
  shape: LimitShape;
  n: number;
  concurrency: number;
  maxSeconds: number;
}

export interface LimitResult {
  requested: number;
  completed: number;
  capped: boolean;
  perSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  clientCpuMsPerRequest: number;
  errors: number;
  firstError?: string;
}

export interface OpenLimit {
  /** Runs up to `n` more transactions, for at most `seconds`. */
  runFor(n: number, seconds: number): Promise<void>;
  result(): LimitResult;
  close(): Promise<void>;
}

const committed: TaskAnswer = { operation: "book", outcome: OUTCOME.accepted, status: null, lockWaitMs: Number.NaN };

/** Runs one transaction as a stress task: an error is an outcome, never a throw. */
const asTask = (transaction: (index: number) => Promise<unknown>) => async (index: number): Promise<TaskAnswer> => {
  try {
    await transaction(index);
    return committed;
  } catch (error) {
    return { ...committed, outcome: OUTCOME.error, message: error instanceof Error ? error.message : String(error) };
  }
};

/** A pool of exactly `concurrency` connections for one shape, warmed before anything is timed; driven by the stress library's closed-model driver. */
export async function openLimit(url: string, night: number, shape: LimitShape, concurrency: number, capacity = 1_000_000): Promise<OpenLimit> {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  pool.on("error", () => undefined);
  const transaction = (index: number): Promise<unknown> => {
    const guest = `'limit-${index}'`;
    switch (shape) {
      case "1rt":
        return pool.query(`BEGIN; SELECT pg_advisory_xact_lock(1, ${night}); INSERT INTO ${LIMIT_TABLE} (night, guest) VALUES (${night}, ${guest}); COMMIT`);
      case "1rt-nolock":
        return pool.query(`BEGIN; INSERT INTO ${LIMIT_TABLE} (night, guest) VALUES (${night}, ${guest}); COMMIT`);
      case "4rt":
        return fourRoundTrips(pool, night, index);
    }
  };
  try {
    // Open every connection, run each statement on each, and let V8 compile
    // node-pg's hot paths before the clock starts.
    const warmUp = new LoadDriver({ concurrency, count: Math.max(concurrency * 20, 300), durationMs: 5000 }, asTask((i) => transaction(-1 - i)), () => undefined);
    await warmUp.run();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const recorder = new RunRecorder({ columns: false });
  const driver = new LoadDriver({ concurrency, count: capacity, durationMs: Infinity }, asTask(transaction), (result) => recorder.record(result));
  return {
    runFor: (n, seconds) => driver.run({ until: driver.started + n, sliceMs: seconds * 1000 }),
    result: () => limitResult(recorder, driver),
    close: () => pool.end().catch(() => undefined),
  };
}

function limitResult(recorder: RunRecorder, driver: LoadDriver): LimitResult {
  const completed = recorder.done;
  const latency = recorder.latency.percentiles();
  return {
    requested: completed,
    completed,
    capped: false,
    perSec: driver.runningMs > 0 ? (completed * 1000) / driver.runningMs : 0,
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: Math.round(recorder.latency.mean * 100) / 100 },
    clientCpuMsPerRequest: completed > 0 ? driver.cpuMs / completed : 0,
    errors: recorder.count(OUTCOME.error),
    firstError: recorder.errorMessages()[0]?.message,
  };
}

/** One limit phase in one go. */
export async function runLimit(url: string, night: number, phase: LimitPhase): Promise<LimitResult> {
  const limit = await openLimit(url, night, phase.shape, phase.concurrency, phase.n);
  try {
    await limit.runFor(phase.n, phase.maxSeconds);
    return limit.result();
  } finally {
    await limit.close();
  }
}

async function fourRoundTrips(pool: pg.Pool, night: number, index: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Named statements are parsed once per connection, as a careful client would.
    await client.query({ name: "limit_lock", text: "SELECT pg_advisory_xact_lock(1, $1)", values: [night] });
    await client.query({ name: "limit_insert", text: `INSERT INTO ${LIMIT_TABLE} (night, guest) VALUES ($1, $2)`, values: [night, `limit-${index}`] });
    await client.query("COMMIT");
    client.release();
  } catch (error) {
    client.release(true);
    throw error;
  }
}

export interface PgbenchResult {
  binary: string;
  concurrency: number;
  seconds: number;
  tps: number;
  latencyAvgMs: number;
  transactions: number;
}

/** pgbench on PATH, else Debian's versioned directories; undefined when absent. */
export function findPgbench(): string | undefined {
  const candidates = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, "pgbench"));
  try {
    for (const version of readdirSync("/usr/lib/postgresql").sort().reverse()) candidates.push(path.join("/usr/lib/postgresql", version, "bin", "pgbench"));
  } catch {
    // no Debian layout
  }
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * pgbench running the same four statements (one round trip each) for `seconds`.
 * `url` must be a plain libpq URL; the table is schema-qualified in the script.
 */
export async function runPgbench(binary: string, url: string, schema: string, night: number, concurrency: number, seconds: number): Promise<PgbenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "hotel-bench-"));
  const script = path.join(dir, "limit.sql");
  writeFileSync(
    script,
    `BEGIN;\nSELECT pg_advisory_xact_lock(1, ${night});\nINSERT INTO "${schema}".${LIMIT_TABLE} (night, guest) VALUES (${night}, 'pgbench-' || :client_id);\nCOMMIT;\n`,
  );
  try {
    const args = ["--no-vacuum", "--client", String(concurrency), "--jobs", String(Math.min(concurrency, 2)), "--time", String(seconds), "--file", script, url];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PGAPPNAME: "hotel_bench" } });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`pgbench exited ${code}: ${text.split("\n").filter(Boolean).slice(-2).join(" ")}`));
      });
    });
    const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? Number.NaN);
    return {
      binary,
      concurrency,
      seconds,
      tps: number(/tps = ([\d.]+)/),
      latencyAvgMs: number(/latency average = ([\d.]+) ms/),
      transactions: number(/number of transactions actually processed: (\d+)/),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
