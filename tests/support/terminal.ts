import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { assertFreshBuild, BIN, cleanEnv, ROOT } from "./cli.js";

/** Waits for `expect` (a regex source, matched without colour codes) in the output, then types `send`. */
export interface TerminalStep {
  expect: string;
  send: string;
}

export interface TerminalResult {
  /** Exit code; negative for a signal. */
  code: number;
  /** Everything the terminal showed, colour codes removed. */
  output: string;
  /** The step whose text never appeared, or null. */
  failedStep: number | null;
}

/** Keys as a terminal sends them. */
export const KEY = { enter: "\r", down: "\u001b[B", up: "\u001b[A", ctrlC: "\u0003" } as const;

/**
 * The system's python3 when there is one: a version manager's shim on PATH
 * (pyenv's) costs each start 0.4 s of CPU in bash before Python runs, and
 * the driver needs nothing beyond the standard library.
 */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/**
 * Runs the built CLI in a real pseudo-terminal (python3's pty module; node-pty
 * would need an install script) and answers its prompts step by step.
 */
export function runInTerminal(args: string[], steps: TerminalStep[], options: { env?: NodeJS.ProcessEnv; timeoutSec?: number } = {}): TerminalResult {
  assertFreshBuild();
  const spec = { argv: [process.execPath, BIN, ...args], env: options.env ?? cleanEnv({ TERM: "xterm-256color" }), cwd: ROOT, steps, timeoutSec: options.timeoutSec ?? 30 };
  const driver = spawnSync(PYTHON, [path.join(ROOT, "tests", "support", "pty-driver.py")], { input: JSON.stringify(spec), encoding: "utf8", timeout: (spec.timeoutSec + 10) * 1000 });
  if (driver.status !== 0) throw new Error(`the pty driver failed (${driver.status ?? driver.signal}): ${driver.stderr}`);
  return JSON.parse(driver.stdout) as TerminalResult;
}
