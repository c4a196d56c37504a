import type { Command } from "commander";
import { createInterface } from "node:readline";
import { HotelError } from "../../core/errors.js";
import { toHotelError } from "../../core/sqlstate.js";
import { resolveStressConfig, type StressConfig } from "../../stress/config.js";
import type { StressPhase } from "../../stress/run.js";
import type { StressReport } from "../../stress/report.js";
import type { Progress } from "../../stress/results.js";
import { createContext } from "../context.js";
import { registerCleanup } from "../lifecycle.js";
import type { Output } from "../output.js";
import { table } from "../table.js";

interface StressFlags {
  n?: string;
  concurrency?: string;
  tier?: string;
  capacity?: string;
  checkIn?: string;
  nights?: string;
  scenario?: string;
  strategy?: string;
  workers?: string;
  seed?: string;
  keep?: boolean;
  maxFailed?: string;
  maxP99?: string;
}

/** `hotel stress`: exit 0 when every invariant held and every threshold was met, else 1. */
export async function run(flags: StressFlags, command: Command): Promise<number> {
  const ctx = createContext(command);
  // Validate everything before connecting: bad input creates no schema.
  const config = resolveStressConfig({ ...flags, lockTimeoutMs: ctx.lockTimeoutMs() });
  // Prisma and pg load only once the input is known to be good.
  const { runStress, inspectionHints } = await import("../../stress/index.js");
  const db = await ctx.database({ poolSize: 1 });
  const progress = await startProgress(ctx.out, config);
  let report: StressReport;
  try {
    report = await runStress(config, {
      baseUrl: db.url,
      registerCleanup,
      launcher: workerLauncher(),
      onPhase: progress.phase,
      onProgress: progress.update,
      note: progress.note,
    });
  } finally {
    progress.stop();
  }
  const hints = report.scratch.kept ? inspectionHints(db.url, report.scratch.schema) : [];
  if (hints.length > 0 && db.embedded) hints.push(`# ${db.server} runs only while a hotel command uses it (keep \`hotel serve\` running to inspect)`);
  const document = hints.length > 0 ? { ...report, scratch: { ...report.scratch, inspect: hints } } : report;
  ctx.out.essential(document, ctx.out.quiet ? quietLine(report) : summary(report, hints, ctx.out));
  return report.ok ? 0 : 1;
}

/** The hidden `stress-worker` command: one worker process of `hotel stress --workers`. */
export async function worker(planJson: string, _flags: unknown, _command: Command): Promise<number> {
  const { encodeWorkerError, parseWorkerPlan, runWorker, WORKER_URL_ENV } = await import("../../stress/index.js");
  const plan = parseWorkerPlan(planJson);
  const databaseUrl = process.env[WORKER_URL_ENV];
  if (!databaseUrl) throw new HotelError("USAGE", "stress-worker is started by `hotel stress --workers`, not by hand");
  let parentGone = false;
  const stdin = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const go = new Promise<void>((resolve, reject) => {
    stdin.once("line", (line) => (line.trim() === "go" ? resolve() : reject(new HotelError("INTERNAL", "stress-worker: expected \"go\""))));
    // stdin closes when the parent goes away: stop starting requests.
    stdin.once("close", () => {
      parentGone = true;
      reject(new HotelError("INTERRUPTED", "stress-worker: the parent process went away"));
    });
  });
  go.catch(() => undefined);
  let interruptedByParent: boolean;
  try {
    await runWorker(plan, {
      databaseUrl,
      write: (line) => process.stdout.write(`${line}\n`),
      go,
      stopped: () => parentGone,
      registerCleanup,
    });
  } catch (error) {
    // Tell the parent what went wrong in a form it can report (stderr is only a hint).
    process.stdout.write(`${encodeWorkerError(toHotelError(error))}\n`);
    throw error;
  } finally {
    interruptedByParent = parentGone;
    stdin.close();
    process.stdin.destroy();
  }
  return interruptedByParent ? 1 : 0;
}

function workerLauncher(): { command: string; args(plan: string): string[] } {
  const script = process.argv[1];
  return {
    command: process.execPath,
    args: (plan) => {
      if (!script) throw new HotelError("INTERNAL", "cannot find the hotel script to start workers from");
      return [script, "stress-worker", plan];
    },
  };
}

interface ProgressView {
  phase(phase: StressPhase): void;
  update(progress: Progress): void;
  note(text: string): void;
  stop(): void;
}

const PHASES: Record<StressPhase, string> = {
  preparing: "creating the scratch schema and its inventory",
  "warming-up": "opening connections",
  running: "booking",
  auditing: "auditing the final rows",
  "cleaning-up": "removing the scratch schema",
};

/** An ora spinner on stderr, only on a TTY without --json/--quiet; redrawn at most 10 times a second. */
async function startProgress(out: Output, config: StressConfig): Promise<ProgressView> {
  // ora divides by the terminal's width: on a pty of size 0x0 (`script`, some
  // CI runners) its clear() loops forever, so no spinner there.
  const hasWidth = (process.stderr.columns ?? 0) > 0;
  if (!out.interactive || !hasWidth) return { phase: () => undefined, update: () => undefined, note: (text) => out.note(text), stop: () => undefined };
  const { default: ora } = await import("ora");
  const spinner = ora({ stream: process.stderr, discardStdin: false, color: out.color.level > 0 ? "cyan" : false, text: PHASES.preparing }).start();
  let phase: StressPhase = "preparing";
  let latest: Progress | undefined;
  const render = (): void => {
    const counts = latest && phase === "running" ? ` ${latest.done}/${config.n} (201: ${latest.accepted}, 409: ${latest.refused}, 503: ${latest.failed}, errors: ${latest.errors})` : "";
    spinner.text = `${PHASES[phase]}${counts}`;
  };
  const timer = setInterval(render, 100);
  timer.unref();
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    spinner.stop();
  };
  registerCleanup(async () => stop());
  return {
    phase: (next) => {
      phase = next;
      render();
    },
    update: (progress) => {
      latest = progress;
    },
    note: (text) => {
      spinner.clear();
      out.note(text);
    },
    stop,
  };
}

function quietLine(report: StressReport): string {
  const verdict = report.ok ? "ok" : "FAILED";
  return `${verdict}: ${report.accepted} accepted, ${report.refused} refused, ${report.failed} failed, ${report.errors} errors; invariants ${report.invariants.ok ? "hold" : "violated"}`;
}

function summary(report: StressReport, hints: string[], out: Output): string {
  const c = out.color;
  const nonZero = (value: number, paint: (text: string) => string): string => (value > 0 ? paint(String(value)) : String(value));
  const tiers = report.tiers.map((tier) => `${tier.tier} (${tier.capacity} suites)`).join(", ");
  const stay = report.nights === null ? `stays of 1-7 nights from ${report.checkIn}` : `${report.checkIn}, ${report.nights} night${report.nights === 1 ? "" : "s"}`;
  const lines = [
    c.bold(`Stress: ${report.requested} requests, ${report.scenario}, strategy ${report.strategy}, concurrency ${report.concurrency}` +
      `${report.workers > 1 ? ` over ${report.workers} processes` : ""}, seed ${report.seed}`),
    `Inventory: ${tiers}; ${stay}`,
    "",
    table(
      ["STATUS", "OUTCOME", "COUNT"],
      [
        ["201", "accepted", c.green(String(report.accepted))],
        ["409", `refused (no availability ${report.refusedBy.noAvailability}, conflict ${report.refusedBy.conflict})`, nonZero(report.refused, c.yellow)],
        ["503", "failed (busy)", nonZero(report.failed, c.red)],
        ["-", "errors", nonZero(report.errors, c.red)],
      ],
      { raw: true },
    ),
    "",
    `Latency ms:   p50 ${report.latencyMs.p50}  p90 ${report.latencyMs.p90}  p95 ${report.latencyMs.p95}  p99 ${report.latencyMs.p99}  max ${report.latencyMs.max}`,
    `Lock wait ms: p50 ${report.lockWaitMs.p50}  p95 ${report.lockWaitMs.p95}  max ${report.lockWaitMs.max}`,
    `Throughput:   ${report.throughputPerSec} requests/s over ${(report.wallTimeMs / 1000).toFixed(2)} s`,
    "",
    `Invariants: ${report.invariants.ok ? c.green("all hold") : c.red.bold("VIOLATED")}`,
    table(
      ["INVARIANT", "VIOLATIONS"],
      [
        ["overbooked tier-nights", nonZero(report.invariants.overbookedNights, c.red)],
        ["double-booked suites", nonZero(report.invariants.doubleBookedSuites, c.red)],
        ["unjustified refusals", nonZero(report.invariants.unjustifiedRefusals, c.red)],
        ["phantom bookings", nonZero(report.invariants.phantomBookings, c.red)],
        ["lost bookings", nonZero(report.invariants.lostBookings, c.red)],
      ],
      { raw: true },
    ),
  ];
  for (const finding of report.findings.slice(0, 5)) lines.push(`  ${c.red(finding.kind)}: ${finding.detail}`);
  if (report.errorMessages.length > 0) {
    lines.push("", "First errors:", ...report.errorMessages.map((error) => `  ${error.count} x ${error.message}`));
  }
  const { maxFailed, maxP99Ms } = report.thresholds;
  if (maxFailed) lines.push(`Threshold --max-failed ${maxFailed.limit}: ${maxFailed.actual} failed, ${maxFailed.ok ? c.green("met") : c.red("missed")}`);
  if (maxP99Ms) lines.push(`Threshold --max-p99 ${maxP99Ms.limit} ms: p99 ${maxP99Ms.actual} ms, ${maxP99Ms.ok ? c.green("met") : c.red("missed")}`);
  if (hints.length > 0) {
    lines.push("", `Scratch schema kept: ${report.scratch.schema}`, ...hints.map((hint) => `  ${hint}`));
  }
  return lines.join("\n");
}
