import { Chalk, type ChalkInstance } from "chalk";
import { HotelError, type ErrorCode } from "../core/errors.js";
import { toHotelError } from "../core/sqlstate.js";
import { redactSecrets } from "../db/url.js";
import type { OutputStream } from "./io.js";

/** Exit codes (README "Exit codes"); the only place a failure becomes a number. */
export const EXIT: Record<ErrorCode, number> = {
  INVARIANT_VIOLATED: 1,
  NO_AVAILABILITY: 3,
  CONFLICT: 3,
  INVALID_STATE: 3,
  HOLD_EXPIRED: 3,
  NOT_FOUND: 4,
  USAGE: 64,
  INVALID_INPUT: 65,
  IDEMPOTENCY_MISMATCH: 65,
  DB_UNAVAILABLE: 69,
  INTERNAL: 70,
  STORAGE: 73,
  BUSY: 75,
  CONFIG: 78,
  MIGRATION: 78,
  INTERRUPTED: 130,
};

export interface OutputOptions {
  /** Where the data is, for error messages (host:port, never a password). */
  server?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export interface Streams {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

/** Whether the run was interrupted: then only the interruption's report is printed. */
export interface Gate {
  readonly silenced: boolean;
}

const OPEN: Gate = { silenced: false };

/**
 * Human vs --json rendering. With --json stdout carries exactly one JSON
 * document and nothing else; human text goes to stdout, errors and progress
 * to stderr. Colour only on a TTY, never with NO_COLOR, TERM=dumb or --no-color.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly color: ChalkInstance;
  readonly interactive: boolean;
  private readonly streams: Streams;
  private readonly server?: string;
  private readonly gate: Gate;

  /**
   * `gate` is the run's lifecycle: once a signal interrupts the run, whatever
   * the abandoned work still tries to print is dropped, so stdout keeps
   * exactly one document (the interruption's, written with `interruption()`).
   */
  constructor(options: OutputOptions, streams: Streams = { stdout: process.stdout, stderr: process.stderr, env: process.env }, gate: Gate = OPEN) {
    this.streams = streams;
    this.gate = gate;
    this.server = options.server;
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    const env = streams.env;
    this.verbose = (options.verbose ?? false) || /(^|,)hotel(,|$|:)/.test(env.DEBUG ?? "");
    // no-color.org: NO_COLOR disables colour when set to anything but "".
    const colorAllowed =
      options.color !== false && !this.json && !env.NO_COLOR && env.TERM !== "dumb" && streams.stdout.isTTY === true;
    this.color = new Chalk({ level: colorAllowed ? 1 : 0 });
    // A terminal of zero width (some CI ptys) makes ora's redraw loop forever.
    this.interactive = streams.stderr.isTTY === true && (streams.stderr.columns ?? 0) > 0 && !this.json && !this.quiet;
  }

  /** A successful result: the JSON document, or the human text (unless --quiet). */
  result(document: unknown, human: () => string): void {
    if (this.gate.silenced) return;
    if (this.json) {
      this.streams.stdout.write(`${JSON.stringify(document)}\n`);
    } else if (!this.quiet) {
      const text = human();
      if (text !== "") this.streams.stdout.write(`${text}\n`);
    }
  }

  /** Always printed in human mode, even with --quiet: the answer a script needs. */
  essential(document: unknown, human: string): void {
    if (this.gate.silenced) return;
    if (this.json) this.streams.stdout.write(`${JSON.stringify(document)}\n`);
    else this.streams.stdout.write(`${human}\n`);
  }

  /** A line on stderr for humans (never with --json or --quiet). */
  note(text: string): void {
    if (!this.gate.silenced && !this.json && !this.quiet) this.streams.stderr.write(`${text}\n`);
  }

  /** Debug logging (--verbose or DEBUG=hotel): stderr, secrets redacted. */
  debug(text: string): void {
    if (this.verbose) this.streams.stderr.write(`hotel: ${redactSecrets(text)}\n`);
  }

  /**
   * Renders a failure and returns its exit code. `document` overrides the
   * JSON shape (book outcomes carry "outcome" and "status").
   */
  failure(error: unknown, document?: Record<string, unknown>): number {
    const failure = toHotelError(error, this.server);
    if (this.gate.silenced) return EXIT[failure.code];
    return this.render(failure, document);
  }

  /** The one report of an interruption, printed even though output is silenced. */
  interruption(error: HotelError): void {
    this.render(error);
  }

  private render(failure: HotelError, document?: Record<string, unknown>): number {
    const message = redactSecrets(oneLine(failure.message));
    const code = EXIT[failure.code];
    if (this.json) {
      const body = { code: failure.code, message, ...(failure.retryAfter === undefined ? {} : { retryAfter: failure.retryAfter }) };
      this.streams.stdout.write(`${JSON.stringify({ ...document, error: body })}\n`);
    } else {
      const hint = failure.code === "INTERNAL" ? " (this is a bug: please report it with the command you ran, run with --verbose for details)" : "";
      this.streams.stderr.write(`${this.color.red("error:")} ${message}${hint}\n`);
    }
    if (failure.code === "INTERNAL" && this.verbose && failure.cause instanceof Error && failure.cause.stack) {
      this.streams.stderr.write(`${redactSecrets(failure.cause.stack)}\n`);
    }
    return code;
  }
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim();

export { HotelError };
