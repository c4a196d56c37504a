import { HotelError } from "../core/errors.js";
import { openDatabase, type Database } from "../db/database.js";
import { requestAt, stressHotel, type StressConfig } from "./config.js";
import { attempt, bookerFor, fireRequests, warmUp } from "./load.js";
import { audit, type AuditRefusal } from "./oracle.js";
import { buildReport, type StressReport } from "./report.js";
import { OUTCOME, ResultLog, type Progress, type RequestResult } from "./results.js";
import {
  createInventory,
  createScratchSchema,
  dropScratchSchema,
  endSessions,
  freeConnections,
  markKept,
  newScratchName,
  readFinalRows,
  sweepAbandonedScratchSchemas,
} from "./scratch.js";
import { CROSS_PROCESS_CLOCK_SLACK_MS, launchWorkers, workerPlans, type WorkerLauncher, type WorkerPool } from "./workers.js";

/**
 * A whole stress run: scratch schema, inventory, load (in this process or
 * over worker processes), audit of the final rows, teardown. The teardown
 * runs on every way out: success, failure, and (through registerCleanup)
 * SIGINT/SIGTERM; with `keep` the schema stays for inspection.
 */

export type StressPhase = "preparing" | "warming-up" | "running" | "auditing" | "cleaning-up";

export interface StressEnvironment {
  /** The database to run in; the scratch schema is created there. Holds the password: never print it. */
  baseUrl: string;
  /** Runs the teardown on SIGINT/SIGTERM too (the CLI passes lifecycle.registerCleanup). */
  registerCleanup?(cleanup: () => Promise<void>): () => void;
  /** How to start worker processes; needed when config.workers > 1. */
  launcher?: WorkerLauncher;
  onPhase?(phase: StressPhase): void;
  /** Called after every finished request; throttle any rendering. */
  onProgress?(progress: Progress): void;
  /** Human remarks (e.g. concurrency capped by the server's connection limit). */
  note?(text: string): void;
}

export async function runStress(config: StressConfig, env: StressEnvironment): Promise<StressReport> {
  if (config.workers > 1 && !env.launcher) throw new HotelError("INTERNAL", "runStress: --workers needs a worker launcher");
  const schema = newScratchName();
  let schemaMayExist = false;
  let stopping = false;
  let db: Database | undefined;
  let workers: WorkerPool | undefined;
  let teardownPromise: Promise<void> | undefined;
  const teardown = (): Promise<void> =>
    (teardownPromise ??= (async () => {
      stopping = true;
      env.onPhase?.("cleaning-up");
      await workers?.stop();
      // End the run's sessions first, so no request in flight holds a lock the drop needs.
      if (schemaMayExist) await endSessions(env.baseUrl, schema).catch(() => undefined);
      await db?.close();
      if (schemaMayExist && !config.keep) await dropScratchSchema(env.baseUrl, schema);
      if (schemaMayExist && config.keep) await markKept(env.baseUrl, schema);
    })());
  const unregister = env.registerCleanup?.(teardown);

  let report: StressReport;
  try {
    env.onPhase?.("preparing");
    const swept = await sweepAbandonedScratchSchemas(env.baseUrl);
    if (swept.length > 0) env.note?.(`Removed ${swept.length} scratch schema(s) left by interrupted runs: ${swept.join(", ")}`);
    const free = await freeConnections(env.baseUrl);
    const concurrency = Math.min(config.concurrency, free);
    if (concurrency < config.workers) {
      throw new HotelError("DB_UNAVAILABLE", `The database has only ${free} free connection(s), fewer than --workers ${config.workers}: lower --workers or raise max_connections`);
    }
    if (concurrency < config.concurrency && config.concurrencyExplicit) {
      env.note?.(`Concurrency capped at ${concurrency}: the server has ${free} free connections (max_connections).`);
    }
    schemaMayExist = true;
    const scratch = await createScratchSchema(env.baseUrl, schema);
    await createInventory(scratch, config.tiers);

    const log = new ResultLog(config.n);
    const onResult = (result: RequestResult): void => {
      log.record(result);
      env.onProgress?.(log.progress());
    };
    env.onPhase?.("warming-up");
    if (config.workers > 1) {
      workers = launchWorkers({
        launcher: env.launcher as WorkerLauncher,
        databaseUrl: scratch.databaseUrl,
        plans: workerPlans(config, schema, concurrency),
        onResult,
        onReady: () => env.onPhase?.("running"),
      });
      await workers.finished;
    } else {
      db = await openDatabase({ databaseUrl: scratch.databaseUrl, schema, poolSize: concurrency });
      const booker = bookerFor(config.strategy, stressHotel(db), config);
      await warmUp(db.prisma, concurrency);
      env.onPhase?.("running");
      await fireRequests({
        count: config.n,
        indexAt: (k) => k,
        concurrency,
        run: (index) => attempt(booker, config, index),
        onResult,
        stopped: () => stopping,
      });
      await db.close();
      db = undefined;
    }
    const missing = log.missing();
    if (missing.length > 0) throw new HotelError("INTERNAL", `no result for request(s) ${missing.join(", ")}`);

    env.onPhase?.("auditing");
    const rows = await readFinalRows(scratch);
    for (const booking of rows.bookings) {
      if (booking.requestIndex === undefined || booking.requestIndex >= config.n) booking.requestIndex = undefined;
      else booking.startedAt = log.startedAt(booking.requestIndex);
    }
    const invariants = audit({
      suites: rows.suites,
      bookings: rows.bookings,
      refusals: refusalsOf(config, log),
      clockSlackMs: config.workers > 1 ? CROSS_PROCESS_CLOCK_SLACK_MS : 0,
      reported: { count: config.n, outcomeOf: (index) => log.reportedAt(index) },
    });
    report = buildReport(config, log, invariants, { concurrency, schema });
  } catch (error) {
    await teardown().catch(() => undefined);
    unregister?.();
    throw error;
  }
  await teardown();
  unregister?.();
  return report;
}

function refusalsOf(config: StressConfig, log: ResultLog): AuditRefusal[] {
  const refusals: AuditRefusal[] = [];
  for (let index = 0; index < config.n; index++) {
    const outcome = log.outcomeAt(index);
    if (outcome !== OUTCOME.noAvailability && outcome !== OUTCOME.conflict) continue;
    const request = requestAt(config, index);
    refusals.push({ requestIndex: index, tier: request.tier, checkIn: request.checkIn, checkOut: request.checkOut, endedAt: log.endedAt(index) });
  }
  return refusals;
}
