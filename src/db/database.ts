import { setTimeout as sleep } from "node:timers/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { registerRawPath } from "../core/raw.js";
import { toHotelError } from "../core/sqlstate.js";
import { sendCancelRequest } from "./cancel.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { migrate } from "./migrate.js";
import { describeServer, describeServerOr, parseDatabaseUrl, withSessionSettings } from "./url.js";

export type { PrismaClient };

export interface DatabaseOptions {
  /** `--database-url`; else DATABASE_URL; else the embedded server. */
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** Work in this schema instead of the URL's default (stress scratch runs). */
  schema?: string;
  /** Connections in the pool; size it for the concurrency you run. */
  poolSize?: number;
  connectTimeoutMs?: number;
  /** How long the embedded server's migration on start waits for another migrator. */
  migrateLockWaitMs?: number;
}

export interface Database {
  prisma: PrismaClient;
  /** Connection URL (holds the password); it sets nothing for the session. */
  url: string;
  /** Where the data is, safe to print: host:port or "embedded (<dir>)". */
  server: string;
  embedded: boolean;
  /** The embedded server's HOTEL_HOME (for `hotel serve`'s watchdog); undefined with a database URL. */
  home?: string;
  /** The schema of hotel's tables when not the connection's default (stress scratch runs). */
  schema?: string;
  /** A plain node-pg pool on the same settings, for the migrator and audits. */
  newClient(): pg.Client;
  close(): Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * What hotel's sessions show in pg_stat_activity (and in the migrator's "held
 * by" message) unless the URL names another: a startup parameter of its own,
 * which PgBouncer passes on. node-pg lets the URL's value win.
 */
const APPLICATION_NAME = "hotel";

/**
 * A URL whose sessions see only `schema` (a stress run's scratch schema), for
 * bookkeeping SQL that names tables without their schema. It sets
 * search_path for the session, through libpq `options`: direct connections
 * only. PgBouncer 1.18 refuses that parameter ("unsupported startup
 * parameter: options"), and in transaction mode no session setting would
 * follow the client from one transaction to the next anyway
 * (tests/support/pgbouncer.ts).
 */
export function sessionUrl(url: string, schema?: string): string {
  if (!schema) return url;
  // The scratch schema alone: its functions are created with this path
  // (SET search_path FROM CURRENT), and must never see the live schema's.
  return withSessionSettings(url, { search_path: `"${schema}"` });
}

export function resolveDatabaseUrl(options: DatabaseOptions): string | undefined {
  const env = options.env ?? process.env;
  const raw = options.databaseUrl ?? (env.DATABASE_URL === "" ? undefined : env.DATABASE_URL);
  if (raw !== undefined) parseDatabaseUrl(raw);
  return raw;
}

export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const explicit = resolveDatabaseUrl(options);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let baseUrl: string;
  let server: string;
  let release: () => Promise<void> = async () => undefined;
  let home: string | undefined;
  if (explicit !== undefined) {
    baseUrl = explicit;
    server = describeServer(explicit);
  } else {
    const { acquireEmbeddedServer, hotelHome } = await import("./embedded.js");
    home = hotelHome(options.env ?? process.env);
    const lease = await acquireEmbeddedServer({ home });
    baseUrl = lease.url;
    server = `embedded PostgreSQL (${home})`;
    release = () => lease.release();
    try {
      await migrateUrl(baseUrl, connectTimeoutMs, server, options.migrateLockWaitMs);
    } catch (error) {
      await release();
      throw toHotelError(error, server);
    }
  }
  // Nothing is set for the session, so a pooler in transaction mode serves
  // these connections: each transaction sets what it needs (READ COMMITTED,
  // lock_timeout), and the core names tables with their schema (`schema`
  // qualifies Prisma's model queries; raw SQL uses sqlName()).
  const url = baseUrl;
  const clientConfig = { connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: APPLICATION_NAME };
  // Our own pool (not one the adapter builds) so that close() can see which
  // connections are busy and cancel their queries: closing a socket alone
  // does not stop a backend that is waiting for a lock.
  const pool = new pg.Pool({ ...clientConfig, max: options.poolSize ?? 10 });
  const busy = new Set<pg.ClientBase>();
  pool.on("acquire", (client) => busy.add(client));
  pool.on("release", (_error, client) => busy.delete(client));
  pool.on("error", () => undefined); // an idle connection died (server restart): the pool replaces it
  const adapter = new PrismaPg(pool, options.schema ? { schema: options.schema } : undefined);
  const prisma = new PrismaClient({ adapter });
  registerRawPath(prisma, () => adapter.connect());
  let closed = false;
  return {
    prisma,
    url,
    server,
    embedded: explicit === undefined,
    home,
    schema: options.schema,
    newClient() {
      const client = new pg.Client(clientConfig);
      busy.add(client);
      client.on("end", () => busy.delete(client));
      client.on("error", () => undefined);
      return client;
    },
    async close() {
      if (closed) return;
      closed = true;
      await cancelQueries([...busy], (client) => busy.has(client));
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await release();
    },
  };
}

/** How long close() lets cancelled queries come back before it closes their connections. */
const CANCEL_GRACE_MS = 1000;

/**
 * Asks the server to cancel whatever the given connections are running, so
 * that an interrupted command rolls back now rather than when its lock wait
 * ends, then closes those still busy. A pooler forwards a cancel on its own
 * connection to the server, after it has answered ours: closing the client
 * before the cancelled query comes back could lose the cancel, and the server
 * would let the query wait on (a backend waiting for a lock does not notice a
 * closed socket).
 */
async function cancelQueries(clients: pg.ClientBase[], stillBusy: (client: pg.ClientBase) => boolean): Promise<void> {
  await Promise.all(clients.map((client) => sendCancelRequest(client as pg.ClientBase & Parameters<typeof sendCancelRequest>[0])));
  const deadline = Date.now() + CANCEL_GRACE_MS;
  while (clients.some(stillBusy) && Date.now() < deadline) await sleep(10);
  // end(), not release(): the owner of a pooled client releases it itself
  // when its query fails, and a second release throws.
  await Promise.all(clients.filter(stillBusy).map((client) => (client as pg.Client).end().catch(() => undefined)));
}

async function migrateUrl(url: string, connectTimeoutMs: number, server: string, lockWaitMs: number | undefined): Promise<string[]> {
  return runConnected(plainClient(url, connectTimeoutMs), server, (client) => migrate(client, { lockWaitMs }));
}

/** A node-pg client on `url` with hotel's application_name, not yet connected. */
const plainClient = (url: string, connectTimeoutMs: number): pg.Client =>
  new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: APPLICATION_NAME });

/** Runs `work` with a connected node-pg client of the Database, always ending it. */
export const withClient = <T>(db: Database, work: (client: pg.Client) => Promise<T>): Promise<T> => runConnected(db.newClient(), db.server, work);

/** Runs `work` with a new node-pg connection to `url`, always ending it. */
export const withConnection = <T>(url: string, work: (client: pg.Client) => Promise<T>, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<T> =>
  runConnected(plainClient(url, connectTimeoutMs), describeServerOr(url, "the database"), work);

/** A new connected node-pg client on `url`, for a caller that keeps one connection for several steps; end() it. */
export async function openConnection(url: string, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<pg.Client> {
  const client = plainClient(url, connectTimeoutMs);
  await connect(client, describeServerOr(url, "the database"));
  return client;
}

async function connect(client: pg.Client, server: string): Promise<void> {
  // A backend ended from elsewhere (a stress teardown, an admin) fails the query in hand; without a listener it would crash the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw toHotelError(error, server);
  }
}

async function runConnected<T>(client: pg.Client, server: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  await connect(client, server);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
