import { HotelError, type ErrorCode } from "../core/errors.js";
import { toHotelError } from "../core/sqlstate.js";
import { redactSecrets } from "../db/url.js";

/**
 * The only place where a failure becomes an HTTP status, as output.ts's EXIT
 * is for exit codes. Error bodies are `{"error": message, "code": CODE}`, plus
 * `field` on a 400 that one request field caused and `retryAfter` on a 503
 * (also sent as the Retry-After header).
 */

/** Codes of the HTTP layer itself; everything else is a core ErrorCode. */
export type HttpOnlyCode = "METHOD_NOT_ALLOWED" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "SHUTTING_DOWN" | "UNAUTHORIZED" | "FORBIDDEN";
export type HttpErrorCode = ErrorCode | HttpOnlyCode;

export const HTTP_STATUS: Record<ErrorCode, number> = {
  USAGE: 400,
  INVALID_INPUT: 400,
  // The key was used for another request: the IETF Idempotency-Key draft's 422.
  IDEMPOTENCY_MISMATCH: 422,
  NOT_FOUND: 404,
  NO_AVAILABILITY: 409,
  CONFLICT: 409,
  INVALID_STATE: 409,
  HOLD_EXPIRED: 409,
  BUSY: 503,
  DB_UNAVAILABLE: 503,
  STORAGE: 503,
  CONFIG: 500,
  MIGRATION: 500,
  INVARIANT_VIOLATED: 500,
  INTERRUPTED: 500,
  INTERNAL: 500,
};

/** Seconds a client should wait after a 503 that carries no figure of its own. */
export const DEFAULT_RETRY_AFTER_S = 5;

export interface HttpErrorOptions {
  field?: string;
  retryAfter?: number;
  headers?: Record<string, string>;
  /** Close the connection after the response (the request body was not read). */
  closeConnection?: boolean;
  /** What went wrong, for the server log only (a 500's client message is generic). */
  detail?: string;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly options: HttpErrorOptions;

  constructor(status: number, code: HttpErrorCode, message: string, options: HttpErrorOptions = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.options = options;
  }

  body(): Record<string, unknown> {
    return {
      error: this.message,
      code: this.code,
      ...(this.options.field === undefined ? {} : { field: this.options.field }),
      ...(this.options.retryAfter === undefined ? {} : { retryAfter: this.options.retryAfter }),
    };
  }

  headers(): Record<string, string> {
    return {
      ...this.options.headers,
      ...(this.options.retryAfter === undefined ? {} : { "Retry-After": String(this.options.retryAfter) }),
      ...(this.options.closeConnection ? { Connection: "close" } : {}),
    };
  }
}

const oneLine = (text: string): string => redactSecrets(text.replace(/\s*\n\s*/g, " ").trim());

/** Any thrown value as an HttpError; 5xx other than 503 never show their cause to the client. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const failure = toHotelError(error);
  const status = HTTP_STATUS[failure.code];
  const message = oneLine(failure.message);
  if (status === 503) {
    return new HttpError(status, failure.code, message, { retryAfter: failure.retryAfter ?? DEFAULT_RETRY_AFTER_S });
  }
  if (status >= 500) {
    return new HttpError(status, failure.code, "Internal server error: see the server log", { detail: message });
  }
  return new HttpError(status, failure.code, message);
}

/**
 * Runs a validation step for one request field: an input error it throws
 * becomes a 400 naming that field, so a client knows what to fix.
 */
export function forField<T>(field: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    throw fieldError(field, error);
  }
}

const INPUT_CODES: readonly ErrorCode[] = ["INVALID_INPUT", "USAGE", "NOT_FOUND"];

/**
 * A core input failure (INVALID_INPUT, USAGE, or an unknown name: NOT_FOUND)
 * blamed on one field: 400, whatever the code's usual status. Other errors
 * pass through unchanged.
 */
export function fieldError(field: string, error: unknown, codes: readonly ErrorCode[] = INPUT_CODES): unknown {
  if (error instanceof HotelError && codes.includes(error.code)) {
    return new HttpError(400, error.code, oneLine(error.message), { field });
  }
  return error;
}

export const invalidField = (field: string, message: string): HttpError => new HttpError(400, "INVALID_INPUT", message, { field });
