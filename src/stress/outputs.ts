import { writeFileSync } from "node:fs";
import os from "node:os";
import type { StressConfig } from "./config.js";
import { htmlData, renderHtml, type MachineInfo } from "./html.js";
import { NdjsonWriter } from "./ndjson.js";
import type { StressReport } from "./report.js";
import { RunRecorder } from "./results.js";
import { isMixedScenario } from "./scenarios.js";
import { clock } from "./stats.js";

/**
 * What a run records and writes: the recorder every result goes to, the
 * --out file it streams into while the run goes, and the --html report
 * written at the end. The --out file is created when the load starts, so a
 * run that fails before writes nothing.
 */
export class RunOutputs {
  readonly recorder: RunRecorder;
  private ndjson?: NdjsonWriter;
  private origin = Number.NaN;
  private startedAt = new Date();

  constructor(
    private readonly config: Pick<StressConfig, "outFile" | "htmlFile" | "urls" | "scenario">,
    private readonly machine: Partial<MachineInfo> = {},
  ) {
    // Remote runs cancel what they booked; mixed scenarios look for each booking made.
    const bookingIds = config.urls.length > 0 || isMixedScenario(config.scenario);
    this.recorder = new RunRecorder({ bookingIds, sink: config.outFile ? (result) => this.ndjson?.write(result) : undefined });
  }

  /** The load starts now: the zero of every time in --out and the timeline. */
  start(): void {
    this.origin = clock();
    this.startedAt = new Date();
    this.recorder.start(this.origin);
    if (this.config.outFile) this.ndjson = new NdjsonWriter(this.config.outFile, () => this.origin);
  }

  /** Flushes --out and writes --html. */
  finish(report: StressReport): void {
    this.close();
    if (!this.config.htmlFile) return;
    writeFileSync(this.config.htmlFile, renderHtml(htmlData(report, this.recorder), machineInfo(this.machine), this.startedAt.toISOString()), { mode: 0o644 });
  }

  close(): void {
    this.ndjson?.close();
    this.ndjson = undefined;
  }
}

export function machineInfo(extra: Partial<MachineInfo> = {}): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "?",
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ...extra,
  };
}
