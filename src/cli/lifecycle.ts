import { HotelError } from "../core/errors.js";
import type { SignalSource } from "./io.js";

/**
 * Cleanup on every way out of one run of the CLI: normal exit, error, SIGINT
 * (exit 130) and SIGTERM (exit 143). Work in flight is abandoned; closing its
 * connection makes PostgreSQL roll the transaction back, so nothing is
 * half-written. Each run has its own Lifecycle, so runs in one process (the
 * in-process tests) share no cleanups, handlers or silencing.
 */

export type Cleanup = () => Promise<void>;
export type StopSignal = "SIGINT" | "SIGTERM";
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export class Lifecycle {
  private readonly cleanups = new Set<Cleanup>();
  private deferred?: (signal: StopSignal) => void;
  private interruption?: { error: HotelError; code: number };
  private settle: (code: number) => void = () => undefined;
  private settled = false;
  /** Resolves with the exit code once an interruption has been cleaned up and reported. */
  readonly interrupted: Promise<number>;

  constructor() {
    this.interrupted = new Promise((resolve) => (this.settle = resolve));
  }

  /**
   * Set once a signal interrupts the run: whatever the abandoned work still
   * tries to print is dropped, so stdout keeps exactly one document (the
   * interruption's).
   */
  get silenced(): boolean {
    return this.interruption !== undefined;
  }

  registerCleanup(cleanup: Cleanup): () => void {
    this.cleanups.add(cleanup);
    return () => this.cleanups.delete(cleanup);
  }

  async runCleanups(): Promise<void> {
    const pending = [...this.cleanups];
    this.cleanups.clear();
    // Reverse order: the database closes before the embedded server stops.
    for (const cleanup of pending.reverse()) {
      await cleanup().catch(() => undefined);
    }
  }

  /**
   * For a command that stops gracefully on its own (`serve`): while `handler`
   * is set, SIGINT/SIGTERM go to it instead of abandoning the work. Returns a
   * function that restores the default.
   */
  deferSignals(handler: (signal: StopSignal) => void): () => void {
    this.deferred = handler;
    return () => {
      if (this.deferred === handler) this.deferred = undefined;
    };
  }

  /** Honours the signals of `source` until the returned function is called; `report` renders the interruption. */
  listen(source: SignalSource, report: (error: HotelError) => void): () => void {
    const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
      const handler = (): void => this.onSignal(signal, report);
      source.on(signal, handler);
      return () => source.off(signal, handler);
    });
    return () => handlers.forEach((off) => off());
  }

  private onSignal(signal: StopSignal, report: (error: HotelError) => void): void {
    if (this.deferred) {
      this.deferred(signal);
      return;
    }
    const finish = (): void => {
      if (this.settled || !this.interruption) return;
      this.settled = true;
      report(this.interruption.error);
      this.settle(this.interruption.code);
    };
    if (this.interruption) {
      // A second Ctrl-C while cleaning up: give up waiting.
      finish();
      return;
    }
    this.interruption = { error: new HotelError("INTERRUPTED", `Interrupted by ${signal}: work in flight was rolled back`), code: SIGNAL_EXIT[signal] };
    void this.runCleanups().finally(finish);
  }
}
