import { Command, Option } from "commander";
import { createInterface } from "node:readline";
import v8 from "node:v8";
import { HotelError } from "../../core/errors.js";
import { toHotelError } from "../../core/sqlstate.js";
import type { StressOptions } from "../../stress/config.js";
import type { StressReport } from "../../stress/report.js";
import { createContext } from "../context.js";
import { registerCleanup } from "../lifecycle.js";
import type { Output } from "../output.js";

/**
 * `hotel stress` and its hidden worker command: their definition (flags,
 * help, examples) and their handlers. The stress library and Prisma load only
 * when the command runs, so `--help` stays cheap.
 */

type Action = (...args: never[]) => Promise<number>;
/** Wraps a lazily loaded handler into a Commander action (program.ts owns how actions run). */
export type ActionFor = (load: () => Promise<Action>) => (...args: unknown[]) => Promise<void>;

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addStressCommands(program: Command, action: ActionFor): void {
  program
    .command("stress")
    .description("fire concurrent bookings at a scratch copy of the schema (or a running `hotel serve`) and prove no invariant broke")
    .option("--n <n>", "number of requests (default 20; with --duration: as many as fit)")
    .option("--duration <time>", "stop starting requests after this long: 30s, 2m, 500ms")
    .option("--rate <r>", "open model: start R requests per second whatever the latency (default: closed model)")
    .addOption(new Option("--arrival <kind>", "open model: how arrivals are spaced (default uniform)").choices(["uniform", "poisson"]))
    .option("--concurrency <c>", "requests in flight at once (default: n, capped at 100; open model: 100)")
    .option("--tier <tier>", "tier name of the synthetic inventory", "standard")
    .option("--capacity <suites>", "suites in the tier (default 10)")
    .option("--check-in <date>", "first night of the stays (default: 30 days from today)")
    .option("--nights <n>", "nights per stay (same-dates, mixed-tiers)", "1")
    .addOption(new Option("--scenario <scenario>", "what the requests ask for").choices(["same-dates", "overlapping", "mixed-tiers"]).default("same-dates"))
    .addOption(new Option("--strategy <strategy>", "booking transaction to exercise (--via core)").choices(["locked", "interactive", "serializable"]).default("locked"))
    .addOption(new Option("--via <via>", "core: call the booking core in this process; http: through a `hotel serve` of the run's own").choices(["core", "http"]))
    .option("--url <url>", "drive a running `hotel serve` instead (its real inventory; repeat for round-robin)", collect)
    .option("-y, --yes", "with --url: book without asking (needed when not on a terminal)")
    .option("--workers <p>", "split the load over P separate OS processes", "1")
    .option("--seed <s>", "random seed, for repeatable runs")
    .option("--keep", "keep the scratch schema (with --url: the bookings) afterwards")
    .option("--out <file>", "write one NDJSON line per request")
    .option("--html <file>", "write a self-contained HTML report with charts")
    .option("--max-failed <n>", "exit 1 when more than N requests end as 503")
    .option("--max-p99 <ms>", "exit 1 when p99 latency exceeds MS")
    .addHelpText(
      "after",
      examples(
        "hotel stress --n 20",
        "hotel stress --n 1000 --scenario overlapping --concurrency 50 --seed 7",
        "hotel stress --rate 500 --duration 30s --arrival poisson --html report.html",
        "hotel stress --n 2000 --via http --out requests.ndjson",
        "hotel stress --url http://staging.internal:3000 --rate 50 --duration 1m --yes",
        "hotel stress --n 20 --strategy serializable",
      ),
    )
    .action(action(async () => run as Action));

  program
    .command("stress-worker", { hidden: true })
    .description("internal: one worker process of `hotel stress --workers`")
    .argument("<plan>", "JSON plan")
    .action(action(async () => worker as Action));
}

interface StressFlags extends Omit<StressOptions, "lockTimeoutMs" | "url"> {
  url?: string[];
  yes?: boolean;
}

/**
 * Memory flat in n. Requests in flight when a scavenge runs are promoted to
 * the old space and die there; V8 lets that garbage grow to several times the
 * live heap (~25 MB here) before a full collection, so a long run's peak RSS
 * sat 40 MB above a short one's. A fixed growth factor keeps the old space
 * near the live heap, for a full collection of ~10 ms every few seconds.
 */
function boundHeapGrowth(): void {
  v8.setFlagsFromString("--heap-growing-percent=25");
}

/** `hotel stress`: exit 0 when every invariant held and every threshold was met, else 1. */
export async function run(flags: StressFlags, command: Command): Promise<number> {
  boundHeapGrowth();
  const ctx = createContext(command);
  const { resolveStressConfig } = await import("../../stress/config.js");
  // Validate everything before connecting: bad input creates no schema and books nothing.
  const config = resolveStressConfig({ ...flags, lockTimeoutMs: ctx.lockTimeoutMs() });
  // Prisma and pg load only once the input is known to be good.
  const { runStress, inspectionHints } = await import("../../stress/index.js");
  const { startProgress, summary, quietLine } = await import("./stress-view.js");
  const remote = config.urls.length > 0;
  const db = remote ? undefined : await ctx.database({ poolSize: 1 });
  const progress = await startProgress(ctx.out, config);
  let report: StressReport;
  try {
    report = await runStress(config, {
      baseUrl: db?.url,
      registerCleanup,
      launcher: cliLauncher(),
      onPhase: progress.phase,
      // Only a live view needs every result counted out.
      onProgress: ctx.out.interactive ? progress.update : undefined,
      note: progress.note,
      confirmRemote: (description) => (flags.yes ? Promise.resolve(true) : confirm(ctx.out, description, progress)),
    });
  } finally {
    progress.stop();
  }
  const hints = db && report.scratch?.kept ? inspectionHints(db.url, report.scratch.schema) : [];
  if (hints.length > 0 && db?.embedded) hints.push(`# ${db.server} runs only while a hotel command uses it (keep \`hotel serve\` running to inspect)`);
  const document = hints.length > 0 && report.scratch ? { ...report, scratch: { ...report.scratch, inspect: hints } } : report;
  const drawHistogram = process.stdout.isTTY === true && !ctx.out.json && !ctx.out.quiet;
  ctx.out.essential(document, ctx.out.quiet ? quietLine(report) : summary(report, hints, ctx.out, drawHistogram));
  return report.ok ? 0 : 1;
}

/** Asks on the terminal; never when it cannot (then --yes is the way). */
async function confirm(out: Output, description: string, progress: { pause(): void; resume(): void }): Promise<boolean> {
  const canPrompt = process.stdin.isTTY === true && process.stderr.isTTY === true && !out.json && !process.env.CI;
  if (!canPrompt) throw new HotelError("USAGE", "--url books the server's real inventory: pass --yes to confirm (there is no terminal to ask on)");
  progress.pause();
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => prompt.question(`This sends ${description}.\nProceed? [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
    progress.resume();
  }
}

/** The hidden `stress-worker` command: one worker process of `hotel stress --workers`. */
export async function worker(planJson: string, _flags: unknown, _command: Command): Promise<number> {
  boundHeapGrowth();
  const { encodeWorkerError, parseWorkerPlan, runWorker, WORKER_URL_ENV } = await import("../../stress/index.js");
  const plan = parseWorkerPlan(planJson);
  const databaseUrl = process.env[WORKER_URL_ENV];
  if (databaseUrl === undefined) throw new HotelError("USAGE", "stress-worker is started by `hotel stress --workers`, not by hand");
  let parentGone = false;
  const stdin = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const go = new Promise<void>((resolve, reject) => {
    stdin.once("line", (line) => (line.trim() === "go" ? resolve() : reject(new HotelError("INTERNAL", 'stress-worker: expected "go"'))));
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

/** Worker processes and the run's own `hotel serve` are this same CLI. */
function cliLauncher(): { command: string; args(cliArgs: string[]): string[] } {
  const script = process.argv[1];
  return {
    command: process.execPath,
    args: (cliArgs) => {
      if (!script) throw new HotelError("INTERNAL", "cannot find the hotel script to start workers from");
      return [script, ...cliArgs];
    },
  };
}
