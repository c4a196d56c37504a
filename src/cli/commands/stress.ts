import { createInterface } from "node:readline";
import v8 from "node:v8";
import { HotelError } from "../../core/errors.js";
import type { StressOptions } from "../../stress/config.js";
import type { StressReport } from "../../stress/report.js";
import { SCENARIOS } from "../../stress/scenarios.js";
import type { CommandDefinition, Deps } from "../command.js";
import type { ProgressView } from "./stress-view.js";

/**
 * `hotel stress`: its definition (flags, help, examples) and its handler. The
 * stress library and Prisma load only when the command runs, so `--help`
 * stays cheap. The hidden worker command is in stress-worker.ts.
 */

type StressFlags = Omit<StressOptions, "lockTimeoutMs" | "url"> & { url?: string[]; yes?: boolean; token?: string };

export interface StressCommandOptions {
  /** The run as the stress library takes it; validated in run, where the lock timeout is known. */
  stress: Omit<StressOptions, "lockTimeoutMs">;
  /** --yes: book a --url server's real inventory without asking. */
  yes: boolean;
  /** --token; HOTEL_TOKEN is read in run, where the environment is. A secret: never printed. */
  token?: string;
}

export const stressCommand: CommandDefinition<StressCommandOptions, StressFlags> = {
  name: "stress",
  summary: "fire concurrent bookings at a scratch copy of the schema (or a running `hotel serve`) and prove no invariant broke",
  flags: [
    { flags: "--n <n>", description: "number of requests (default 20; with --duration: as many as fit)" },
    { flags: "--duration <time>", description: "stop starting requests after this long: 30s, 2m, 500ms" },
    { flags: "--rate <r>", description: "open model: start R requests per second whatever the latency (default: closed model)" },
    { flags: "--arrival <kind>", description: "open model: how arrivals are spaced (default uniform)", choices: ["uniform", "poisson"] },
    { flags: "--concurrency <c>", description: "requests in flight at once (default: n, capped at 100; open model: 100)" },
    { flags: "--tier <tier>", description: "tier name of the synthetic inventory", default: "standard" },
    { flags: "--capacity <suites>", description: "suites in the tier (default 10)" },
    { flags: "--check-in <date>", description: "first night of the stays (default: 30 days from today)" },
    { flags: "--nights <n>", description: "nights per stay (same-dates, mixed-tiers)", default: "1" },
    { flags: "--scenario <scenario>", description: "what the requests ask for", choices: [...SCENARIOS], default: "same-dates" },
    { flags: "--strategy <strategy>", description: "booking transaction to exercise (--via core)", choices: ["locked", "interactive", "serializable"], default: "locked" },
    { flags: "--via <via>", description: "core: call the booking core in this process; http: through a `hotel serve` of the run's own", choices: ["core", "http"] },
    { flags: "--url <url>", description: "drive a running `hotel serve` instead (its real inventory; repeat for round-robin)", repeatable: true },
    { flags: "--token <token>", description: "with --url: the API token to send (env HOTEL_TOKEN)" },
    { flags: "-y, --yes", description: "with --url: book without asking (needed when not on a terminal)" },
    { flags: "--workers <p>", description: "split the load over P separate OS processes", default: "1" },
    { flags: "--seed <s>", description: "random seed, for repeatable runs" },
    { flags: "--keep", description: "keep the scratch schema (with --url: the bookings) afterwards" },
    { flags: "--out <file>", description: "write one NDJSON line per request" },
    { flags: "--html <file>", description: "write a self-contained HTML report with charts" },
    { flags: "--max-failed <n>", description: "exit 1 when more than N requests end as 503" },
    { flags: "--max-p99 <ms>", description: "exit 1 when p99 latency exceeds MS" },
  ],
  examples: [
    "hotel stress --n 20",
    "hotel stress --n 1000 --scenario overlapping --concurrency 50 --seed 7",
    "hotel stress --n 2000 --scenario front-desk --concurrency 20",
    "hotel stress --rate 500 --duration 30s --arrival poisson --html report.html",
    "hotel stress --n 2000 --via http --out requests.ndjson",
    "hotel stress --url http://staging.internal:3000 --rate 50 --duration 1m --yes",
    "HOTEL_TOKEN=$(cat desk.token) hotel stress --url http://staging.internal:3000 --n 200 --yes",
    "hotel stress --n 20 --strategy serializable",
  ],
  parse: ({ yes, token, ...stress }) => ({ stress, yes: yes === true, token }),
  run,
};

/**
 * Memory flat in n. Requests in flight when a scavenge runs are promoted to
 * the old space and die there; V8 lets that garbage grow to several times the
 * live heap (~25 MB here) before a full collection, so a long run's peak RSS
 * sat 40 MB above a short one's. A fixed growth factor keeps the old space
 * near the live heap, for a full collection of ~10 ms every few seconds.
 */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString("--heap-growing-percent=25");
}

/** `hotel stress`: exit 0 when every invariant held and every threshold was met, else 1. */
export async function run(options: StressCommandOptions, deps: Deps): Promise<number> {
  boundHeapGrowth();
  const { resolveApiToken, resolveStressConfig } = await import("../../stress/config.js");
  // Validate everything before connecting: bad input creates no schema and books nothing.
  const config = resolveStressConfig({ ...options.stress, lockTimeoutMs: deps.lockTimeoutMs() });
  const token = resolveApiToken(options.token, deps.io.env, config.urls);
  // Prisma and pg load only once the input is known to be good.
  const { runStress, inspectionHints, scriptLauncher } = await import("../../stress/index.js");
  const { startProgress, summary, quietLine } = await import("./stress-view.js");
  const { out } = deps;
  const db = config.urls.length > 0 ? undefined : await deps.database({ poolSize: 1 });
  const progress = await startProgress(out, config, deps.io.stderr, deps.lifecycle);
  let report: StressReport;
  try {
    report = await runStress(config, {
      baseUrl: db?.url,
      token,
      registerCleanup: (cleanup) => deps.lifecycle.registerCleanup(cleanup),
      // Worker processes and the run's own `hotel serve` are this same CLI, with the same Node options.
      launcher: scriptLauncher(process.argv[1]),
      onPhase: progress.phase,
      // Only a live view needs every result counted out.
      onProgress: out.interactive ? progress.update : undefined,
      note: progress.note,
      confirmRemote: (description) => (options.yes ? Promise.resolve(true) : confirm(deps, description, progress)),
    });
  } finally {
    progress.stop();
  }
  const hints = db && report.scratch?.kept ? inspectionHints(db.url, report.scratch.schema) : [];
  if (hints.length > 0 && db?.embedded) hints.push(`# ${db.server} runs only while a hotel command uses it (keep \`hotel serve\` running to inspect)`);
  const document = hints.length > 0 && report.scratch ? { ...report, scratch: { ...report.scratch, inspect: hints } } : report;
  const drawHistogram = deps.io.stdout.isTTY === true && !out.json && !out.quiet;
  out.essential(document, out.quiet ? quietLine(report) : summary(report, hints, out, drawHistogram));
  return report.ok ? 0 : 1;
}

/** Asks on the terminal; never when it cannot or may not (then --yes is the way). */
async function confirm(deps: Deps, description: string, progress: Pick<ProgressView, "pause" | "resume">): Promise<boolean> {
  const { io, out } = deps;
  const canPrompt = io.stdin.isTTY === true && io.stderr.isTTY === true && !out.json && !io.env.CI && deps.globals.input !== false;
  if (!canPrompt) throw new HotelError("USAGE", "--url books the server's real inventory: pass --yes to confirm (there is no terminal to ask on)");
  progress.pause();
  const prompt = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
  try {
    const answer = await new Promise<string>((resolve) => prompt.question(`This sends ${description}.\nProceed? [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
    progress.resume();
  }
}

