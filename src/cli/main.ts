import { CommanderError } from "commander";
import { HotelError } from "../core/errors.js";
import { handleSignals, interrupted, runCleanups } from "./lifecycle.js";
import { outputFor } from "./context.js";
import { Output } from "./output.js";
import { buildProgram } from "./program.js";

declare const HOTEL_VERSION: string | undefined;
const version = typeof HOTEL_VERSION === "string" ? HOTEL_VERSION : "0.0.0-dev";

/** Flags that decide how failures look, read before Commander has parsed anything. */
function earlyOutput(argv: string[]): Output {
  return new Output({ json: argv.includes("--json"), color: !argv.includes("--no-color"), quiet: argv.includes("--quiet") || argv.includes("-q") });
}

/** Runs the CLI and resolves to the exit code; never throws. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let exitCode = 0;
  handleSignals((error, code) => {
    earlyOutput(argv).interruption(error);
    exitCode = code;
  });
  const program = buildProgram(version, {
    async execute(load, args) {
      const command = args.at(-1) as import("commander").Command;
      try {
        const run = await load();
        exitCode = await run(...(args as never[]));
      } catch (error) {
        if (interrupted()) return;
        exitCode = outputFor(command.optsWithGlobals()).failure(error);
      } finally {
        await runCleanups();
      }
    },
  });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0 || error.code === "commander.help" || error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      const message = error.message.replace(/^error:\s*/i, "");
      return earlyOutput(argv).failure(new HotelError("USAGE", `${message} (run with --help for usage)`));
    }
    return earlyOutput(argv).failure(error);
  }
  return exitCode;
}
