import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { type ErrorCode, HotelError, invalidInput } from "../core/errors.js";
import { redactSecrets } from "../db/url.js";
import { STRATEGIES, VIAS, type StressConfig } from "./config.js";
import { createDriver, openTargets, shareCount, warmUp, type LoadConfig, type TargetSpec } from "./load.js";
import type { CliLauncher } from "./own-server.js";
import type { JudgedWindow, OutcomeCode, RequestResult } from "./results.js";
import { SCENARIOS, type OperationName } from "./scenarios.js";
import { isScratchName } from "./scratch.js";

/**
 * `--workers P`: the load split over P OS processes, each with its own
 * connections, to show the locks hold between clients and not only inside
 * one pool. The parent owns the scratch schema (or the remote servers); each
 * worker runs requests k, k+P, k+2P... and streams one line per finished
 * request (NDJSON) to its stdout. Workers warm up, say they are ready, and
 * start together on "go", so their loads overlap (and, in the open model,
 * follow one schedule). The database URL and the API token travel in the
 * environment, never in argv (where `ps` would show them).
 */

export const WORKER_URL_ENV = "HOTEL_STRESS_DATABASE_URL";
/** --url: the API token the workers send (unset: none). */
export const WORKER_TOKEN_ENV = "HOTEL_STRESS_TOKEN";
/** Bookings may start up to this much "later" in another process's clock and still count as visible. */
export const CROSS_PROCESS_CLOCK_SLACK_MS = 2;

export interface WorkerPlan {
  worker: number;
  workers: number;
  concurrency: number;
  /** core: the scratch schema to book in (the URL comes from WORKER_URL_ENV); http: the servers. */
  target: { via: "core"; schema: string } | { via: "http"; urls: string[] };
  config: LoadConfig;
}

export type WorkerLauncher = CliLauncher;

/** Request indices of one worker: k, k+P, ... below n. */
export const workerShare = (plan: Pick<WorkerPlan, "worker" | "workers"> & { n: number | null }): number => shareCount(plan.n, plan);

type Line = [
  index: number,
  operation: OperationName,
  outcome: number,
  scheduledAt: number,
  startedAt: number,
  endedAt: number,
  lockWaitMs: number | null,
  status: number | null,
  late: 0 | 1,
  bookingId: number | null,
  message?: string | null,
  judged?: JudgedWindow,
];

export function encodeResult(result: RequestResult): string {
  const line: Line = [
    result.index,
    result.operation,
    result.outcome,
    result.scheduledAt,
    result.startedAt,
    result.endedAt,
    Number.isFinite(result.lockWaitMs) ? result.lockWaitMs : null,
    result.status,
    result.late ? 1 : 0,
    result.bookingId ?? null,
  ];
  if (result.message !== undefined || result.judged !== undefined) line.push(result.message ?? null);
  if (result.judged !== undefined) line.push(result.judged);
  return JSON.stringify(line);
}

function decodeResult(line: Line): RequestResult {
  const [index, operation, outcome, scheduledAt, startedAt, endedAt, lockWaitMs, status, late, bookingId, message, judged] = line;
  return {
    index,
    operation,
    outcome: outcome as OutcomeCode,
    scheduledAt,
    startedAt,
    endedAt,
    lockWaitMs: lockWaitMs ?? Number.NaN,
    status,
    late: late === 1,
    ...(bookingId === null ? {} : { bookingId }),
    ...(message === undefined || message === null ? {} : { message }),
    ...(judged === undefined ? {} : { judged }),
  };
}

// ---------------------------------------------------------------- parent side

export interface LaunchOptions {
  launcher: WorkerLauncher;
  /** The scratch database (core), or "" (http). */
  databaseUrl: string;
  /** http: the API token to send; never part of a plan (plans travel in argv). */
  token?: string;
  plans: WorkerPlan[];
  onResult(result: RequestResult): void;
  /** Every worker is warm: "go" is sent right after this returns. */
  onReady?(): void;
}

export interface WorkerPool {
  /** Resolves when every worker has finished and reported all its requests. */
  finished: Promise<void>;
  /** CPU time (user + system, ms) the workers spent on their loads, summed. */
  cpuMs(): number;
  /** Stops every worker still running (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

export function launchWorkers(options: LaunchOptions): WorkerPool {
  const children: ChildProcess[] = [];
  const exits: Promise<void>[] = [];
  const readies: Promise<void>[] = [];
  let cpuMs = 0;
  for (const plan of options.plans) {
    const child = spawn(options.launcher.command, options.launcher.args(["stress-worker", JSON.stringify(plan)]), {
      stdio: ["pipe", "pipe", "pipe"],
      // An undefined token leaves the variable out, even if this process has it.
      env: { ...process.env, [WORKER_URL_ENV]: options.databaseUrl, [WORKER_TOKEN_ENV]: options.token, NO_COLOR: "1" },
    });
    children.push(child);
    // A worker that dies turns writes to its stdin into EPIPE: its exit is reported below instead.
    child.stdin?.on("error", () => undefined);
    const expected = workerShare({ ...plan, n: plan.config.n });
    let reported = 0;
    let done = false;
    let stderr = "";
    let protocolError: Error | undefined;
    let workerError: HotelError | undefined;
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity }).on("line", (text) => {
      if (text === "") return;
      try {
        const message = JSON.parse(text) as Line | { ready?: boolean; done?: number; cpuMs?: number; error?: { code?: string; message?: string } };
        if (Array.isArray(message)) {
          options.onResult(decodeResult(message));
          reported++;
        } else if (message.error) {
          workerError ??= errorFromWorker(plan, message.error);
        } else if (message.ready) {
          markReady();
        } else if (typeof message.done === "number") {
          done = message.done === reported;
          cpuMs += message.cpuMs ?? 0;
        }
      } catch (error) {
        protocolError ??= error instanceof Error ? error : new Error(String(error));
        child.kill("SIGTERM");
      }
    });
    const exited = new Promise<void>((resolve, reject) => {
      child.on("error", (error) => reject(new HotelError("INTERNAL", `cannot start stress worker ${plan.worker + 1}: ${error.message}`, { cause: error })));
      child.on("close", (code, signal) => {
        if (code === 0 && done && (reported === expected || expected === Infinity) && !protocolError) return resolve();
        if (workerError) return reject(workerError);
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const why = protocolError ? `: ${protocolError.message}` : lastLine(stderr) ? `: ${lastLine(stderr)}` : "";
        // Killed by a signal (Ctrl-C, an OOM killer, an operator): the run was interrupted, not a bug.
        const failure = signal ? "INTERRUPTED" : "INTERNAL";
        reject(new HotelError(failure, redactSecrets(`stress worker ${plan.worker + 1} of ${plan.workers} ${how} after ${reported}${expected === Infinity ? "" : ` of ${expected}`} requests${why}`)));
      });
    });
    exits.push(exited);
    // A worker that dies before it is ready must not leave the others waiting for "go".
    readies.push(Promise.race([ready, exited.then(() => Promise.reject(new HotelError("INTERNAL", `stress worker ${plan.worker + 1} ended before it was ready`)))]));
  }
  const finished = (async () => {
    await Promise.all(readies);
    options.onReady?.();
    for (const child of children) child.stdin?.write("go\n");
    await Promise.all(exits);
  })();
  finished.catch(() => undefined);
  return {
    finished,
    cpuMs: () => cpuMs,
    async stop() {
      await Promise.all(children.map((child) => stopChild(child)));
    },
  };
}

/** Codes a worker may report; anything else is a bug. */
const WORKER_ERROR_CODES = new Set<ErrorCode>(["USAGE", "INVALID_INPUT", "NOT_FOUND", "BUSY", "DB_UNAVAILABLE", "CONFIG", "MIGRATION", "INTERRUPTED", "INTERNAL"]);

function errorFromWorker(plan: WorkerPlan, error: { code?: string; message?: string }): HotelError {
  const code = WORKER_ERROR_CODES.has(error.code as ErrorCode) ? (error.code as ErrorCode) : "INTERNAL";
  return new HotelError(code, redactSecrets(`stress worker ${plan.worker + 1} of ${plan.workers}: ${error.message ?? "failed"}`));
}

/** The line a failing worker writes before it exits, so the parent can report the real cause. */
export const encodeWorkerError = (error: HotelError): string => JSON.stringify({ error: { code: error.code, message: error.message } });

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await gone;
  clearTimeout(timer);
}

/** Splits the run's concurrency over the workers (it is at least one each). */
export function workerPlans(config: LoadConfig & Pick<StressConfig, "workers">, target: WorkerPlan["target"], concurrency: number): WorkerPlan[] {
  const { n, durationMs, rate, arrival, strategy, lockTimeoutMs, warmUpRequests, scenario, tiers, checkIn, nights, seed, guestPrefix } = config;
  return Array.from({ length: config.workers }, (_, worker) => ({
    worker,
    workers: config.workers,
    concurrency: Math.max(1, Math.floor(concurrency / config.workers) + (worker < concurrency % config.workers ? 1 : 0)),
    target,
    config: { n, durationMs, rate, arrival, strategy, lockTimeoutMs, warmUpRequests, scenario, tiers, checkIn, nights, seed, ...(guestPrefix === undefined ? {} : { guestPrefix }) },
  }));
}

// ---------------------------------------------------------------- worker side

export function parseWorkerPlan(json: string): WorkerPlan {
  let plan: WorkerPlan;
  try {
    plan = JSON.parse(json) as WorkerPlan;
  } catch {
    throw invalidInput("stress-worker: the plan is not JSON");
  }
  const target = typeof plan === "object" && plan !== null ? plan.target : undefined;
  const targetOk =
    typeof target === "object" &&
    target !== null &&
    (VIAS as readonly string[]).includes(target.via) &&
    (target.via === "core" ? typeof target.schema === "string" && isScratchName(target.schema) : Array.isArray(target.urls) && target.urls.length > 0 && target.urls.every((url) => /^https?:\/\//.test(String(url))));
  const ok =
    targetOk &&
    Number.isInteger(plan.worker) &&
    Number.isInteger(plan.workers) &&
    plan.worker >= 0 &&
    plan.worker < plan.workers &&
    Number.isInteger(plan.concurrency) &&
    plan.concurrency >= 1 &&
    typeof plan.config === "object" &&
    (plan.config.n === null || Number.isInteger(plan.config.n)) &&
    (SCENARIOS as readonly string[]).includes(plan.config.scenario) &&
    (STRATEGIES as readonly string[]).includes(plan.config.strategy) &&
    Array.isArray(plan.config.tiers) &&
    plan.config.tiers.length > 0;
  if (!ok) throw invalidInput("stress-worker: the plan is malformed (this command is run by `hotel stress --workers`)");
  return plan;
}

export interface WorkerIo {
  /** The scratch database (WORKER_URL_ENV); unused over HTTP. */
  databaseUrl: string;
  /** http: the API token to send (WORKER_TOKEN_ENV). */
  token?: string;
  /** Writes one protocol line. */
  write(line: string): void;
  /** Resolves when the parent says "go". */
  go: Promise<void>;
  stopped(): boolean;
  registerCleanup?(cleanup: () => Promise<void>): () => void;
}

/** One worker's run: open its own targets, warm them, wait for "go", run its share. */
export async function runWorker(plan: WorkerPlan, io: WorkerIo): Promise<number> {
  const spec: TargetSpec = plan.target.via === "core" ? { via: "core", databaseUrl: io.databaseUrl, schema: plan.target.schema } : { ...plan.target, token: io.token };
  const opened = await openTargets(spec, plan.config, plan.concurrency);
  const unregister = io.registerCleanup?.(() => opened.close());
  try {
    const share = { worker: plan.worker, workers: plan.workers };
    await warmUp(plan.config, opened.targets, plan.concurrency, share);
    io.write(JSON.stringify({ ready: true }));
    await io.go;
    let sent = 0;
    const driver = createDriver(plan.config, opened.targets, plan.concurrency, share, (result) => {
      io.write(encodeResult(result));
      sent++;
    });
    await driver.run({ stopped: io.stopped });
    io.write(JSON.stringify({ done: sent, cpuMs: driver.cpuMs }));
    return sent;
  } finally {
    unregister?.();
    await opened.close();
  }
}
