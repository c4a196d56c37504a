import { HotelError } from "../core/errors.js";
import { Output } from "./output.js";

/**
 * Cleanup on every way out: normal exit, error, SIGINT (exit 130) and SIGTERM
 * (exit 143). Work in flight is abandoned; closing its connection makes
 * PostgreSQL roll the transaction back, so nothing is half-written.
 */

type Cleanup = () => Promise<void>;
const cleanups = new Set<Cleanup>();
let interruption: { signal: NodeJS.Signals; code: number } | undefined;
let onInterrupt: ((error: HotelError, code: number) => void) | undefined;

export function registerCleanup(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export async function runCleanups(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  // Reverse order: the database closes before the embedded server stops.
  for (const cleanup of pending.reverse()) {
    await cleanup().catch(() => undefined);
  }
}

export const interrupted = (): boolean => interruption !== undefined;

let deferred: ((signal: "SIGINT" | "SIGTERM") => void) | undefined;

/**
 * For a command that stops gracefully on its own (`serve`): while `handler`
 * is set, SIGINT/SIGTERM go to it instead of abandoning the work. Returns a
 * function that restores the default.
 */
export function deferSignals(handler: (signal: "SIGINT" | "SIGTERM") => void): () => void {
  deferred = handler;
  return () => {
    if (deferred === handler) deferred = undefined;
  };
}

/** Installs the handlers once; `report` renders the interruption before exit. */
export function handleSignals(report: (error: HotelError, code: number) => void): void {
  onInterrupt = report;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(signal, () => {
      if (deferred) {
        deferred(signal);
        return;
      }
      if (interruption) {
        // A second Ctrl-C while cleaning up: give up waiting.
        process.exit(interruption.code);
      }
      interruption = { signal, code };
      Output.silenced = true;
      const error = new HotelError("INTERRUPTED", `Interrupted by ${signal}: work in flight was rolled back`);
      void runCleanups().finally(() => {
        onInterrupt?.(error, code);
        process.exit(code);
      });
    });
  }
}
