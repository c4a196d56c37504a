import type { StressConfig } from "../../stress/config.js";
import type { StressReport } from "../../stress/report.js";
import type { Progress } from "../../stress/results.js";
import type { StressPhase } from "../../stress/run.js";
import type { OutputStream } from "../io.js";
import type { Lifecycle } from "../lifecycle.js";
import type { Output } from "../output.js";
import { table } from "../table.js";

/**
 * What `hotel stress` shows a person: a live progress line on stderr while it
 * runs (a terminal only, never with --json or --quiet), and the final report,
 * with a latency histogram drawn in block characters when stdout is a terminal.
 */

export interface ProgressView {
  phase(phase: StressPhase): void;
  update(progress: Progress): void;
  note(text: string): void;
  /** Stops redrawing while a prompt uses the terminal... */
  pause(): void;
  /** ...and starts again after it. */
  resume(): void;
  stop(): void;
}

const PHASES: Record<StressPhase, string> = {
  preparing: "creating the scratch schema and its inventory",
  "warming-up": "opening connections and warming up",
  running: "booking",
  auditing: "auditing the final rows",
  "cleaning-up": "cleaning up",
};

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const REDRAW_MS = 100;
/** The current rate is measured over this window. */
const RATE_WINDOW_MS = 2000;

/** `stream` is the run's stderr; the line is cleared on every way out of the run (`lifecycle`). */
export async function startProgress(out: Output, config: StressConfig, stream: OutputStream, lifecycle: Lifecycle): Promise<ProgressView> {
  if (!out.interactive) return { phase: () => undefined, update: () => undefined, note: (text) => out.note(text), pause: () => undefined, resume: () => undefined, stop: () => undefined };
  let phase: StressPhase = "preparing";
  let latest: Progress | undefined;
  let runningSince = 0;
  let frame = 0;
  const samples: [number, number][] = [];
  const clear = (): void => {
    stream.write("\r\u001b[2K");
  };
  const render = (): void => {
    frame = (frame + 1) % SPINNER.length;
    const now = performance.now();
    if (phase === "running" && latest) {
      samples.push([now, latest.done]);
      while (samples.length > 2 && now - (samples[0] as [number, number])[0] > RATE_WINDOW_MS) samples.shift();
    }
    const text = phase === "running" && latest ? runningLine(out, config, latest, now - runningSince, rateOf(samples)) : `${SPINNER[frame]} ${PHASES[phase]}`;
    clear();
    stream.write(fit(text, stream.columns ?? 80));
  };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const start = (): void => {
    if (stopped || timer !== undefined) return;
    timer = setInterval(render, REDRAW_MS);
    timer.unref();
    render();
  };
  const pause = (): void => {
    if (timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
    clear();
  };
  const stop = (): void => {
    stopped = true;
    pause();
  };
  start();
  lifecycle.registerCleanup(async () => stop());
  return {
    phase: (next) => {
      phase = next;
      if (next === "running") runningSince = performance.now();
      if (timer !== undefined) render();
    },
    update: (progress) => {
      latest = progress;
    },
    note: (text) => {
      if (timer !== undefined) clear();
      out.note(text);
    },
    pause,
    resume: start,
    stop,
  };
}

function rateOf(samples: [number, number][]): number {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last[0] - first[0] < 200) return 0;
  return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
}

/** `[█████░░░░░] 52%  10,400/20,000  1,234/s  ETA 8s  201 10 · 409 10,390 · 503 0 · err 0` */
function runningLine(out: Output, config: StressConfig, progress: Progress, elapsedMs: number, rate: number): string {
  const c = out.color;
  const count = (n: number): string => n.toLocaleString("en-US");
  const byCount = config.n !== null ? progress.done / config.n : 0;
  const byTime = config.durationMs !== null ? elapsedMs / config.durationMs : 0;
  const fraction = Math.min(1, Math.max(byCount, byTime));
  const where =
    config.n !== null && byCount >= byTime ? `${count(progress.done)}/${count(config.n)}` : `${seconds(elapsedMs)}/${seconds(config.durationMs ?? 0)}, ${count(progress.done)} done`;
  const remainingMs =
    config.n !== null && byCount >= byTime ? (rate > 0 ? ((config.n - progress.done) / rate) * 1000 : Number.NaN) : (config.durationMs ?? 0) - elapsedMs;
  const eta = Number.isFinite(remainingMs) ? `ETA ${seconds(Math.max(0, remainingMs))}` : "ETA -";
  const outcomes = `201 ${c.green(count(progress.accepted))} · 409 ${c.yellow(count(progress.refused))} · 503 ${progress.failed > 0 ? c.red(count(progress.failed)) : "0"} · err ${progress.errors > 0 ? c.red(count(progress.errors)) : "0"}`;
  return `${bar(fraction, 20)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${where}  ${count(Math.round(rate))}/s  ${eta}  ${outcomes}`;
}

const seconds = (ms: number): string => (ms >= 100_000 ? `${Math.round(ms / 1000)}s` : `${(ms / 1000).toFixed(1)}s`);

function bar(fraction: number, width: number): string {
  const filled = Math.round(fraction * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
}

/** Cuts a line to the terminal's width (ANSI colour codes take no room), so it never wraps. */
function fit(text: string, columns: number): string {
  let visible = 0;
  let out = "";
  // eslint-disable-next-line no-control-regex
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith("\u001b[")) {
      out += part;
      continue;
    }
    const room = columns - 1 - visible;
    out += part.slice(0, Math.max(0, room));
    visible += Math.min(part.length, Math.max(0, room));
  }
  return out;
}

export function quietLine(report: StressReport): string {
  const verdict = report.ok ? "ok" : "FAILED";
  return `${verdict}: ${report.accepted} accepted, ${report.refused} refused, ${report.failed} failed, ${report.errors} errors; invariants ${report.invariants.ok ? "hold" : "violated"}`;
}

export function summary(report: StressReport, hints: string[], out: Output, drawHistogram: boolean): string {
  const c = out.color;
  const nonZero = (value: number | null, paint: (text: string) => string): string => (value === null ? "not judged" : value > 0 ? paint(String(value)) : String(value));
  const tiers = report.tiers.map((tier) => `${tier.tier} (${tier.capacity ?? "?"} suites)`).join(", ");
  const stay = report.nights === null ? `stays of 1-7 nights from ${report.checkIn}` : `${report.checkIn}, ${report.nights} night${report.nights === 1 ? "" : "s"}`;
  const load = report.rate === null ? `concurrency ${report.concurrency}` : `open model ${report.rate.target}/s (${report.rate.arrival}), up to ${report.concurrency} in flight`;
  const target = report.remote ? `, via ${report.remote.urls.join(", ")}` : report.via === "http" ? ", via http (own hotel serve)" : "";
  const l = report.latencyMs;
  const lines = [
    c.bold(`Stress: ${report.requested} requests, ${report.scenario}, strategy ${report.strategy}, ${load}${report.workers > 1 ? ` over ${report.workers} processes` : ""}${target}, seed ${report.seed}`),
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
    `Latency ms:   p50 ${l.p50}  p90 ${l.p90}  p95 ${l.p95}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}${report.rate ? "  (from each request's scheduled start)" : ""}`,
  ];
  if (report.rate) {
    const s = report.serviceMs;
    lines.push(`Service ms:   p50 ${s.p50}  p90 ${s.p90}  p95 ${s.p95}  p99 ${s.p99}  p99.9 ${s.p999}  max ${s.max}  (from each actual send)`);
    lines.push(`Rate:         target ${report.rate.target}/s, achieved ${report.rate.achieved ?? "-"}/s, late starts ${nonZero(report.rate.lateStarts, c.yellow)}`);
  }
  const w = report.lockWaitMs;
  lines.push(w.p50 === null ? "Lock wait ms: not measured over HTTP" : `Lock wait ms: p50 ${w.p50}  p95 ${w.p95}  max ${w.max}`);
  lines.push(`Throughput:   ${report.throughputPerSec} requests/s over ${(report.wallTimeMs / 1000).toFixed(2)} s`);
  if (drawHistogram) lines.push("", ...histogramLines(report));
  lines.push(
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
  );
  for (const finding of report.findings.slice(0, 5)) lines.push(`  ${c.red(finding.kind)}: ${finding.detail}`);
  if (report.errorMessages.length > 0) lines.push("", "First errors:", ...report.errorMessages.map((error) => `  ${error.count} x ${error.message}`));
  const { maxFailed, maxP99Ms } = report.thresholds;
  if (maxFailed) lines.push(`Threshold --max-failed ${maxFailed.limit}: ${maxFailed.actual} failed, ${maxFailed.ok ? c.green("met") : c.red("missed")}`);
  if (maxP99Ms) lines.push(`Threshold --max-p99 ${maxP99Ms.limit} ms: p99 ${maxP99Ms.actual} ms, ${maxP99Ms.ok ? c.green("met") : c.red("missed")}`);
  if (report.remote) {
    const r = report.remote;
    lines.push("", r.kept ? "Remote: the run's bookings were kept (--keep)" : `Remote: cancelled ${r.cancelled} booking(s) the run made${r.cancelFailed > 0 ? c.red(`, ${r.cancelFailed} could not be cancelled`) : ""}`);
  }
  if (report.files.out) lines.push(`Requests: ${report.files.out}`);
  if (report.files.html) lines.push(`HTML report: ${report.files.html}`);
  if (hints.length > 0 && report.scratch) lines.push("", `Scratch schema kept: ${report.scratch.schema}`, ...hints.map((hint) => `  ${hint}`));
  return lines.join("\n");
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
const HISTOGRAM_WIDTH = 40;

/** The latency distribution as horizontal bars, one per bin (empty bins at either end left out). */
function histogramLines(report: StressReport): string[] {
  const bins = report.latencyHistogram;
  const first = bins.findIndex((bin) => bin.count > 0);
  const last = bins.findLastIndex((bin) => bin.count > 0);
  if (first < 0) return [];
  const shown = bins.slice(first, last + 1);
  const most = Math.max(...shown.map((bin) => bin.count));
  const label = (bin: (typeof bins)[number]): string => `${bin.fromMs.toFixed(2).padStart(9)} - ${bin.toMs.toFixed(2).padStart(9)} ms`;
  return [
    "Latency histogram:",
    ...shown.map((bin) => {
      const eighths = Math.round((bin.count / most) * HISTOGRAM_WIDTH * 8);
      const drawn = `${"█".repeat(Math.floor(eighths / 8))}${EIGHTHS[eighths % 8]}`;
      return `${label(bin)} │${drawn.padEnd(HISTOGRAM_WIDTH)} ${bin.count}`;
    }),
  ];
}
