import type { Prompter } from "./prompt.js";

/** What a command may write to: a terminal, a pipe, or a test's buffer. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width; 0 or missing when unknown. */
  columns?: number;
}

export interface InputStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

/** Where SIGINT/SIGTERM come from: the process, or an EventEmitter in a test. */
export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

/**
 * Everything a run of the CLI touches outside itself (gh's IOStreams): the
 * three streams, the environment, the clock and the signals. `main()` takes
 * one, so a test runs the CLI in-process on buffers of its own.
 */
export interface IOStreams {
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  /** The clock, for "today" (default: the machine's). */
  now?: () => Date;
  /** SIGINT/SIGTERM to honour; none in a test unless it sends its own. */
  signals?: SignalSource;
  /** A prompter to use instead of the terminal one (tests drive prompts with it). */
  prompter?: Prompter;
}

export function processIO(): IOStreams {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process };
}

/**
 * gh's CanPrompt: ask for a missing value only when a person is at a terminal
 * on both ends, and nobody said not to (--json, --no-input, CI).
 */
export function canPrompt(io: IOStreams, globals: { json?: boolean; input?: boolean }): boolean {
  if (globals.json === true || globals.input === false) return false;
  if ((io.env.CI ?? "") !== "") return false;
  return io.stdin.isTTY === true && io.stdout.isTTY === true;
}
