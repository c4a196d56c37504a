import { HotelError } from "../core/errors.js";

/** Replaces the password of any postgres URL inside `text` with `***`. */
export function redactSecrets(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@");
}

/**
 * Checks a database URL before anything connects with it, so that a typo is a
 * configuration error (exit 78) rather than a confusing connection failure.
 */
export function parseDatabaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HotelError("CONFIG", `Malformed database URL "${redactSecrets(raw)}": expected postgresql://user:password@host:port/database`);
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new HotelError(
      "CONFIG",
      `Unsupported database URL scheme "${url.protocol}": expected postgresql://user:password@host:port/database`,
    );
  }
  if (url.port !== "" && !/^\d+$/.test(url.port)) {
    throw new HotelError("CONFIG", `Malformed database URL: bad port "${url.port}"`);
  }
  return url;
}

/** `host:port` of a URL for messages; the socket directory for socket URLs. */
export function describeServer(raw: string): string {
  const url = parseDatabaseUrl(raw);
  const socket = url.searchParams.get("host");
  if (socket?.startsWith("/")) return `socket ${socket}`;
  return `${url.hostname || "localhost"}:${url.port || "5432"}`;
}

/** describeServer() for messages about a URL that may not even parse. */
export function describeServerOr(raw: string, fallback: string): string {
  try {
    return describeServer(raw);
  } catch {
    return fallback;
  }
}

/**
 * Adds session settings to a URL, keeping any the user gave. application_name
 * travels as a startup parameter of its own, which PgBouncer passes on to the
 * server; anything else goes into libpq `options` (`-c name=value`), which
 * PgBouncer 1.18 refuses ("unsupported startup parameter: options") unless it
 * is told to ignore it, so use those on direct connections only. node-pg lets
 * options from the connection string override the config object, so they
 * have to travel inside the URL.
 */
export function withSessionSettings(raw: string, settings: Record<string, string>): string {
  const url = parseDatabaseUrl(raw);
  const { application_name: applicationName, ...rest } = settings;
  if (applicationName !== undefined) url.searchParams.set("application_name", applicationName);
  const ours = Object.entries(rest)
    .map(([name, value]) => `-c ${name}=${value.replace(/([\\ ])/g, "\\$1")}`)
    .join(" ");
  if (ours === "") return url.toString();
  const existing = url.searchParams.get("options");
  url.searchParams.set("options", existing ? `${existing} ${ours}` : ours);
  return url.toString();
}

/** The same server and credentials, another database. */
export function withDatabase(raw: string, database: string): string {
  const url = parseDatabaseUrl(raw);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
