import type { Readable, Writable } from "node:stream";
import type { InputStream, OutputStream } from "./io.js";
import { promptCancelled, type Choice, type Prompter, type TextQuestion } from "./prompt.js";

/**
 * The terminal prompter, on @clack/prompts. Chosen over @inquirer/prompts
 * because its current major supports Node 20 (inquirer's needs Node 22), its
 * prompts take their input and output streams (so they follow the injected
 * IOStreams), a cancel (Ctrl-C, Escape) comes back as a value instead of a
 * process-wide signal-exit hook, and it brings three small dependencies with
 * no install scripts. Loaded on the first question only, so a command that
 * asks nothing never loads it.
 */
export function terminalPrompter(io: { stdin: InputStream; stdout: OutputStream }): Prompter {
  // On a terminal these are the process's tty streams (canPrompt checked isTTY).
  const streams = { input: io.stdin as Readable, output: io.stdout as Writable, withGuide: false } as const;
  const load = () => import("@clack/prompts");
  return {
    async select<T>(message: string, choices: Choice<T>[], initial?: T): Promise<T> {
      const clack = await load();
      const options = choices.map((choice) => ({ value: choice.value, label: choice.label, hint: choice.hint, disabled: choice.disabled }));
      const answer = await clack.select({ ...streams, message, options: options as never, initialValue: initial, showInstructions: false });
      if (clack.isCancel(answer)) throw promptCancelled();
      return answer as T;
    },
    async text(message: string, question: TextQuestion = {}): Promise<string> {
      const clack = await load();
      const { initial, validate } = question;
      const answer = await clack.text({
        ...streams,
        message,
        placeholder: initial,
        defaultValue: initial,
        // An empty answer means the default, so that is what gets validated.
        validate: validate && ((value) => validate(value === undefined || value === "" ? (initial ?? "") : value)),
      });
      if (clack.isCancel(answer)) throw promptCancelled();
      return answer;
    },
  };
}
