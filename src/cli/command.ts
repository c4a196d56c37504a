import type { Hotel } from "../core/hotel.js";
import type { Database, DatabaseOptions } from "../db/database.js";
import type { IOStreams } from "./io.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Output } from "./output.js";
import type { Prompter } from "./prompt.js";

/**
 * A command owns its definition (gh's NewCmdX): name, arguments, flags, help
 * text and examples, a `parse` that binds what Commander parsed to one typed
 * options value (validating flag combinations in one place), and a
 * `run(options, deps)` that does the work. `program.ts` only assembles the
 * definitions; tests call `run` directly or through `main()`, and can check
 * what flags parse to without running anything (see buildProgram's runner).
 *
 * A definition module must stay light to import: `--help` loads every one of
 * them, and must never load Prisma or pg (tests/cli-e2e.test.ts checks).
 * Reach the database through `deps.database()`, and import heavy modules
 * inside `run`.
 */
export interface CommandDefinition<Options, Flags = Record<string, never>> {
  name: string;
  /** One line, shown in `hotel --help`. */
  summary: string;
  /** Positional arguments: `<name>`, `<name...>` or `[name]`, with a description. */
  arguments?: readonly (readonly [name: string, description: string])[];
  flags?: readonly FlagSpec[];
  /** Shown under "Examples:" in the command's --help, each after a `$ `. */
  examples: readonly string[];
  /** Longer help text, shown before the examples. */
  help?: string;
  hidden?: boolean;
  /** Run this subcommand when its group is run alone (`hotel suites`). */
  isDefault?: boolean;
  /** Commander's parsed flags (camelCase keys) and positional arguments -> the options value. */
  parse(flags: Flags, args: readonly Argument[]): Options;
  /** Does the work and resolves to the exit code; failures are thrown as HotelErrors. */
  run(options: Options, deps: Deps): Promise<number>;
}

/** A positional argument's value: a string, or a list for `<name...>`. */
export type Argument = string | string[] | undefined;

export interface FlagSpec {
  /** As Commander spells it: "--tier <tier>", "--force", "-q, --quiet". */
  flags: string;
  description: string;
  default?: string;
  choices?: readonly string[];
  /** Another flag's attribute name that may not be given together with this one. */
  conflicts?: string;
  /** Commander refuses the command without it (exit 64); for values never asked for. */
  required?: boolean;
  /** May be given more than once: the values collect into a list, in order (`--url A --url B`). */
  repeatable?: boolean;
}

/** A command with subcommands only (`hotel suites`, `hotel db`). */
export interface CommandGroup {
  name: string;
  summary: string;
  examples: readonly string[];
  subcommands: readonly AnyCommand[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of definitions of different options types
export type AnyCommand = CommandDefinition<any, any>;

/** The flags every command accepts (program.ts defines them). */
export interface GlobalOptions {
  databaseUrl?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  lockTimeout?: string;
  /** False with --no-input: never prompt. */
  input?: boolean;
  /** --property: the hotel to work on. */
  property?: string;
  /** --actor: who is acting, recorded in every event. */
  actor?: string;
}

/** What a command's `run` may use besides its options (gh's Factory). */
export interface Deps {
  io: IOStreams;
  globals: GlobalOptions;
  /** Rendering of results and failures: --json, colour, quiet. */
  out: Output;
  lifecycle: Lifecycle;
  /** Present only when a person can be asked (see io.canPrompt). */
  prompter?: Prompter;
  /** Opens the database (starting the embedded server if needed); closed on every exit path. */
  database(options?: Omit<DatabaseOptions, "databaseUrl" | "env">): Promise<Database>;
  /** --lock-timeout, else HOTEL_LOCK_TIMEOUT_MS, else the core's default. */
  lockTimeoutMs(): number;
  /** The core's context on an open database: this run's property and actor. */
  hotel(db: Database): Hotel;
  /** Today, from the injected clock, as a calendar day. */
  today(): Date;
}
