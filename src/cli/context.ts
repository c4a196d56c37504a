import os from "node:os";
import type { Command } from "commander";
import { DEFAULT_PROPERTY, type Hotel } from "../core/hotel.js";
import * as validate from "../core/validate.js";
import { HotelError } from "../core/errors.js";
import { parseCount } from "../core/validate.js";
import { DEFAULT_LOCK_TIMEOUT_MS } from "../core/book.js";
import type { Database, DatabaseOptions } from "../db/database.js";
import { hotelHome } from "../db/embedded.js";
import { describeServerOr } from "../db/url.js";
import { registerCleanup } from "./lifecycle.js";
import { Output } from "./output.js";

export interface GlobalOptions {
  databaseUrl?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  lockTimeout?: string;
  property?: string;
  actor?: string;
}

export interface Context {
  globals: GlobalOptions;
  out: Output;
  /** Opens the database (starting the embedded server if needed); closed on every exit path. */
  database(options?: Omit<DatabaseOptions, "databaseUrl">): Promise<Database>;
  lockTimeoutMs(): number;
  /** The core's context on an open database: the property and the actor of this command. */
  hotel(db: Database): Hotel;
}

/** Names the database a command uses, for messages: host:port or the embedded home; never a password. */
export function describeTarget(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  const url = globals.databaseUrl ?? (env.DATABASE_URL || undefined);
  if (url === undefined) return `the embedded PostgreSQL in ${hotelHome(env)}`;
  return describeServerOr(url, "the configured database");
}

export const outputFor = (globals: GlobalOptions): Output => new Output({ ...globals, server: describeTarget(globals) });

export function createContext(command: Command): Context {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const out = outputFor(globals);
  return {
    globals,
    out,
    async database(options = {}) {
      // Prisma and pg load only for commands that use the database.
      const { openDatabase } = await import("../db/database.js");
      const db = await openDatabase({ ...options, databaseUrl: globals.databaseUrl });
      registerCleanup(() => db.close());
      out.debug(`database: ${db.server}`);
      return db;
    },
    hotel(db) {
      return { prisma: db.prisma, schema: db.schema, property: propertyOf(globals), actor: actorOf(globals) };
    },
    lockTimeoutMs() {
      const raw = globals.lockTimeout ?? process.env.HOTEL_LOCK_TIMEOUT_MS;
      if (raw === undefined || raw === "") return DEFAULT_LOCK_TIMEOUT_MS;
      return parseCount(raw, "lock timeout (ms)", 1, 600_000);
    },
  };
}

/** `--property`, else HOTEL_PROPERTY, else the default property. */
export function propertyOf(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return validate.propertyName(globals.property ?? (env.HOTEL_PROPERTY || DEFAULT_PROPERTY));
}

/** `--actor`, else HOTEL_ACTOR, else the OS user name: who is recorded in the events. */
export function actorOf(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  const fromOs = (): string => {
    try {
      return os.userInfo().username;
    } catch {
      return env.USER || env.LOGNAME || "unknown";
    }
  };
  return validate.actorName(globals.actor ?? (env.HOTEL_ACTOR || fromOs()));
}

export const usage = (message: string): HotelError => new HotelError("USAGE", message);
