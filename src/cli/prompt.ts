import { HotelError } from "../core/errors.js";
import { parseDate } from "../core/dates.js";

/**
 * Asking a person for a value a command needs. A capability of the streams
 * (gh's IO.CanPrompt), not of the command: `deps.prompter` exists only when
 * stdin and stdout are a terminal and nothing forbids asking (--json,
 * --no-input, CI); commands never look at the terminal themselves.
 */
export interface Choice<T> {
  value: T;
  label: string;
  /** Shown beside the label, e.g. "6 of 10 free". */
  hint?: string;
  disabled?: boolean;
}

export interface TextQuestion {
  /** Taken when the answer is empty, and shown as a placeholder. */
  initial?: string;
  /** A message saying what is wrong with an answer, or undefined when it is good. */
  validate?(answer: string): string | undefined;
}

export interface Prompter {
  select<T>(message: string, choices: Choice<T>[], initial?: T): Promise<T>;
  /** Free text; never empty unless `initial` is. */
  text(message: string, question?: TextQuestion): Promise<string>;
}

/** What a prompter throws when the person gives up (Ctrl-C, Escape): exit 130, nothing written. */
export const promptCancelled = (): HotelError => new HotelError("INTERRUPTED", "Cancelled at the prompt: nothing was written");

export type Ask = <T>(given: T | undefined, ask: (prompter: Prompter) => Promise<T>) => Promise<T>;

/**
 * The rule for required values: a flag's value when given; else, when the
 * user can be asked, the prompter's answer; else exit 64 naming every missing
 * flag, before any work. `values` maps each flag (as the user types it) to its
 * value; the returned `ask` fills a missing one.
 *
 *   const ask = requireValues(deps.prompter, { "--tier": options.tier });
 *   const tier = await ask(options.tier, (p) => p.select("Tier", choices));
 */
export function requireValues(prompter: Prompter | undefined, values: Record<string, unknown>): Ask {
  const missing = Object.entries(values)
    .filter(([, value]) => value === undefined)
    .map(([flag]) => flag);
  if (missing.length > 0 && prompter === undefined) {
    const names = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}`;
    throw new HotelError("USAGE", `${names} ${missing.length === 1 ? "is" : "are"} required when not running interactively`);
  }
  return async (given, ask) => {
    if (given !== undefined) return given;
    if (prompter === undefined) throw new HotelError("INTERNAL", "asked for a value without a prompter");
    return ask(prompter);
  };
}

/** A calendar day, YYYY-MM-DD, validated as the flags are; an empty answer takes `initial`. */
export function askDate(prompter: Prompter, message: string, initial: string, check?: (date: string) => void): Promise<string> {
  return prompter.text(`${message} (YYYY-MM-DD)`, {
    initial,
    validate: (answer) => {
      try {
        parseDate(answer.trim(), message.toLowerCase());
        check?.(answer.trim());
        return undefined;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    },
  }).then((answer) => answer.trim());
}

/** Runs a core validator on an answer: its message, or undefined when the answer is good. */
export function validWith(validator: (value: string) => unknown): (answer: string) => string | undefined {
  return (answer) => {
    try {
      validator(answer);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
}
