import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main.js";
import type { IOStreams, OutputStream } from "../../src/cli/io.js";
import type { Choice, Prompter, TextQuestion } from "../../src/cli/prompt.js";
import { promptCancelled } from "../../src/cli/prompt.js";

/**
 * The CLI run in this process, as `main(argv, io)` with buffers for streams:
 * for tests of a command's logic (output, exit code, rows), which need no
 * process of their own. Spawn the built CLI (support/cli.ts) only for what a
 * process is needed for: signals, start-up, the embedded default, terminals.
 */

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  /** The whole environment of the run (nothing is inherited from the test's). */
  env?: NodeJS.ProcessEnv;
  /** stdin, stdout and stderr claim to be a terminal (80 columns). */
  tty?: boolean;
  prompter?: Prompter;
  now?: Date;
  /** Send "SIGINT"/"SIGTERM" on it to interrupt the run. */
  signals?: EventEmitter;
}

function buffer(tty: boolean, onWrite: () => void = () => undefined): OutputStream & { text: string } {
  return {
    text: "",
    isTTY: tty,
    columns: tty ? 80 : undefined,
    write(chunk: string) {
      this.text += chunk;
      onWrite();
      return true;
    },
  };
}

function launch(args: string[], options: InProcessOptions, onWrite?: () => void): { stdout: { text: string }; stderr: { text: string }; done: Promise<InProcessResult> } {
  const tty = options.tty ?? false;
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  const stdout = buffer(tty, onWrite);
  const stderr = buffer(tty, onWrite);
  const io: IOStreams = {
    stdin,
    stdout,
    stderr,
    env: options.env ?? {},
    now: options.now ? () => options.now as Date : undefined,
    signals: options.signals,
    prompter: options.prompter,
  };
  const done = main(args, io).then((code) => ({ code, stdout: stdout.text, stderr: stderr.text }));
  return { stdout, stderr, done };
}

export function runInProcess(args: string[], options: InProcessOptions = {}): Promise<InProcessResult> {
  return launch(args, options).done;
}

/** A long-running command (`serve`) started in this process: watch what it prints, signal it, await its end. */
export interface StartedInProcess {
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr has printed something matching `pattern`; rejects if the run ends first. */
  printed(pattern: RegExp): Promise<void>;
  /** Emit "SIGINT"/"SIGTERM" on it to stop the run. */
  signals: EventEmitter;
  done: Promise<InProcessResult>;
}

export function startInProcess(args: string[], options: Omit<InProcessOptions, "signals"> = {}): StartedInProcess {
  const signals = new EventEmitter();
  const waiters = new Set<() => void>();
  const run = launch(args, { ...options, signals }, () => waiters.forEach((check) => check()));
  const printed = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(run.stdout.text + run.stderr.text)) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
      void run.done.then((result) => reject(new Error(`the run ended (${result.code}) before printing ${pattern}: ${result.stderr}`)));
    });
  return { stdout: () => run.stdout.text, stderr: () => run.stderr.text, printed, signals, done: run.done };
}

/** The answer that cancels a prompt, as Ctrl-C does. */
export const CANCEL = Symbol("cancel");

export interface Asked {
  message: string;
  /** For a select: the labels shown, and which were disabled. */
  choices?: { label: string; disabled: boolean }[];
  initial?: string;
  /** Validation messages given to rejected answers, in order. */
  rejected: string[];
}

/**
 * A prompter that answers from a script, as a person would type: a select's
 * answer is a choice's value, a text's is the typed text ("" takes the
 * default); an answer the question rejects is recorded and the next one is
 * tried. Records every question for assertions.
 */
export function scriptedPrompter(answers: (string | typeof CANCEL)[]): Prompter & { asked: Asked[] } {
  const queue = [...answers];
  const asked: Asked[] = [];
  const next = (message: string): string => {
    const answer = queue.shift();
    if (answer === undefined) throw new Error(`no scripted answer left for "${message}"`);
    if (answer === CANCEL) throw promptCancelled();
    return answer;
  };
  return {
    asked,
    async select<T>(message: string, choices: Choice<T>[]): Promise<T> {
      asked.push({ message, choices: choices.map((c) => ({ label: c.label, disabled: c.disabled === true })), rejected: [] });
      const answer = next(message);
      const choice = choices.find((c) => String(c.value) === answer && !c.disabled);
      if (!choice) throw new Error(`"${answer}" is not a choice of "${message}"`);
      return choice.value;
    },
    async text(message: string, question: TextQuestion = {}): Promise<string> {
      const entry: Asked = { message, initial: question.initial, rejected: [] };
      asked.push(entry);
      for (;;) {
        const typed = next(message);
        const answer = typed === "" ? (question.initial ?? "") : typed;
        const problem = question.validate?.(answer);
        if (problem === undefined) return answer;
        entry.rejected.push(problem);
      }
    },
  };
}

export { EventEmitter };
