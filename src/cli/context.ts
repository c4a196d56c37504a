import { HotelError } from "../core/errors.js";
import os from "node:os";
import { today } from "../core/dates.js";
import { DEFAULT_PROPERTY } from "../core/hotel.js";
import * as validate from "../core/validate.js";
import { parseCount } from "../core/validate.js";
import { DEFAULT_LOCK_TIMEOUT_MS } from "../core/book.js";
import { hotelHome } from "../db/embedded.js";
import { describeServerOr } from "../db/url.js";
import type { Deps, GlobalOptions } from "./command.js";
import { canPrompt, type IOStreams } from "./io.js";
import type { Lifecycle } from "./lifecycle.js";
import { Output } from "./output.js";
import { terminalPrompter } from "./prompt-terminal.js";

export type { GlobalOptions };

/** Names the database a command uses, for messages: host:port or the embedded home; never a password. */
export function describeTarget(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  const url = globals.databaseUrl ?? (env.DATABASE_URL || undefined);
  if (url === undefined) return `the embedded PostgreSQL in ${hotelHome(env)}`;
  return describeServerOr(url, "the configured database");
}

export const outputFor = (globals: GlobalOptions, io: IOStreams, lifecycle?: Lifecycle): Output =>
  new Output({ ...globals, server: describeTarget(globals, io.env) }, io, lifecycle);

/** The dependencies of one command's run: built from the global flags and the run's streams. */
export function createDeps(globals: GlobalOptions, io: IOStreams, lifecycle: Lifecycle): Deps {
  const out = outputFor(globals, io, lifecycle);
  return {
    io,
    globals,
    out,
    lifecycle,
    prompter: canPrompt(io, globals) ? (io.prompter ?? terminalPrompter(io)) : undefined,
    async database(options = {}) {
      // Prisma and pg load only for commands that use the database.
      const { openDatabase } = await import("../db/database.js");
      const db = await openDatabase({ ...options, databaseUrl: globals.databaseUrl, env: io.env });
      lifecycle.registerCleanup(() => db.close());
      out.debug(`database: ${db.server}`);
      return db;
    },
    lockTimeoutMs() {
      const raw = globals.lockTimeout ?? io.env.HOTEL_LOCK_TIMEOUT_MS;
      if (raw === undefined || raw === "") return DEFAULT_LOCK_TIMEOUT_MS;
      return parseCount(raw, "lock timeout (ms)", 1, 600_000);
    },
    hotel(db) {
      return { prisma: db.prisma, schema: db.schema, property: propertyOf(globals, io.env), actor: actorOf(globals, io.env) };
    },
    today: () => today(io.now?.() ?? new Date()),
  };
}

/** `--property`, else HOTEL_PROPERTY, else the default property. */
export function propertyOf(globals: GlobalOptions, env: NodeJS.ProcessEnv): string {
  return validate.propertyName(globals.property ?? (env.HOTEL_PROPERTY || DEFAULT_PROPERTY));
}

/** `--actor`, else HOTEL_ACTOR, else the OS user name: who is recorded in the events. */
export function actorOf(globals: GlobalOptions, env: NodeJS.ProcessEnv): string {
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
