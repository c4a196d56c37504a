import { redactSecrets } from "../src/db/url.js";
import { startPgBouncer } from "./pgbouncer.js";
import { openPhase, type OpenPhase, type PhaseResult } from "./phase.js";
import { measureProperties, type PropertiesOptions, type PropertiesSide } from "./properties.js";
import { flash, type Scenario } from "./scenarios.js";
import { registerCleanup } from "./scratch.js";

/**
 * How the default (locked) booking core scales out, three ratios, each
 * measured in one run with both sides in alternating slices (or rounds):
 *   - pgbouncer: a flash-sale night through a real PgBouncer in transaction
 *     mode (bench/pgbouncer.ts) over the same night directly, req/s;
 *   - serve-x2: the night over HTTP (keep-alive, round-robin) through two
 *     `hotel serve` processes of the run's own over one, req/s;
 *   - properties-x2: two properties' nights at once over one property's
 *     alone, accepted bookings/s (bench/properties.ts).
 * Every side is judged: "exact" when the oracle finds nothing.
 */

export interface ScaleSide {
  label: string;
  requests: number;
  accepted: number;
  perSec: number;
  acceptedPerSec: number;
  exact: boolean;
  findings: string[];
}

export interface ScaleLine {
  id: "pgbouncer" | "serve-x2" | "properties-x2";
  title: string;
  /** Which figure the ratio compares. */
  unit: "req/s" | "acc/s";
  base: ScaleSide;
  scaled: ScaleSide;
  /** scaled over base in `unit`. */
  ratio: number | null;
}

export interface ScaleResult {
  lines: ScaleLine[];
  /** Lines that could not be measured, and why. */
  skipped: string[];
}

export interface ScalePlan {
  flash: { n: number; suites: number; concurrency: number; maxSeconds: number };
  /** Slices per side of the interleaved phases. */
  rounds: number;
  properties: PropertiesOptions;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;

function sideOfPhase(label: string, result: PhaseResult): ScaleSide {
  const r = result.report;
  const findings = r.findings.slice(0, 3).map((finding) => `${finding.kind}: ${finding.detail}`);
  if (r.errors > 0) findings.push(`${r.errors} error(s), first: ${r.errorMessages[0]?.message ?? "?"}`);
  return {
    label,
    requests: r.requested,
    accepted: r.accepted,
    perSec: r.throughputPerSec,
    acceptedPerSec: r.requested > 0 ? round1((r.throughputPerSec * r.accepted) / r.requested) : 0,
    exact: r.invariants.ok && r.errors === 0,
    findings,
  };
}

const lineOf = (id: ScaleLine["id"], title: string, unit: ScaleLine["unit"], base: ScaleSide, scaled: ScaleSide): ScaleLine => {
  const figure = (side: ScaleSide): number => (unit === "req/s" ? side.perSec : side.acceptedPerSec);
  return { id, title, unit, base, scaled, ratio: figure(base) > 0 ? round2(figure(scaled) / figure(base)) : null };
};

/** Two phases of one scenario in alternating slices (the order reversed every other round); their results, in order. */
async function interleavedPair(openers: (() => Promise<OpenPhase>)[], n: number, rounds: number): Promise<PhaseResult[]> {
  const opened: OpenPhase[] = [];
  try {
    for (const open of openers) opened.push(await open());
    for (let round = 0; round < rounds; round++) {
      const until = Math.ceil((n * (round + 1)) / rounds);
      for (const phase of round % 2 === 0 ? opened : [...opened].reverse()) await phase.runUntil(until);
    }
    const results: PhaseResult[] = [];
    while (opened.length > 0) results.push(await (opened.shift() as OpenPhase).finish());
    return results;
  } finally {
    for (const phase of opened) await phase.abandon().catch(() => undefined);
  }
}

async function pooler(baseUrl: string, scenario: Scenario, rounds: number): Promise<ScaleLine> {
  const bouncer = await startPgBouncer(baseUrl);
  const unregister = registerCleanup(() => bouncer.stop().catch(() => undefined));
  try {
    const [direct, pooled] = (await interleavedPair([() => openPhase(baseUrl, "locked", scenario), () => openPhase(bouncer.url(baseUrl), "locked", scenario)], scenario.n, rounds)) as [
      PhaseResult,
      PhaseResult,
    ];
    return lineOf("pgbouncer", `${scenario.label}, c=${scenario.concurrency}: through PgBouncer (transaction mode) over directly`, "req/s", sideOfPhase("directly", direct), sideOfPhase("PgBouncer", pooled));
  } finally {
    unregister();
    await bouncer.stop();
  }
}

async function serves(baseUrl: string, scenario: Scenario, rounds: number): Promise<ScaleLine> {
  const http = (servers: number) => () => openPhase(baseUrl, "locked", scenario, { options: { via: "http" }, servers });
  const [one, two] = (await interleavedPair([http(1), http(2)], scenario.n, rounds)) as [PhaseResult, PhaseResult];
  return lineOf(
    "serve-x2",
    `${scenario.label}, c=${scenario.concurrency} over HTTP (keep-alive, round-robin): two \`hotel serve\` processes over one`,
    "req/s",
    sideOfPhase("1 serve", one),
    sideOfPhase("2 serves", two),
  );
}

async function properties(baseUrl: string, o: PropertiesOptions): Promise<ScaleLine> {
  const { one, two } = await measureProperties(baseUrl, o);
  const side = (label: string, s: PropertiesSide): ScaleSide => ({
    label,
    requests: s.requests,
    accepted: s.accepted,
    perSec: s.seconds > 0 ? round1(s.requests / s.seconds) : 0,
    acceptedPerSec: s.acceptedPerSec,
    exact: s.exact,
    findings: s.problems,
  });
  return lineOf(
    "properties-x2",
    `flash ${o.n} req, ${o.suites} suites, c=${o.concurrency}, ${o.rounds} nights: two properties at once (half each) over one alone`,
    "acc/s",
    side("1 property", one),
    side("2 properties", two),
  );
}

export async function measureScale(baseUrl: string, plan: ScalePlan, log: (line: string) => void): Promise<ScaleResult> {
  const scenario = flash(plan.flash);
  const result: ScaleResult = { lines: [], skipped: [] };
  const steps: [string, () => Promise<ScaleLine>][] = [
    ["PgBouncer vs directly", () => pooler(baseUrl, scenario, plan.rounds)],
    ["two hotel serve vs one", () => serves(baseUrl, scenario, plan.rounds)],
    ["two properties vs one", () => properties(baseUrl, plan.properties)],
  ];
  for (const [name, measure] of steps) {
    log(`scale: ${name} ...`);
    try {
      const line = await measure();
      log(`scale: ${name}: ${line.ratio ?? "-"}x (${line.scaled.label} over ${line.base.label}, ${line.unit})`);
      result.lines.push(line);
    } catch (error) {
      result.skipped.push(`${name}: ${redactSecrets(error instanceof Error ? error.message : String(error)).split("\n")[0]}`);
    }
  }
  return result;
}

const fmt = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : "-");

/** The report's lines for the scale section. */
export function scaleLines(scale: ScaleResult): string[] {
  const out = ["SCALE: each ratio measured in this run, both sides alternating; exact = the oracle finds nothing on that side"];
  for (const line of scale.lines) {
    const figure = (side: ScaleSide): string => `${side.label} ${fmt(line.unit === "req/s" ? side.perSec : side.acceptedPerSec)} ${line.unit}`;
    const exact = (side: ScaleSide): string => (side.exact ? "yes" : `no (${side.findings.join("; ")})`);
    out.push(
      `${line.id}: ${line.title}`,
      `  ${figure(line.scaled)} vs ${figure(line.base)} = ${line.ratio === null ? "-" : `${line.ratio.toFixed(2)}x`}; ` +
        `accepted ${line.scaled.accepted}/${line.scaled.requests} vs ${line.base.accepted}/${line.base.requests}; exact: ${exact(line.scaled)} / ${exact(line.base)}`,
    );
  }
  for (const skipped of scale.skipped) out.push(`not measured: ${skipped}`);
  return out;
}
