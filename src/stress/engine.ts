import { HotelError } from "../core/errors.js";
import type { StressConfig } from "./config.js";
import type { LoadDriver, SliceOptions } from "./driver.js";
import { createDriver, openTargets, warmUp, type LoadConfig, type OpenTargets, type TargetSpec } from "./load.js";
import type { CliLauncher } from "./own-server.js";
import type { RequestResult } from "./results.js";
import { clock } from "./stats.js";
import { launchWorkers, workerPlans, type WorkerPlan, type WorkerPool } from "./workers.js";

/**
 * The load of a whole run, in this process or over `--workers` processes:
 * targets opened and warmed, then the requests sent (in slices, for the
 * bench, in one process only). Scratch and remote runs both use it.
 */

export interface EngineOptions {
  config: LoadConfig & Pick<StressConfig, "workers">;
  concurrency: number;
  /** Where this process sends requests (one process). */
  spec: TargetSpec;
  /** Where the workers send them, and the database URL and API token they get in their environment (--workers). */
  workers?: { target: WorkerPlan["target"]; databaseUrl: string; token?: string; launcher: CliLauncher };
  onResult(result: RequestResult): void;
  /** Called once every connection is warm, just before the first request leaves. */
  onStart(): void;
  stopped(): boolean;
}

export class RunEngine {
  private driver?: LoadDriver;
  private opened?: OpenTargets;
  private pool?: WorkerPool;
  private started = false;
  private workersMs = 0;
  private parentCpuMicros = 0;

  private constructor(private readonly options: EngineOptions) {}

  /** Opens and warms this process's targets (workers open their own when the load starts). */
  static async open(options: EngineOptions): Promise<RunEngine> {
    const engine = new RunEngine(options);
    if (options.config.workers > 1) {
      if (!options.workers) throw new HotelError("INTERNAL", "--workers needs a way to start worker processes");
      return engine;
    }
    const share = { worker: 0, workers: 1 };
    engine.opened = await openTargets(options.spec, options.config, options.concurrency);
    try {
      await warmUp(options.config, engine.opened.targets, options.concurrency, share);
    } catch (error) {
      await engine.close();
      throw error;
    }
    engine.driver = createDriver(options.config, engine.opened.targets, options.concurrency, share, options.onResult);
    return engine;
  }

  get done(): boolean {
    return this.driver ? this.driver.done : this.started;
  }

  /** Requests started so far (this process), or null over workers. */
  get sent(): number | null {
    return this.driver ? this.driver.started : null;
  }

  /** Time spent sending requests (ms). */
  get loadMs(): number {
    return this.driver ? this.driver.runningMs : this.workersMs;
  }

  /** CPU time of every client process while it sent requests (ms). */
  get cpuMs(): number {
    return this.driver ? this.driver.cpuMs : this.parentCpuMicros / 1000 + (this.pool?.cpuMs() ?? 0);
  }

  async drive(slice: SliceOptions = {}): Promise<void> {
    if (this.driver) {
      if (!this.started) this.options.onStart();
      this.started = true;
      await this.driver.run({ ...slice, stopped: () => this.options.stopped() || (slice.stopped?.() ?? false) });
      return;
    }
    if (this.started) return;
    this.started = true;
    const workers = this.options.workers as NonNullable<EngineOptions["workers"]>;
    let began = 0;
    let cpu = process.cpuUsage();
    this.pool = launchWorkers({
      launcher: workers.launcher,
      databaseUrl: workers.databaseUrl,
      token: workers.token,
      plans: workerPlans(this.options.config, workers.target, this.options.concurrency),
      onResult: this.options.onResult,
      onReady: () => {
        this.options.onStart();
        began = clock();
        cpu = process.cpuUsage();
      },
    });
    try {
      await this.pool.finished;
    } finally {
      if (began > 0) this.workersMs = clock() - began;
      const used = process.cpuUsage(cpu);
      this.parentCpuMicros = used.user + used.system;
    }
  }

  async close(): Promise<void> {
    await this.pool?.stop();
    await this.opened?.close();
    this.opened = undefined;
  }
}
