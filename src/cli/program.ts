import { Command, Option } from "commander";
import type { AnyCommand, Argument, CommandDefinition, CommandGroup } from "./command.js";
import { availabilityCommand } from "./commands/availability.js";
import { bookCommand } from "./commands/book.js";
import { bookingsCommand } from "./commands/bookings.js";
import { changeCommand } from "./commands/change.js";
import { arrivalsCommand, departuresCommand, inhouseCommand } from "./commands/day-lists.js";
import { historyCommand, logCommand } from "./commands/history.js";
import { holdCommand } from "./commands/hold.js";
import { moveCommand } from "./commands/move.js";
import { propertiesCommands } from "./commands/properties.js";
import { cancelCommand, checkinCommand, checkoutCommand, confirmCommand, noshowCommand } from "./commands/transitions.js";
import { checkCommand } from "./commands/check.js";
import { dbCommands } from "./commands/db.js";
import { serveCommand } from "./commands/serve.js";
import { stressCommand } from "./commands/stress.js";
import { stressWorkerCommand } from "./commands/stress-worker.js";
import { suitesCommands } from "./commands/suites.js";
import { tokensCommands } from "./commands/tokens.js";
import type { OutputStream } from "./io.js";

/**
 * The Commander program, assembled from the commands' own definitions.
 * Definitions are light; what a command needs to run (Prisma, pg, the HTTP
 * server) loads inside its run, so `--help` and `--version` never load them.
 */

/** In `hotel --help` order. */
export const COMMANDS: readonly (AnyCommand | CommandGroup)[] = [
  bookCommand,
  holdCommand,
  confirmCommand,
  changeCommand,
  moveCommand,
  checkinCommand,
  checkoutCommand,
  noshowCommand,
  cancelCommand,
  arrivalsCommand,
  departuresCommand,
  inhouseCommand,
  bookingsCommand,
  availabilityCommand,
  historyCommand,
  logCommand,
  suitesCommands,
  propertiesCommands,
  dbCommands,
  stressCommand,
  stressWorkerCommand,
  checkCommand,
  serveCommand,
  tokensCommands,
];

/** What happens when a command's action fires; main.ts runs it, a test may record it instead. */
export interface Runner {
  run(definition: AnyCommand, input: { flags: Record<string, unknown>; args: Argument[] }, command: Command): Promise<void>;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const examples = (...lines: readonly string[]): string => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;

export function buildProgram(version: string, streams: { stdout: OutputStream; stderr: OutputStream }, runner: Runner): Command {
  const program = new Command("hotel")
    .description("Hotel booking administration on PostgreSQL: book, check availability, cancel; never overbooks.")
    .version(version, "-V, --version")
    .option("--database-url <url>", "PostgreSQL URL (default: $DATABASE_URL, else the embedded server under $HOTEL_HOME)")
    .option("--json", "print exactly one JSON document on stdout")
    .option("--no-color", "no colour (also NO_COLOR=1 or TERM=dumb)")
    .option("-q, --quiet", "print only what scripts need")
    .option("-v, --verbose", "debug logging on stderr: lock waits, retries (also DEBUG=hotel)")
    .option("--no-input", "never prompt for a missing value; exit 64 naming the flag instead (also when CI is set)")
    .option("--property <name>", "the hotel to work on (default: $HOTEL_PROPERTY, else main)")
    .option("--actor <name>", "who is acting, recorded with every change (default: $HOTEL_ACTOR, else the OS user)")
    .option("--lock-timeout <ms>", "longest wait for booking locks before giving up with 503 (default 5000, env HOTEL_LOCK_TIMEOUT_MS)")
    // Usage errors become HotelErrors (exit 64, --json aware) in main.ts; the
    // settings must precede .command() calls, which copy them to subcommands.
    .exitOverride()
    .configureOutput({ writeOut: (text) => streams.stdout.write(text), writeErr: (text) => streams.stderr.write(text), outputError: () => undefined })
    .addHelpText(
      "after",
      examples("hotel db seed", "hotel availability --from 2026-12-01 --nights 7", "hotel book --tier standard --check-in 2026-12-01 --nights 2 --guest 'Ada Lovelace'", "hotel stress --n 20"),
    );
  for (const entry of COMMANDS) {
    if ("subcommands" in entry) addGroup(program, entry, runner);
    else addCommand(program, entry, runner);
  }
  return program;
}

function addGroup(parent: Command, group: CommandGroup, runner: Runner): void {
  const command = parent.command(group.name).description(group.summary).addHelpText("after", examples(...group.examples));
  for (const subcommand of group.subcommands) addCommand(command, subcommand, runner);
}

/** One definition as a Commander subcommand of `parent` (created by .command(), so it inherits the settings). */
export function addCommand<O, F>(parent: Command, definition: CommandDefinition<O, F>, runner: Runner): Command {
  const command = parent.command(definition.name, { hidden: definition.hidden, isDefault: definition.isDefault }).description(definition.summary);
  for (const [name, description] of definition.arguments ?? []) command.argument(name, description);
  for (const spec of definition.flags ?? []) {
    const option = new Option(spec.flags, spec.description);
    if (spec.default !== undefined) option.default(spec.default);
    if (spec.choices) option.choices(spec.choices);
    if (spec.conflicts) option.conflicts(spec.conflicts);
    if (spec.required) option.makeOptionMandatory();
    if (spec.repeatable) option.argParser(collect);
    command.addOption(option);
  }
  if (definition.help) command.addHelpText("after", `\n${definition.help}`);
  if (definition.examples.length > 0) command.addHelpText("after", examples(...definition.examples));
  command.action(async (...values: unknown[]) => {
    // Commander passes the positional arguments, then the flags, then the command.
    const flags = values.at(-2) as Record<string, unknown>;
    await runner.run(definition as AnyCommand, { flags, args: values.slice(0, -2) as Argument[] }, command);
  });
  return command;
}
