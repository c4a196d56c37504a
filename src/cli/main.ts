import { type Command, CommanderError } from "commander";
import { HotelError } from "../core/errors.js";
import type { GlobalOptions } from "./command.js";
import { createDeps, outputFor } from "./context.js";
import { processIO, type IOStreams } from "./io.js";
import { Lifecycle } from "./lifecycle.js";
import { Output } from "./output.js";
import { buildProgram, type Runner } from "./program.js";

declare const HOTEL_VERSION: string | undefined;
const version = typeof HOTEL_VERSION === "string" ? HOTEL_VERSION : "0.0.0-dev";

/** Flags that decide how failures look, read before Commander has parsed anything. */
function earlyOutput(argv: string[], io: IOStreams): Output {
  return new Output({ json: argv.includes("--json"), color: !argv.includes("--no-color"), quiet: argv.includes("--quiet") || argv.includes("-q") }, io);
}

/**
 * Runs the CLI once and resolves to the exit code; never throws, never exits
 * the process. Everything outside the run comes from `io`, so a test runs it
 * in-process: `await main(["book", ...], io)`. Signals are honoured only when
 * `io.signals` is given (bin/hotel.js passes the process).
 */
export async function main(argv: string[] = process.argv.slice(2), io: IOStreams = processIO()): Promise<number> {
  const lifecycle = new Lifecycle();
  const stopListening = io.signals ? lifecycle.listen(io.signals, (error) => earlyOutput(argv, io).interruption(error)) : () => undefined;
  try {
    const code = await Promise.race([parseAndRun(argv, io, lifecycle), lifecycle.interrupted]);
    // Once interrupted, the interruption decides the exit code, whatever the abandoned work returned.
    return lifecycle.silenced ? await lifecycle.interrupted : code;
  } finally {
    stopListening();
  }
}

async function parseAndRun(argv: string[], io: IOStreams, lifecycle: Lifecycle): Promise<number> {
  let exitCode = 0;
  const finish = async (command: Command, work: () => Promise<number>): Promise<void> => {
    try {
      exitCode = await work();
    } catch (error) {
      exitCode = outputFor(command.optsWithGlobals<GlobalOptions>(), io, lifecycle).failure(error);
    } finally {
      await lifecycle.runCleanups();
    }
  };
  const runner: Runner = {
    run: (definition, input, command) =>
      finish(command, async () => {
        const options: unknown = definition.parse(input.flags, input.args);
        return definition.run(options, createDeps(command.optsWithGlobals<GlobalOptions>(), io, lifecycle));
      }),
  };
  try {
    await buildProgram(version, io, runner).parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0 || error.code === "commander.help" || error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      const message = error.message.replace(/^error:\s*/i, "");
      return earlyOutput(argv, io).failure(new HotelError("USAGE", `${message} (run with --help for usage)`));
    }
    return earlyOutput(argv, io).failure(error);
  }
  return exitCode;
}
