import { HotelError } from "../core/errors.js";
import type { StressConfig } from "./config.js";
import type { SliceOptions } from "./driver.js";
import { RunEngine } from "./engine.js";
import { judgeRun, type JudgedRefusal, type Judgement } from "./oracle.js";
import { RunOutputs } from "./outputs.js";
import { packageLauncher, startOwnServer, type CliLauncher, type OwnServer } from "./own-server.js";
import { runRemote } from "./remote.js";
import { buildReport, type StressReport } from "./report.js";
import { OUTCOME, type Progress, type RunRecorder } from "./results.js";
import { judgeMixedScratch } from "./mixed-oracle.js";
import { isMixedScenario, requestAt } from "./scenarios.js";
import { BookkeepingSession, withPg, type Connect } from "./bookkeeping.js";
import {
  createInventory,
  createScratchSchema,
  dropScratchSchema,
  freeConnections,
  markKept,
  newScratchName,
  readFinalRows,
  removeWarmUpBookings,
  scratchUrl,
  serverVersion,
  sweepAbandonedScratchSchemas,
  terminateSessions,
  type ScratchSchema,
} from "./scratch.js";
import { CROSS_PROCESS_CLOCK_SLACK_MS } from "./workers.js";

/**
 * A whole stress run. On scratch data (the default): a scratch schema with
 * its own inventory, the load (through the core, or through a `hotel serve`
 * of the run's own with `--via http`; in this process or over workers), the
 * oracle's judgement of the final rows, and the teardown, which runs on every
 * way out: success, failure and (through registerCleanup) SIGINT/SIGTERM;
 * with `keep` the schema stays for inspection. With `--url`: remote.ts.
 */

export type StressPhase = "preparing" | "warming-up" | "running" | "auditing" | "cleaning-up";

export interface StressEnvironment {
  /** The database to run in; the scratch schema is created there. Holds the password: never print it. Not needed with --url. */
  baseUrl?: string;
  /** --url: the API token sent as `Authorization: Bearer` on every request. A secret: never printed. */
  token?: string;
  /** Runs the teardown on SIGINT/SIGTERM too (the CLI passes lifecycle.registerCleanup). */
  registerCleanup?(cleanup: () => Promise<void>): () => void;
  /** How to start worker processes and the own `hotel serve`; default: this package's bin/hotel.js. */
  launcher?: CliLauncher;
  /** `--via http` on scratch data: how many own `hotel serve`s share the load, round-robin (default 1; the bench's scale section uses 2). */
  servers?: number;
  onPhase?(phase: StressPhase): void;
  /** Called after every finished request; throttle any rendering. */
  onProgress?(progress: Progress): void;
  /** Human remarks (e.g. concurrency capped by the server's connection limit). */
  note?(text: string): void;
  /** --url: asked before anything is sent; false (or no callback) stops the run with nothing booked. */
  confirmRemote?(description: string): Promise<boolean>;
}

export async function runStress(config: StressConfig, env: StressEnvironment): Promise<StressReport> {
  if (config.urls.length > 0) return runRemote(config, env);
  const run = await openScratchRun(config, env);
  try {
    await run.drive();
  } catch (error) {
    await run.abandon();
    throw error;
  }
  return run.finish();
}

/** A scratch run that is ready to send: drive() it (in slices if you like), then finish() or abandon() it. */
export interface ScratchRun {
  readonly schema: string;
  readonly done: boolean;
  drive(slice?: SliceOptions): Promise<void>;
  /** Stops the load, judges the final rows, writes --html, tears down; the report. */
  finish(): Promise<StressReport>;
  /** Tears down without a report (on failure). */
  abandon(): Promise<void>;
}

export async function openScratchRun(config: StressConfig, env: StressEnvironment): Promise<ScratchRun> {
  if (!env.baseUrl) throw new HotelError("INTERNAL", "a scratch stress run needs a database URL");
  const run = new ScratchLifecycle(config, env, env.baseUrl);
  await run.prepare();
  return run;
}

/** The steps of a scratch run; the teardown is registered from the start and runs once, whoever asks first. */
class ScratchLifecycle implements ScratchRun {
  readonly schema = newScratchName();
  /** The run's own SQL before and after the load, on one connection. */
  private readonly bookkeeping: BookkeepingSession;
  private schemaMayExist = false;
  private stopping = false;
  private scratch?: ScratchSchema;
  private servers: OwnServer[] = [];
  private outputs?: RunOutputs;
  private engine?: RunEngine;
  private concurrency = 0;
  private tornDown?: Promise<void>;
  private readonly unregister?: () => void;

  constructor(
    private readonly config: StressConfig,
    private readonly env: StressEnvironment,
    private readonly baseUrl: string,
  ) {
    this.bookkeeping = new BookkeepingSession(scratchUrl(baseUrl, this.schema));
    this.unregister = env.registerCleanup?.(() => this.teardown());
  }

  get done(): boolean {
    return this.engine?.done ?? true;
  }

  async prepare(): Promise<void> {
    const { config, env } = this;
    try {
      env.onPhase?.("preparing");
      const session = this.bookkeeping.run;
      const swept = await sweepAbandonedScratchSchemas(session);
      if (swept.length > 0) env.note?.(`Removed ${swept.length} scratch schema(s) left by interrupted runs: ${swept.join(", ")}`);
      this.concurrency = await sizeConcurrency(config, session, env);
      this.schemaMayExist = true;
      const scratch = (this.scratch = await createScratchSchema(this.baseUrl, this.schema, session));
      await createInventory(scratch, config);
      const outputs = (this.outputs = new RunOutputs(config, { postgres: await serverVersion(scratch) }));
      const launcher = env.launcher ?? packageLauncher();
      env.onPhase?.("warming-up");
      if (config.via === "http") await this.startServers(launcher, scratch.databaseUrl);
      const target: { via: "http"; urls: string[] } | undefined = this.servers.length > 0 ? { via: "http", urls: this.servers.map((server) => server.url) } : undefined;
      this.engine = await RunEngine.open({
        config,
        concurrency: this.concurrency,
        spec: target ?? { via: "core", databaseUrl: scratch.databaseUrl, schema: this.schema },
        workers: { target: target ?? { via: "core", schema: this.schema }, databaseUrl: scratch.databaseUrl, launcher },
        onResult: (result) => {
          outputs.recorder.record(result);
          env.onProgress?.(outputs.recorder.progress(config.n));
        },
        onStart: () => {
          outputs.start();
          env.onPhase?.("running");
        },
        stopped: () => this.stopping,
      });
    } catch (error) {
      await this.fail(error);
    }
  }

  private async startServers(launcher: CliLauncher, databaseUrl: string): Promise<void> {
    const start = () => startOwnServer({ launcher, databaseUrl, schema: this.schema, lockTimeoutMs: this.config.lockTimeoutMs });
    const started = await Promise.allSettled(Array.from({ length: this.env.servers ?? 1 }, start));
    for (const result of started) if (result.status === "fulfilled") this.servers.push(result.value);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  async drive(slice?: SliceOptions): Promise<void> {
    await (this.engine as RunEngine).drive(slice).catch((error: unknown) => this.fail(error));
  }

  async finish(): Promise<StressReport> {
    const engine = this.engine as RunEngine;
    const outputs = this.outputs as RunOutputs;
    try {
      await engine.close();
      await this.stopServers();
      const { recorder } = outputs;
      const expected = engine.sent ?? (this.config.durationMs === null && this.config.n !== null ? this.config.n : recorder.span);
      const missing = recorder.missing(expected);
      if (missing.length > 0) throw new HotelError("INTERNAL", `no result for request(s) ${missing.join(", ")}`);
      this.env.onPhase?.("auditing");
      const { findings, ...invariants } = isMixedScenario(this.config.scenario)
        ? await judgeMixedScratch(this.scratch as ScratchSchema, recorder, MIXED_CLOCK_SLACK_MS)
        : await judgeScratch(this.config, this.scratch as ScratchSchema, recorder);
      const report = buildReport(this.config, recorder, {
        concurrency: this.concurrency,
        loadMs: engine.loadMs,
        clientCpuMs: engine.cpuMs,
        schema: this.schema,
        remote: null,
        capacities: this.config.tiers.map((tier) => tier.capacity),
        invariants,
        findings,
      });
      outputs.finish(report);
      await this.abandon();
      return report;
    } catch (error) {
      return this.fail(error);
    }
  }

  private async stopServers(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((server) => server.stop()));
  }

  async abandon(): Promise<void> {
    await this.teardown().catch(() => undefined);
    this.unregister?.();
  }

  private async fail(error: unknown): Promise<never> {
    await this.abandon();
    throw error;
  }

  private teardown(): Promise<void> {
    return (this.tornDown ??= (async () => {
      const { baseUrl, schema } = this;
      this.stopping = true;
      this.env.onPhase?.("cleaning-up");
      this.outputs?.close();
      await this.engine?.close();
      await this.stopServers();
      await this.bookkeeping.close();
      if (!this.schemaMayExist) return;
      // One connection of its own: the bookkeeping one may have been cut off mid-step.
      await withPg(baseUrl, async (client) => {
        const on: Connect = (work) => work(client);
        // The drop ends the run's sessions itself, so that no request in flight holds a lock it needs.
        if (!this.config.keep) return dropScratchSchema(on, schema);
        await terminateSessions(client, schema).catch(() => undefined);
        if (this.scratch) await removeWarmUpBookings({ ...this.scratch, bookkeeping: on }).catch(() => undefined);
        await markKept(on, schema);
      });
    })());
  }
}

/**
 * Mixed runs compare refusals' windows (this machine's wall clock, whole ms)
 * with the event log (the database's clock, offset measured): each window
 * is widened by this much, plus the offset's uncertainty, on both sides.
 */
const MIXED_CLOCK_SLACK_MS = CROSS_PROCESS_CLOCK_SLACK_MS + 1;

/** The oracle's judgement of the final rows against what every request was told. */
async function judgeScratch(config: StressConfig, scratch: ScratchSchema, recorder: RunRecorder): Promise<Judgement> {
  const rows = await readFinalRows(scratch);
  for (const booking of rows.bookings) {
    if (booking.requestIndex === undefined || booking.requestIndex >= recorder.span) booking.requestIndex = undefined;
    else booking.startedAt = recorder.startedAt(booking.requestIndex);
  }
  return judgeRun({
    suites: rows.suites,
    bookings: rows.bookings,
    refusals: refusalsInOrder(config, recorder),
    // Over HTTP every time is the client's: a superset of what the server saw, so no slack is needed.
    clockSlackMs: config.workers > 1 ? CROSS_PROCESS_CLOCK_SLACK_MS : 0,
    reported: { count: recorder.span, outcomeOf: (index) => recorder.reportedAt(index) },
  });
}

/** --concurrency, capped by what the server can spare (one connection per request in flight, through the core). */
async function sizeConcurrency(config: StressConfig, session: Connect, env: StressEnvironment): Promise<number> {
  const free = await freeConnections(session);
  if (config.via === "http") return config.concurrency;
  const concurrency = Math.min(config.concurrency, free);
  if (concurrency < config.workers) {
    throw new HotelError("DB_UNAVAILABLE", `The database has only ${free} free connection(s), fewer than --workers ${config.workers}: lower --workers or raise max_connections`);
  }
  if (concurrency < config.concurrency && config.concurrencyExplicit) {
    env.note?.(`Concurrency capped at ${concurrency}: the server has ${free} free connections (max_connections).`);
  }
  return concurrency;
}

/** The refused requests in the order their answers came back, recomputed one at a time. */
function* refusalsInOrder(config: StressConfig, recorder: RunRecorder): Generator<JudgedRefusal> {
  const order = new Uint32Array(recorder.count(OUTCOME.noAvailability) + recorder.count(OUTCOME.conflict));
  let filled = 0;
  for (let index = 0; index < recorder.span && filled < order.length; index++) {
    const outcome = recorder.outcomeAt(index);
    if (outcome === OUTCOME.noAvailability || outcome === OUTCOME.conflict) order[filled++] = index;
  }
  order.sort((a, b) => recorder.endedAt(a) - recorder.endedAt(b));
  for (const index of order) {
    const request = requestAt(config, index);
    yield { requestIndex: index, tier: request.tier, checkIn: request.checkIn, checkOut: request.checkOut, endedAt: recorder.endedAt(index) };
  }
}
