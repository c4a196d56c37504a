import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/db/paths.js";
import { redactSecrets } from "../src/db/url.js";
import { STRATEGIES } from "../src/stress/index.js";
import { builtCli, measureStartup, measureStressMemory } from "./cli-process.js";
import { openBenchDatabase, resolveUrl, type BenchDatabase } from "./database.js";
import { measureOperations } from "./operations.js";
import { measureScale } from "./scale.js";
import { measureOverhead } from "./overhead.js";
import { planFor, type Plan } from "./plan.js";
import { renderTable } from "./render.js";
import { attachLimits, overheadRows, startupRow, type BenchDocument } from "./report.js";
import { runCleanups } from "./scratch.js";
import { measureShortCommands } from "./short-commands.js";
import { runSteps } from "./steps.js";
import { operationTargets, scaleTargets, targets } from "./targets.js";

/**
 * `npm run bench`: the booking core against the physical limit (raw node-pg,
 * and pgbench when installed) and the serializable design, side by side in
 * one run, through the stress library's own engine. Prints a table (or, with --json, one JSON
 * document), always writes bench/results/latest.json, and exits 0 whatever the
 * numbers (it is a report), unless --check is given: then 1 when a target is missed.
 */

const SECTIONS = ["limit", ...STRATEGIES, "overhead", "operations", "scale", "process"] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `Usage: npm run bench -- [options]

  --quick              a smaller run (40-100 s on 2 cores) instead of the full one (3-8 min)
  --json               print one JSON document on stdout instead of the table
  --check              exit 1 when a target is missed (default: exit 0, it is a report)
  --database-url URL   PostgreSQL to measure (default: BENCH_DATABASE_URL, DATABASE_URL,
                       else an embedded server in a temporary directory)
  --only LIST          comma-separated sections: ${SECTIONS.join(",")}
  --out FILE           where to write the JSON (default bench/results/latest.json)
  --quiet              no progress lines on stderr
  -h, --help           this text

Progress goes to stderr. The process and scale sections spawn the built CLI
(node bin/hotel.js): run \`npm run build\` first. The scale section starts
a PgBouncer (/usr/sbin/pgbouncer, or PGBOUNCER_BIN) when one is installed.`;

type Args = ReturnType<typeof parse>;
type Log = (line: string) => void;

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 64;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = Date.now();
  const log: Log = args.quiet ? () => undefined : (line) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
  let db: BenchDatabase | undefined;
  let stopping: Promise<number> | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    log(`${signal}: dropping the scratch schemas and the bench database`);
    // Dropping them ends this process's own sessions, whose clients then fail
    // mid-query: the run is over anyway, so those errors are not worth a crash.
    process.on("uncaughtException", () => undefined);
    process.on("unhandledRejection", () => undefined);
    stopping = runCleanups()
      .then(() => db?.close())
      .catch(() => undefined)
      .then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    db = await openBenchDatabase(resolveUrl(args.databaseUrl), log);
    const doc = await runBench(db, args, log, started);
    const out = args.out ?? path.join(packageRoot(), "bench", "results", "latest.json");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
    process.stdout.write(args.json ? `${JSON.stringify(doc, null, 2)}\n` : `${renderTable(doc)}\n\nJSON: ${path.relative(process.cwd(), out) || out}\n`);
    const missed = doc.targets.filter((t) => t.pass === false);
    return args.check && missed.length > 0 ? 1 : 0;
  } catch (error) {
    if (stopping) return await stopping;
    const message = redactSecrets(error instanceof Error ? error.message : String(error));
    if (args.json) process.stdout.write(`${JSON.stringify({ error: { message } })}\n`);
    process.stderr.write(`bench: ${message}\n`);
    return 1;
  } finally {
    if (stopping) await stopping;
    await runCleanups();
    await db?.close().catch(() => undefined);
  }
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      json: { type: "boolean" },
      check: { type: "boolean" },
      "database-url": { type: "string" },
      only: { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const only = values.only?.split(",").map((section) => section.trim()).filter(Boolean);
  for (const section of only ?? []) {
    if (!(SECTIONS as readonly string[]).includes(section)) throw new Error(`--only: unknown section "${section}" (one of ${SECTIONS.join(", ")})`);
  }
  return {
    quick: values.quick ?? false,
    json: values.json ?? false,
    check: values.check ?? false,
    databaseUrl: values["database-url"],
    sections: new Set<Section>((only as Section[] | undefined) ?? SECTIONS),
    out: values.out,
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  };
}

const message = (error: unknown): string => redactSecrets(error instanceof Error ? error.message : String(error));

async function runBench(db: BenchDatabase, args: Args, log: Log, started: number): Promise<BenchDocument> {
  const plan: Plan = planFor(args.quick ? "quick" : "full");
  const notes: string[] = [];
  if (db.note) notes.push(db.note);
  const loadStart = os.loadavg();
  const info = await db.info();
  log(`${plan.mode} run on ${info.postgres} at ${db.server}${db.created ? `, database ${db.created}` : ""}`);

  const { limitRows, pgbench, pgbenchSkipped, phases } = await runSteps({ url: db.url, steps: plan.steps, sections: args.sections, log, notes });
  attachLimits(phases, limitRows, pgbench);

  let overhead: BenchDocument["overhead"];
  if (args.sections.has("overhead")) {
    log("uncontended lock overhead ...");
    try {
      overhead = overheadRows(await measureOverhead(db.url, plan.overhead.n, plan.overhead.maxSeconds));
    } catch (error) {
      notes.push(`lock overhead failed: ${message(error)}`);
    }
  }

  let operations: BenchDocument["operations"];
  if (args.sections.has("operations")) {
    log("each operation alone, beside the limit ...");
    try {
      operations = await measureOperations(db.url, plan.operations.n, plan.operations.slice);
    } catch (error) {
      notes.push(`operations failed: ${message(error)}`);
    }
  }

  let scale: BenchDocument["scale"];
  if (args.sections.has("scale")) {
    try {
      scale = await measureScale(db.url, plan.scale, log);
    } catch (error) {
      notes.push(`scale failed: ${message(error)}`);
    }
  }

  const processSection: BenchDocument["process"] = {};
  if (args.sections.has("process")) {
    const cli = builtCli(packageRoot());
    if (!cli) {
      processSection.skipped = "no built CLI (dist/cli.js): run `npm run build` first";
    } else {
      if (cli.stale) notes.push("dist/ is older than src/: the process figures are for the last `npm run build`");
      log("start-up: node -e 0, hotel --version, hotel --help ...");
      try {
        processSection.startup = startupRow(measureStartup(cli.bin, plan.startupRuns));
      } catch (error) {
        notes.push(`start-up failed: ${message(error)}`);
      }
      if (db.created) {
        log("short commands: hotel availability, hotel book against hotel --version ...");
        try {
          processSection.shortCommands = measureShortCommands(cli.bin, db.url, plan.startupRuns);
        } catch (error) {
          notes.push(`short commands failed: ${message(error)}`);
        }
      } else {
        notes.push("short commands skipped: they need a database the bench created for itself (it migrates it)");
      }
      processSection.stress = [];
      for (const n of plan.stressN) {
        log(`hotel stress --n ${n} ...`);
        const run = await measureStressMemory(cli.bin, db.url, n, plan.stressTimeoutSeconds);
        log(`hotel stress --n ${n}: ${run.maxRssMb.toFixed(1)} MB peak RSS${run.ok ? "" : ` (failed: ${run.error ?? "?"})`}`);
        processSection.stress.push(run);
      }
    }
  }

  const limit: BenchDocument["limit"] = {
    definition: "BEGIN; SELECT pg_advisory_xact_lock(1, night); INSERT INTO limit_bookings (night, guest) ...; COMMIT, every transaction on the same night",
    reference:
      "ratios (x lim) use node-pg with one round trip per statement (4rt: what a client binding parameters sends, and what pgbench sends) at the same concurrency, measured interleaved with the phase when it ran in a group, else the median of the runs; 1rt (the 4 statements as one simple-protocol string) is the ceiling, shown as x 1rt",
    phases: limitRows,
    pgbench,
    pgbenchSkipped,
  };
  const cpus = os.cpus();
  const doc: BenchDocument = {
    tool: "hotel-bench",
    schemaVersion: 2,
    mode: plan.mode,
    startedAt: new Date(started).toISOString(),
    durationSeconds: 0,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? "?",
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      postgres: info.postgres,
      server: db.server,
      settings: info.settings,
      loadAverage: { start: loadStart.map((v) => Math.round(v * 100) / 100), end: os.loadavg().map((v) => Math.round(v * 100) / 100) },
    },
    limit,
    strategies: phases,
    overhead,
    operations,
    scale,
    process: processSection,
    targets: [],
    notes,
  };
  doc.targets = [...targets(doc), ...operationTargets(doc.operations), ...scaleTargets(doc.scale)];
  doc.durationSeconds = Math.round((Date.now() - started) / 100) / 10;
  return doc;
}

