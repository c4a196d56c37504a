import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { toHotelError } from "../core/sqlstate.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { migrate } from "./migrate.js";
import { describeServer, parseDatabaseUrl, withSessionSettings } from "./url.js";

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
}

export interface Database {
  prisma: PrismaClient;
  /** Connection URL with the session settings applied (holds the password). */
  url: string;
  /** Where the data is, safe to print: host:port or "embedded (<dir>)". */
  server: string;
  embedded: boolean;
  /** A plain node-pg pool on the same settings, for the migrator and audits. */
  newClient(): pg.Client;
  close(): Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Every connection runs at READ COMMITTED whatever the server's default, since
 * the booking core depends on it (see hotel_book() in the migrations), and
 * with the scratch schema first on the search path when there is one: Prisma's
 * `schema` option qualifies model queries only, raw SQL follows search_path.
 */
export function sessionUrl(url: string, schema?: string): string {
  const settings: Record<string, string> = { default_transaction_isolation: "read committed" };
  if (schema) settings.search_path = `"${schema}",public`;
  return withSessionSettings(url, settings);
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
  if (explicit !== undefined) {
    baseUrl = explicit;
    server = describeServer(explicit);
  } else {
    const { acquireEmbeddedServer, hotelHome } = await import("./embedded.js");
    const home = hotelHome(options.env ?? process.env);
    const lease = await acquireEmbeddedServer({ home });
    baseUrl = lease.url;
    server = `embedded PostgreSQL (${home})`;
    release = () => lease.release();
    try {
      await migrateUrl(sessionUrl(baseUrl), connectTimeoutMs);
    } catch (error) {
      await release();
      throw toHotelError(error, server);
    }
  }
  const url = sessionUrl(baseUrl, options.schema);
  const poolConfig: pg.PoolConfig = {
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
  };
  const adapter = new PrismaPg(poolConfig, options.schema ? { schema: options.schema } : undefined);
  const prisma = new PrismaClient({ adapter });
  let closed = false;
  return {
    prisma,
    url,
    server,
    embedded: explicit === undefined,
    newClient: () => new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs }),
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect().catch(() => undefined);
      await release();
    },
  };
}

async function migrateUrl(url: string, connectTimeoutMs: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  await client.connect();
  try {
    return await migrate(client);
  } finally {
    await client.end();
  }
}

/** Runs `work` with a connected node-pg client, always ending it. */
export async function withClient<T>(db: Database, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = db.newClient();
  try {
    await client.connect();
  } catch (error) {
    throw toHotelError(error, db.server);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
