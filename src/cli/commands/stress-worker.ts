import { createInterface } from "node:readline";
import { HotelError } from "../../core/errors.js";
import { toHotelError } from "../../core/sqlstate.js";
import type { CommandDefinition, Deps } from "../command.js";
import { boundHeapGrowth } from "./stress.js";

/**
 * The hidden `stress-worker` command: one worker process of `hotel stress
 * --workers`, started by the parent with its plan as the argument and the
 * secrets (database URL, API token) in its environment. It speaks the
 * protocol of src/stress/workers.ts on stdin and stdout.
 */

export interface StressWorkerOptions {
  plan: string;
}

export const stressWorkerCommand: CommandDefinition<StressWorkerOptions> = {
  name: "stress-worker",
  summary: "internal: one worker process of `hotel stress --workers`",
  hidden: true,
  arguments: [["<plan>", "JSON plan"]],
  examples: [],
  parse: (_flags, [plan]) => ({ plan: String(plan) }),
  run,
};

/** Exit 0 once its share is done, 1 when the parent went away first. */
export async function run(options: StressWorkerOptions, deps: Deps): Promise<number> {
  boundHeapGrowth();
  const { encodeWorkerError, parseWorkerPlan, runWorker, WORKER_TOKEN_ENV, WORKER_URL_ENV } = await import("../../stress/index.js");
  const plan = parseWorkerPlan(options.plan);
  const { io } = deps;
  const databaseUrl = io.env[WORKER_URL_ENV];
  if (databaseUrl === undefined) throw new HotelError("USAGE", "stress-worker is started by `hotel stress --workers`, not by hand");
  let parentGone = false;
  const stdin = createInterface({ input: io.stdin, crlfDelay: Infinity });
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
      token: io.env[WORKER_TOKEN_ENV] || undefined,
      write: (line) => io.stdout.write(`${line}\n`),
      go,
      stopped: () => parentGone,
      registerCleanup: (cleanup) => deps.lifecycle.registerCleanup(cleanup),
    });
  } catch (error) {
    // Tell the parent what went wrong in a form it can report (stderr is only a hint).
    io.stdout.write(`${encodeWorkerError(toHotelError(error))}\n`);
    throw error;
  } finally {
    interruptedByParent = parentGone;
    stdin.close();
    (io.stdin as Partial<NodeJS.ReadStream>).destroy?.();
  }
  return interruptedByParent ? 1 : 0;
}
