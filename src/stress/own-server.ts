import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { HotelError } from "../core/errors.js";
import { packageRoot } from "../db/paths.js";
import { redactSecrets } from "../db/url.js";
import { isScratchName } from "./scratch.js";

/**
 * `--via http`: the run's own `hotel serve`, a separate process on
 * 127.0.0.1 with an ephemeral port, over the run's scratch schema, so that
 * the whole HTTP stack (parsing, routing, the server's pool) is measured the
 * way clients meet it. The database URL and the schema travel in the
 * environment, never in argv (where `ps` would show the password).
 */

/** How to start the hotel CLI in another process (worker processes, the own server). */
export interface CliLauncher {
  command: string;
  args(cliArgs: string[]): string[];
}

/**
 * The Node options a child CLI starts with: this process's own, as fork()
 * passes them (`node --max-old-space-size=4096 hotel stress --workers 4`
 * gives every worker that heap, and a V8 tier chosen for this process holds
 * for its children too), except the inspector's, whose port only one process
 * can hold.
 */
export const inheritedNodeOptions = (execArgv: readonly string[] = process.execArgv): string[] =>
  execArgv.filter((option) => !/^--(inspect|debug)/.test(option));

/** The hotel CLI at `script`, started by this Node with this process's options (undefined: none is known). */
export const scriptLauncher = (script: string | undefined): CliLauncher => ({
  command: process.execPath,
  args: (cliArgs) => {
    if (!script) throw new HotelError("INTERNAL", "cannot find the hotel script to start workers from");
    return [...inheritedNodeOptions(), script, ...cliArgs];
  },
});

/** This package's own bin/hotel.js, for library callers without a CLI of their own. */
export const packageLauncher = (): CliLauncher => scriptLauncher(path.join(packageRoot(), "bin", "hotel.js"));

/**
 * `hotel serve` works in this scratch schema instead of the live one when set
 * (only `hotel stress --via http` sets it, and only to a scratch schema's name).
 */
export const SERVE_SCHEMA_ENV = "HOTEL_STRESS_SERVE_SCHEMA";

export function serveSchemaFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const schema = env[SERVE_SCHEMA_ENV];
  if (schema === undefined || schema === "") return undefined;
  if (!isScratchName(schema)) throw new HotelError("CONFIG", `${SERVE_SCHEMA_ENV} names no stress scratch schema`);
  return schema;
}

export interface OwnServer {
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export async function startOwnServer(options: { launcher: CliLauncher; databaseUrl: string; schema: string; lockTimeoutMs: number }): Promise<OwnServer> {
  const args = options.launcher.args(["serve", "--host", "127.0.0.1", "--port", "0", "--quiet", "--lock-timeout", String(options.lockTimeoutMs)]);
  const child = spawn(options.launcher.command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: options.databaseUrl, [SERVE_SCHEMA_ENV]: options.schema, NO_COLOR: "1" },
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const stop = (): Promise<void> => stopChild(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HotelError("INTERNAL", `the run's own hotel serve did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity });
      lines.on("line", (line) => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (!match) return;
        clearTimeout(timer);
        resolve(match[1] as string);
      });
      child.once("error", (error) => reject(new HotelError("INTERNAL", `cannot start the run's own hotel serve: ${error.message}`, { cause: error })));
      child.once("close", (code) => {
        clearTimeout(timer);
        const why = stderr.trim().split("\n").at(-1) ?? "";
        reject(new HotelError(code === 69 ? "DB_UNAVAILABLE" : "INTERNAL", redactSecrets(`the run's own hotel serve exited with code ${code} before listening${why ? `: ${why}` : ""}`)));
      });
    });
    // Keep draining stdout: a full pipe would stall the server.
    child.stdout?.resume();
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGTERM (a graceful stop: requests in flight finish), then SIGKILL if it hangs. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}
