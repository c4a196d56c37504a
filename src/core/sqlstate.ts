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

type ConnectionTrouble = "unreachable" | "lost" | "starved";

const UNREACHABLE_ERRNO = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOENT"]);
const LOST_ERRNO = new Set(["ECONNRESET", "EPIPE"]);

/**
 * "unreachable": no connection, so nothing was sent. "lost": the connection
 * broke with a request in flight, so its fate is unknown. "starved": every
 * connection of the pool stayed busy, so nothing was sent: busy, not down.
 */
function connectionTrouble(error: unknown, depth = 0): ConnectionTrouble | undefined {
  if (!isBag(error) || depth > 6) return undefined;
  const code = typeof error.code === "string" ? error.code : undefined;
  const message = typeof error.message === "string" ? error.message : "";
  // Any failed connect() (a socket directory we may not enter included): nothing was sent.
  if (error.kind === "DatabaseNotReachable" || (code && UNREACHABLE_ERRNO.has(code)) || (code && error.syscall === "connect")) return "unreachable";
  // pg-pool's wait for one of its connections, all busy (Prisma's P2028 for interactive transactions): nothing was sent.
  if (/timeout exceeded when trying to connect/i.test(message)) return "starved";
  if (/connection timeout/i.test(message)) return "unreachable";
  if ((code && LOST_ERRNO.has(code)) || /Connection terminated|server closed the connection|connection error and is not queryable/i.test(message)) return "lost";
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
    prismaCodeOf(error) === "P2028" ||
    troubleOf(error) === "starved"
  );
}

/** Seconds after which a request refused for lack of resources is worth retrying. */
const RETRY_AFTER_S = 5;

/** Class 53: the server ran short of something; the statement failed and wrote nothing. */
const SHORTAGE: Record<string, string> = {
  "53100": "is out of disk space: free space on its disk, then retry",
  "53200": "is out of memory: retry later, or give it more memory",
  "53300": "has no connections left: retry later, or raise max_connections",
  "53400": "hit one of its configured limits: retry later, or raise that limit",
};

/** Class 57 and a read-only server: it is there, but cannot take this work now. */
const NOT_NOW: Record<string, string> = {
  "57P01": "is shutting down",
  "57P02": "crashed and is restarting: retry in a few seconds",
  "57P03": "is starting up or recovering: retry in a few seconds",
  "57P04": "has dropped this database",
  "57P05": "closed the connection after its idle_session_timeout",
  "25006": "is read-only (a standby?): point hotel at the primary",
};

/**
 * Turns any database error that is not a booking outcome into a HotelError.
 * `server` names the server (host:port, never a password) for messages.
 */
export function toHotelError(error: unknown, server = "the database"): HotelError {
  if (error instanceof HotelError) return error;
  const state = sqlStateOf(error);
  const theServer = server === "the database" ? "The database server" : `The database server at ${server}`;
  const options = { cause: error };
  if (state === SQLSTATE.undefinedTable || state === SQLSTATE.undefinedFunction) {
    return new HotelError("CONFIG", `The database at ${server} has no hotel schema: run \`hotel db migrate\``, options);
  }
  if (state === SQLSTATE.insufficientPrivilege) return new HotelError("CONFIG", `The database user lacks a privilege hotel needs at ${server}`, options);
  if (state === "25001") {
    return new HotelError(
      "CONFIG",
      `The database at ${server} runs transactions at another isolation level by default; hotel needs READ COMMITTED: ALTER DATABASE <name> SET default_transaction_isolation = 'read committed'`,
      options,
    );
  }
  if (state?.startsWith("28") || state === "3D000") {
    return new HotelError("DB_UNAVAILABLE", `Cannot log in to the database at ${server} (SQLSTATE ${state}): check the user, password and database name`, options);
  }
  if (state?.startsWith("53")) {
    const what = SHORTAGE[state] ?? "ran short of resources: retry later";
    return new HotelError("BUSY", `${theServer} ${what}; nothing was written (SQLSTATE ${state}: ${reasonOf(error)})`, { retryAfter: RETRY_AFTER_S, cause: error });
  }
  if (state?.startsWith("58") || state?.startsWith("XX")) {
    const what = state.startsWith("58") ? "failed on its own files" : "reported an internal error";
    return new HotelError("DB_UNAVAILABLE", `${theServer} ${what} (SQLSTATE ${state}: ${reasonOf(error)}): check its log and disk`, options);
  }
  if (state !== undefined && NOT_NOW[state]) return new HotelError("DB_UNAVAILABLE", `${theServer} ${NOT_NOW[state]} (SQLSTATE ${state})`, options);
  return fromSystemError(error, server) ?? fromConnection(error, server, state);
}

function fromConnection(error: unknown, server: string, state: string | undefined): HotelError {
  if (isConnectionLost(error)) {
    return new HotelError("DB_UNAVAILABLE", `Database unreachable at ${server}: is PostgreSQL running there?`, { cause: error });
  }
  if (isTimeout(error)) {
    return new HotelError("BUSY", "High load, please retry", { retryAfter: RETRY_AFTER_S, cause: error });
  }
  const reason = reasonOf(error);
  if (/\b(SSL|TLS|certificate)\b/i.test(reason)) return new HotelError("CONFIG", `Secure connection to ${server} failed: ${reason}: check sslmode in the URL`, { cause: error });
  if (/\b(SASL|SCRAM)\b|password must be a string/.test(reason)) {
    return new HotelError("DB_UNAVAILABLE", `Cannot log in to the database at ${server}: ${reason}: check the user and password`, { cause: error });
  }
  return new HotelError("INTERNAL", state ? `Database error ${state}: ${reason}` : reason, { cause: error });
}

/** What a file system errno means for the user, and what to do. */
const FILE_TROUBLE: Record<string, string> = {
  ENOSPC: "no space left on its disk: free some space there, then retry",
  EDQUOT: "disk quota exceeded: free some space or raise the quota, then retry",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "I/O error: check the disk",
  ENAMETOOLONG: "the path is too long",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
};
const NEVER_NETWORK = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO", "ENAMETOOLONG"]);
const READS = new Set(["read", "stat", "lstat", "fstat", "scandir", "opendir", "access", "realpath", "readlink", "statfs"]);

/** A failed file operation of ours (STORAGE), or this process out of file descriptors (BUSY). */
function fromSystemError(error: unknown, server: string): HotelError | undefined {
  if (!isBag(error) || typeof error.code !== "string") return undefined;
  const { code } = error;
  const syscall = typeof error.syscall === "string" ? error.syscall : "";
  if (code === "EMFILE" || code === "ENFILE") {
    return new HotelError("BUSY", `Too many open files to reach ${server} (${code}): retry later, or raise the limit (ulimit -n)`, { retryAfter: RETRY_AFTER_S, cause: error });
  }
  const file = typeof error.path === "string" ? error.path : undefined;
  const fromFiles = NEVER_NETWORK.has(code) || (file !== undefined && syscall !== "connect" && !syscall.startsWith("spawn"));
  if (!FILE_TROUBLE[code] || !fromFiles) return undefined;
  const verb = READS.has(syscall) ? "Cannot read" : "Cannot write";
  return new HotelError("STORAGE", `${verb} ${file ?? "a file"}: ${FILE_TROUBLE[code]}`, { cause: error });
}

/** The useful sentence of an error: PostgreSQL's own message when there is one, not Prisma's preamble. */
function reasonOf(error: unknown): string {
  const meta = isBag(error) && isBag(error.meta) ? error.meta : undefined;
  const adapter = meta && isBag(meta.driverAdapterError) ? meta.driverAdapterError : undefined;
  // PrismaClient wraps the adapter's error in meta; src/core/raw.ts gets it bare.
  const bare = isBag(error) && error.name === "DriverAdapterError" && isBag(error.cause) ? error.cause : undefined;
  const cause = adapter && isBag(adapter.cause) ? adapter.cause : bare;
  if (typeof cause?.originalMessage === "string") return cause.originalMessage;
  if (typeof cause?.reason === "string") return cause.reason;
  if (!(error instanceof Error)) return String(error);
  const lines = error.message.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !/^Invalid `.*` invocation/.test(line));
  const last = lines.at(-1) ?? error.name;
  // A raw query's failure that never reached PostgreSQL: "Raw query failed. Code: `N/A`. Message: `...`".
  return /^Raw query failed\. Code: `[^`]*`\. Message: `(.*)`$/.exec(last)?.[1] ?? last;
}
