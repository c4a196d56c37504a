import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { redactSecrets } from "../src/db/url.js";
import { histogramOf } from "../src/stress/stats.js";
import { registerCleanup } from "./scratch.js";

/**
 * What the built CLI costs as a process: start-up time of `hotel --version` and
 * `hotel --help` against a bare `node -e 0`, and the peak RSS of `hotel stress`.
 * Both spawn `node bin/hotel.js`, so they need `npm run build` (dist/).
 */

export function builtCli(root: string): { bin: string; stale: boolean } | undefined {
  const bin = path.join(root, "bin", "hotel.js");
  const entry = path.join(root, "dist", "cli.js");
  if (!existsSync(bin) || !existsSync(entry)) return undefined;
  return { bin, stale: newestSource(path.join(root, "src")) > statSync(entry).mtimeMs };
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "generated") continue;
    const at = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(at) : entry.name.endsWith(".ts") ? statSync(at).mtimeMs : 0);
  }
  return newest;
}

export interface StartupResult {
  runs: number;
  nodeP50Ms: number;
  versionP50Ms: number;
  helpP50Ms: number;
  /** Median `hotel --version` / median `node -e 0`. */
  versionRatio: number;
  helpRatio: number;
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: "1", DATABASE_URL: "" });

function timed(args: string[]): number {
  const started = performance.now();
  const child = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: env(), timeout: 30_000 });
  const elapsed = performance.now() - started;
  if (child.status !== 0) throw new Error(`node ${args.join(" ")} exited ${child.status}: ${child.stderr.toString().trim().slice(0, 200)}`);
  return elapsed;
}

/**
 * The median wall time of each command over `runs` rounds, the commands
 * interleaved in each round so that background load hits them alike; a first
 * round, which fills the page cache, is not counted.
 */
export function interleavedMedians(runs: number, commands: ((round: number) => number)[]): number[] {
  const samples: number[][] = commands.map(() => []);
  for (let round = 0; round < runs + 1; round++) {
    const times = commands.map((command) => command(round));
    if (round > 0) times.forEach((ms, i) => samples[i]?.push(ms));
  }
  return samples.map((values) => histogramOf(values).percentile(50));
}

export function measureStartup(bin: string, runs: number): StartupResult {
  const [nodeP50Ms, versionP50Ms, helpP50Ms] = interleavedMedians(runs, [() => timed(["-e", "0"]), () => timed([bin, "--version"]), () => timed([bin, "--help"])]) as [number, number, number];
  return { runs, nodeP50Ms, versionP50Ms, helpP50Ms, versionRatio: versionP50Ms / nodeP50Ms, helpRatio: helpP50Ms / nodeP50Ms };
}

export interface StressMemoryResult {
  n: number;
  maxRssMb: number;
  wallMs: number;
  /** How RSS was read: "/usr/bin/time -v" or "resourceUsage". */
  source: string;
  ok: boolean;
  requestsPerSec?: number;
  concurrency?: number;
  error?: string;
}

const PRELOAD = `data:text/javascript,${encodeURIComponent(
  'import{writeSync}from"node:fs";process.on("exit",()=>writeSync(2,"\\nBENCH_MAX_RSS_KB="+process.resourceUsage().maxRSS+"\\n"))',
)}`;

function gnuTime(): string | undefined {
  try {
    accessSync("/usr/bin/time", constants.X_OK);
    return "/usr/bin/time";
  } catch {
    return undefined;
  }
}

/** Runs `hotel stress --n N --json` against `databaseUrl` and reads its peak RSS. */
export async function measureStressMemory(bin: string, databaseUrl: string, n: number, timeoutSeconds: number): Promise<StressMemoryResult> {
  const time = gnuTime();
  const hotel = [bin, "stress", "--n", String(n), "--json", "--database-url", databaseUrl];
  const [command, args] = time ? [time, ["-v", process.execPath, ...hotel]] : [process.execPath, ["--import", PRELOAD, ...hotel]];
  const started = performance.now();
  // Its own process group, so that a signal reaches node under /usr/bin/time (which ignores SIGINT).
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: env(), detached: true });
  const finished = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (exit) => resolve({ code: exit, stdout: out, stderr: err }));
  });
  // Interrupted or too slow: SIGINT lets `hotel stress` drop its own scratch schema.
  const stopChild = registerCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGINT");
      } catch {
        // already gone
      }
    }
    await finished.catch(() => undefined);
  });
  const timer = setTimeout(() => void stopChild(), timeoutSeconds * 1000);
  let ended: Awaited<typeof finished>;
  try {
    ended = await finished;
  } finally {
    clearTimeout(timer);
    await stopChild();
  }
  const { code, stdout } = ended;
  // /usr/bin/time -v appends its report (which names the command line, URL included) to stderr.
  const stderr = ended.stderr;
  const childStderr = stderr.split(/\n\s*Command being timed:/)[0] ?? "";
  const wallMs = performance.now() - started;
  const rssKb = Number((time ? /Maximum resident set size \(kbytes\): (\d+)/ : /BENCH_MAX_RSS_KB=(\d+)/).exec(stderr)?.[1] ?? Number.NaN);
  let report: { ok?: boolean; throughputPerSec?: number; concurrency?: number } = {};
  try {
    report = JSON.parse(stdout) as typeof report;
  } catch {
    // reported below as an error
  }
  const ok = code === 0 && report.ok === true;
  return {
    n,
    maxRssMb: rssKb / 1024,
    wallMs,
    source: time ? "/usr/bin/time -v" : "process.resourceUsage()",
    ok,
    requestsPerSec: report.throughputPerSec,
    concurrency: report.concurrency,
    error: ok ? undefined : redactSecrets(`exit ${code}: ${(stdout + childStderr).replace(/\s+/g, " ").slice(0, 300)}`),
  };
}
