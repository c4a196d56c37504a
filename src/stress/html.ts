import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { StressReport } from "./report.js";
import { OUTCOME_CLASSES, type RunRecorder } from "./results.js";
import type { TimelineSeries } from "./timeline.js";

/**
 * `--html FILE`: one self-contained page (uPlot and its stylesheet inlined
 * from node_modules, the data as JSON in the page; nothing is fetched when it
 * is viewed): latency over time (p50/p99 per second), throughput over time by
 * outcome, the latency histogram per outcome, the invariant table, the run's
 * settings and the machine it ran on. Once its charts are drawn the page sets
 * `data-charts` on <body> to how many it drew.
 */

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  os: string;
  node: string;
  postgres?: string;
}

const HISTOGRAM_BINS = 40;

export interface HtmlData {
  report: StressReport;
  timeline: TimelineSeries;
  histogram: { upToMs: number[] } & Record<(typeof OUTCOME_CLASSES)[number], number[]>;
}

export function htmlData(report: StressReport, recorder: RunRecorder): HtmlData {
  const range = { fromMs: recorder.latency.min, toMs: recorder.latency.max };
  const binsOf = (kind: (typeof OUTCOME_CLASSES)[number]) => recorder.byOutcome[kind].bins(HISTOGRAM_BINS, range);
  const edges = recorder.latency.bins(HISTOGRAM_BINS, range).map((bin) => bin.toMs);
  const counts = Object.fromEntries(OUTCOME_CLASSES.map((kind) => [kind, binsOf(kind).map((bin) => bin.count)]));
  return { report, timeline: recorder.timeline.series(), histogram: { upToMs: edges, ...counts } as HtmlData["histogram"] };
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
/** JSON that cannot end the <script> element it sits in. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");
const inlineScript = (code: string): string => code.replace(/<\/script/gi, "<\\/script");

function asset(file: string): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve(`uplot/dist/${file}`), "utf8");
}

function table(rows: [string, string | number | null | undefined][]): string {
  const cell = (value: string | number | null | undefined): string => (value === null || value === undefined ? "<i>not judged</i>" : escapeHtml(String(value)));
  return `<table>${rows.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${cell(value)}</td></tr>`).join("")}</table>`;
}

function settingsRows(report: StressReport, startedAt: string): [string, string | number][] {
  const load =
    report.rate === null
      ? `closed: ${report.concurrency} in flight`
      : `open: ${report.rate.target} requests/s, ${report.rate.arrival} arrivals, up to ${report.concurrency} in flight`;
  return [
    ["started", startedAt],
    ["load", load],
    ["requests", report.requested],
    ["duration", report.durationMs === null ? "-" : `${report.durationMs / 1000} s`],
    ["scenario", report.scenario],
    ["strategy", report.strategy],
    ["via", report.remote ? `http: ${report.remote.urls.join(", ")}` : report.via],
    ["inventory", report.tiers.map((tier) => `${tier.tier} (${tier.capacity ?? "?"} suites)`).join(", ")],
    ["stays", report.nights === null ? `1-7 nights from ${report.checkIn}` : `${report.checkIn}, ${report.nights} night(s)`],
    ["workers", report.workers],
    ["seed", report.seed],
    ["lock timeout", `${report.lockTimeoutMs} ms`],
  ];
}

function resultRows(report: StressReport): [string, string | number][] {
  const l = report.latencyMs;
  const s = report.serviceMs;
  const rows: [string, string | number][] = [
    ["accepted (201)", report.accepted],
    ["refused (409)", `${report.refused} (no availability ${report.refusedBy.noAvailability}, conflict ${report.refusedBy.conflict})`],
    ["busy (503)", report.failed],
    ["errors", report.errors],
    ["latency ms", `p50 ${l.p50} · p90 ${l.p90} · p95 ${l.p95} · p99 ${l.p99} · p99.9 ${l.p999} · max ${l.max}`],
    ["service ms", `p50 ${s.p50} · p90 ${s.p90} · p95 ${s.p95} · p99 ${s.p99} · p99.9 ${s.p999} · max ${s.max}`],
    ["throughput", `${report.throughputPerSec} requests/s`],
    ["client CPU", `${report.clientCpuMsPerRequest} ms per request`],
  ];
  if (report.rate) rows.push(["late starts", `${report.rate.lateStarts} (achieved ${report.rate.achieved ?? "-"} requests/s)`]);
  return rows;
}

function invariantRows(report: StressReport): [string, number | null][] {
  const i = report.invariants;
  return [
    ["overbooked tier-nights", i.overbookedNights],
    ["double-booked suites", i.doubleBookedSuites],
    ["unjustified refusals", i.unjustifiedRefusals],
    ["phantom bookings", i.phantomBookings],
    ["lost bookings", i.lostBookings],
  ];
}

export function renderHtml(data: HtmlData, machine: MachineInfo, startedAt: string): string {
  const { report } = data;
  const verdict = report.ok ? "every invariant held" : report.invariants.ok ? "a threshold was missed" : "an invariant was VIOLATED";
  const machineRows: [string, string | number][] = [
    ["CPU", `${machine.cpus} x ${machine.cpuModel}`],
    ["memory", `${machine.memoryGb} GB`],
    ["OS", machine.os],
    ["Node.js", machine.node],
    ["database", machine.postgres ?? "(remote server)"],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hotel stress: ${escapeHtml(verdict)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${asset("uPlot.min.css")}
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1000px;color:#222;padding:0 1em}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{text-align:left;padding:.2em .8em;border-bottom:1px solid #ddd;vertical-align:top}
th{font-weight:600;color:#555}.ok{color:#17803d}.bad{color:#b42318}.grid{display:flex;flex-wrap:wrap;gap:2em}
.chart{margin:.5em 0 1.5em}</style></head>
<body>
<h1>hotel stress: <span class="${report.ok ? "ok" : "bad"}">${escapeHtml(verdict)}</span></h1>
<div class="grid"><section><h2>Settings</h2>${table(settingsRows(report, startedAt))}</section>
<section><h2>Results</h2>${table(resultRows(report))}</section></div>
<h2>Invariants</h2>${table(invariantRows(report))}
${report.findings.length > 0 ? `<ul>${report.findings.map((f) => `<li><b>${escapeHtml(f.kind)}</b>: ${escapeHtml(f.detail)}</li>`).join("")}</ul>` : ""}
<h2>Latency over time (ms, from each request's scheduled start; p50 and p99 per second)</h2><div class="chart" id="latency-over-time" data-chart="latency-over-time"></div>
<h2>Throughput over time (answers per second, by outcome)</h2><div class="chart" id="throughput-over-time" data-chart="throughput-over-time"></div>
<h2>Latency histogram by outcome (requests per bin; bins of equal width on a log scale)</h2><div class="chart" id="histogram" data-chart="histogram"></div>
<h2>Machine</h2>${table(machineRows)}
<script>${inlineScript(asset("uPlot.iife.min.js"))}</script>
<script type="application/json" id="stress-data">${scriptJson(data)}</script>
<script>${inlineScript(PAGE_SCRIPT)}</script>
</body></html>
`;
}

/** Draws the three charts from the embedded data. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById("stress-data").textContent);
  var width = Math.min(960, document.body.clientWidth || 960);
  var colours = { accepted: "#17803d", refused: "#b7791f", busy: "#b42318", error: "#6b21a8", p50: "#2563eb", p99: "#dc2626" };
  var t = data.timeline, h = data.histogram, drawn = 0;
  function line(label, colour) { return { label: label, stroke: colour, width: 2, spanGaps: false }; }
  function draw(id, opts, series) {
    new uPlot(Object.assign({ width: width, height: 260 }, opts), series, document.getElementById(id));
    drawn++;
  }
  draw("latency-over-time", { scales: { x: { time: false } }, axes: [{ label: "second" }, { label: "ms" }],
    series: [{ label: "second" }, line("p50", colours.p50), line("p99", colours.p99)] }, [t.second, t.p50Ms, t.p99Ms]);
  draw("throughput-over-time", { scales: { x: { time: false } }, axes: [{ label: "second" }, { label: "per second" }],
    series: [{ label: "second" }, line("accepted", colours.accepted), line("refused", colours.refused), line("busy", colours.busy), line("error", colours.error)] },
    [t.second, t.accepted, t.refused, t.busy, t.error]);
  var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.9, 40] }) : null;
  function bar(label, colour) { return { label: label, stroke: colour, fill: colour + "99", paths: bars, points: { show: false } }; }
  draw("histogram", { scales: { x: { time: false, distr: 3 } }, axes: [{ label: "latency up to (ms)" }, { label: "requests" }],
    series: [{ label: "up to ms" }, bar("accepted", colours.accepted), bar("refused", colours.refused), bar("busy", colours.busy), bar("error", colours.error)] },
    [h.upToMs, h.accepted, h.refused, h.busy, h.error]);
  document.body.setAttribute("data-charts", String(drawn));
})();
`;
