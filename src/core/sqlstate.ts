import { HotelError } from "./errors.js";

/**
 * The one place where database failures become product errors, by SQLSTATE.
 * Prisma wraps the same PostgreSQL error differently depending on the call
 * (P2034, P2039, P2010 or a bare DriverAdapterError), so the code is dug out
 * of whichever wrapper carries it rather than trusting Prisma's own codes.
 */

export const SQLSTATE = {
  serializationFailure: "40001",
  deadlockDetected: "40P01",
  exclusionViolation: "23P01",
  uniqueViolation: "23505",
  checkViolation: "23514",
  lockNotAvailable: "55P03",
  queryCanceled: "57014",
  undefinedTable: "42P01",
  undefinedFunction: "42883",
  invalidParameter: "22023",
  insufficientPrivilege: "42501",
  tooManyConnections: "53300",
} as const;

type Bag = Record<string, unknown>;
const isBag = (value: unknown): value is Bag => typeof value === "object" && value !== null;
const looksLikeSqlState = (value: unknown): value is string =>
  typeof value === "string" && /^[0-9A-Z]{5}$/.test(value) && !/^P\d{4}$/.test(value);

/** The PostgreSQL SQLSTATE behind an error from pg or Prisma, if any. */
export function sqlStateOf(error: unknown, depth = 0): string | undefined {
  if (!isBag(error) || depth > 6) return undefined;
  for (const key of ["originalCode", "code", "sqlState"]) {
    if (looksLikeSqlState(error[key])) return error[key];
  }
  const meta = isBag(error.meta) ? error.meta : undefined;
  const adapter = meta && isBag(meta.driverAdapterError) ? meta.driverAdapterError : undefined;
  return sqlStateOf(adapter, depth + 1) ?? sqlStateOf(error.cause, depth + 1);
}

/** Prisma's own code (P2028 ...) if the error is a Prisma error. */
export function prismaCodeOf(error: unknown): string | undefined {
  return isBag(error) && typeof error.code === "string" && /^P\d{4}$/.test(error.code) ? error.code : undefined;
}

type ConnectionTrouble = "unreachable" | "lost";

const UNREACHABLE_ERRNO = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOENT"]);
const LOST_ERRNO = new Set(["ECONNRESET", "EPIPE"]);

/**
 * "unreachable": no connection, so nothing was sent. "lost": the connection
 * broke with a request in flight, so its fate is unknown.
 */
function connectionTrouble(error: unknown, depth = 0): ConnectionTrouble | undefined {
  if (!isBag(error) || depth > 6) return undefined;
  const code = typeof error.code === "string" ? error.code : undefined;
  const message = typeof error.message === "string" ? error.message : "";
  if (error.kind === "DatabaseNotReachable" || (code && UNREACHABLE_ERRNO.has(code))) return "unreachable";
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) return "unreachable";
  if ((code && LOST_ERRNO.has(code)) || /Connection terminated|server closed the connection/i.test(message)) return "lost";
  const meta = isBag(error.meta) ? error.meta : undefined;
  return connectionTrouble(meta?.driverAdapterError, depth + 1) ?? connectionTrouble(error.cause, depth + 1);
}

function troubleOf(error: unknown): ConnectionTrouble | undefined {
  const state = sqlStateOf(error);
  if (state === "57P03" || state === "08001" || state === "08004") return "unreachable";
  if (state?.startsWith("08") || state?.startsWith("57P")) return "lost";
  return connectionTrouble(error);
}

/** No connection could be made: nothing was sent. */
export const isUnreachable = (error: unknown): boolean => troubleOf(error) === "unreachable";

/**
 * Any connection trouble, including a connection that broke mid-request
 * (server restart, killed backend): whether that request committed is
 * unknown, so only one with an idempotency key may be retried safely.
 */
export const isConnectionLost = (error: unknown): boolean => troubleOf(error) !== undefined;

/** Conflicts worth retrying: the transaction lost a race and wrote nothing. */
export function isRetryableConflict(error: unknown): boolean {
  const state = sqlStateOf(error);
  return (
    state === SQLSTATE.serializationFailure ||
    state === SQLSTATE.deadlockDetected ||
    state === SQLSTATE.exclusionViolation
  );
}

/** Waiting ran out: a lock, a statement or an interactive transaction took too long. */
export function isTimeout(error: unknown): boolean {
  const state = sqlStateOf(error);
  return (
    state === SQLSTATE.lockNotAvailable ||
    state === SQLSTATE.queryCanceled ||
    state === SQLSTATE.tooManyConnections ||
    prismaCodeOf(error) === "P2028"
  );
}

/**
 * Turns any database error that is not a booking outcome into a HotelError.
 * `server` names the server (host:port, never a password) for messages.
 */
export function toHotelError(error: unknown, server = "the database"): HotelError {
  if (error instanceof HotelError) return error;
  const state = sqlStateOf(error);
  if (state === SQLSTATE.undefinedTable || state === SQLSTATE.undefinedFunction) {
    return new HotelError("CONFIG", `The database at ${server} has no hotel schema: run \`hotel db migrate\``, { cause: error });
  }
  if (state === SQLSTATE.insufficientPrivilege) {
    return new HotelError("CONFIG", `The database user lacks a privilege hotel needs at ${server}`, { cause: error });
  }
  if (state?.startsWith("28") || state === "3D000") {
    return new HotelError("DB_UNAVAILABLE", `Cannot log in to the database at ${server} (SQLSTATE ${state}): check the user, password and database name`, { cause: error });
  }
  if (isConnectionLost(error)) {
    return new HotelError("DB_UNAVAILABLE", `Database unreachable at ${server}: is PostgreSQL running there?`, { cause: error });
  }
  if (isTimeout(error)) {
    return new HotelError("BUSY", "High load, please retry", { retryAfter: 5, cause: error });
  }
  const reason = reasonOf(error);
  return new HotelError("INTERNAL", state ? `Database error ${state}: ${reason}` : reason, { cause: error });
}

/** The useful sentence of an error: PostgreSQL's own message when there is one, not Prisma's preamble. */
function reasonOf(error: unknown): string {
  const meta = isBag(error) && isBag(error.meta) ? error.meta : undefined;
  const adapter = meta && isBag(meta.driverAdapterError) ? meta.driverAdapterError : undefined;
  const cause = adapter && isBag(adapter.cause) ? adapter.cause : undefined;
  if (typeof cause?.originalMessage === "string") return cause.originalMessage;
  if (!(error instanceof Error)) return String(error);
  const lines = error.message.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !/^Invalid `.*` invocation/.test(line));
  return lines.at(-1) ?? error.name;
}
