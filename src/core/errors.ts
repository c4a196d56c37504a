/**
 * Every failure the product reports is a HotelError with a stable code. The
 * CLI turns codes into exit codes and the HTTP adapter into statuses, each in
 * one place; nothing else decides how a failure looks.
 */
export type ErrorCode =
  | "USAGE"
  | "INVALID_INPUT"
  | "IDEMPOTENCY_MISMATCH"
  | "NOT_FOUND"
  | "NO_AVAILABILITY"
  | "CONFLICT"
  | "INVALID_STATE"
  | "HOLD_EXPIRED"
  | "BUSY"
  | "DB_UNAVAILABLE"
  /** A file of ours cannot be written: disk full or over quota, read-only, no permission, I/O error. */
  | "STORAGE"
  | "CONFIG"
  | "MIGRATION"
  | "INVARIANT_VIOLATED"
  | "INTERRUPTED"
  | "INTERNAL";

export class HotelError extends Error {
  readonly code: ErrorCode;
  /** Seconds after which a BUSY request is worth retrying. */
  readonly retryAfter?: number;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfter?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HotelError";
    this.code = code;
    this.retryAfter = options.retryAfter;
    this.details = options.details;
  }
}

export const invalidInput = (message: string): HotelError => new HotelError("INVALID_INPUT", message);
export const notFound = (message: string): HotelError => new HotelError("NOT_FOUND", message);
