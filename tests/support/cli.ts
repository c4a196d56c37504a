import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SOURCE_HASH_FILE, sourceHash } from "../../scripts/source-hash.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin", "hotel.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment a user's shell would give: no database configured, no
 * colour forced, not CI (CI runs the tests with CI=true, which would forbid
 * the prompts the terminal tests expect).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ["DATABASE_URL", "TEST_DATABASE_URL", "FORCE_COLOR", "DEBUG", "CI", "HOTEL_LOCK_TIMEOUT_MS"]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Options for node itself, before the script. */
  nodeArgs?: string[];
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
}

let checkedBuild = false;

/**
 * Refuses to test old code: dist/ must have been built from the sources in
 * the tree (tsup.config.ts records their hash in dist/source-hash).
 */
export function assertFreshBuild(): void {
  if (checkedBuild) return;
  if (!existsSync(path.join(ROOT, "dist", "cli.js"))) {
    throw new Error("dist/cli.js is missing: run `npm run build` before the end-to-end tests");
  }
  const hashFile = path.join(ROOT, "dist", SOURCE_HASH_FILE);
  const built = existsSync(hashFile) ? readFileSync(hashFile, "utf8").trim() : "";
  if (built !== sourceHash(ROOT)) {
    throw new Error("dist/ is stale: src/, prisma/ or the build configuration changed since it was built: run `npm run build`");
  }
  checkedBuild = true;
}

/**
 * V8 flags for the CLI's processes in tests. src/cli.ts compiles Prisma's
 * WebAssembly with the baseline compiler only for one-shot commands and
 * keeps the optimising tier for serve and stress, for their throughput over
 * a long run; a test's serve or stress answers a few dozen requests, and the
 * optimising compilation alone costs each of them most of a second of CPU.
 */
export const CLI_NODE_ARGS = ["--liftoff-only"];

/** Starts the built CLI (`npm run build` first) as a separate process. */
export function spawnCli(args: string[], options: SpawnOptions = {}): RunningCli {
  assertFreshBuild();
  const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...(options.nodeArgs ?? []), BIN, ...args], { env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** Runs the built CLI to completion. */
export const runCli = (args: string[], options: SpawnOptions = {}): Promise<CliResult> =>
  spawnCli(args, options).done;

/** Polls until `check` returns true (or fails after `timeoutMs`). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
