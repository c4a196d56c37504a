import { randomBytes } from "node:crypto";
import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { HotelError } from "../../core/errors.js";
import { binaries } from "./binaries.js";
import { reachableBinaries } from "./binary-cache.js";
import { errnoOf, layout, type Paths } from "./home.js";
import { withLock } from "./lock.js";
import { isAlive, postmaster, processStart } from "./processes.js";
import { initdb, settle, startServer, stopServer, type Log } from "./server.js";
import { isRoot, serverUser, type ServerUser } from "./server-user.js";
import { inHome, isNoSpace, requireFreeSpace, storageError } from "./storage.js";

/**
 * The embedded default: a real PostgreSQL server run by the tool itself, shared
 * by parallel invocations and stopped by the last one. Plain files coordinate:
 * `run/users/<pid>-<n>` is one file per lease, `run/lock` serialises start and
 * stop, and `pg/postmaster.pid` says whether a server is up. The server runs
 * detached, so it outlives the invocation that started it while others use it;
 * leases of killed invocations are pruned by the next release.
 */

export interface EmbeddedLease {
  /** Connection URL over the Unix socket. It holds the password: never print it. */
  readonly url: string;
  /** Idempotent. Stops the server unless another live invocation holds a lease, or keepServer. */
  release(options?: { keepServer?: boolean }): Promise<void>;
}

export function embeddedServerRunning(home: string): boolean {
  return postmaster(layout(home, isRoot())) !== null;
}

export async function stopEmbeddedServer(home: string): Promise<boolean> {
  const p = layout(home, isRoot());
  if (!existsSync(p.run)) return false;
  return withLockUnlessFull(p, () => stopServer(p, () => undefined));
}

/**
 * For stopping: on a full disk the lock cannot be written, by anyone, so
 * nothing can start meanwhile; go on without it rather than leave a server running.
 */
function withLockUnlessFull<T>(p: Paths, fn: () => Promise<T>): Promise<T> {
  return withLock(p, fn).catch((error: unknown) => {
    if (isNoSpace(error)) return fn();
    throw storageError(error, p) ?? error;
  });
}

async function ensurePassword(p: Paths): Promise<string> {
  const existing = await fs.readFile(p.password, "utf8").catch((error: unknown) => {
    if (errnoOf(error) !== "ENOENT") throw error;
    return "";
  });
  if (existing.trim()) return existing.trim();
  if (initialised(p)) throw new HotelError("CONFIG", `${p.password} is missing, so the cluster in ${p.data} cannot be reached: restore that file, or remove ${p.home} to start afresh`);
  const password = randomBytes(24).toString("hex");
  await fs.writeFile(p.password, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Counts leases whose process still lives, dropping the files of dead ones. */
async function liveUsers(p: Paths): Promise<number> {
  let live = 0;
  for (const name of await fs.readdir(p.users)) {
    const file = path.join(p.users, name);
    const start = await fs.readFile(file, "utf8").catch(() => null);
    if (start !== null && isAlive(Number(name.split("-")[0]), start.trim())) live++;
    else await fs.rm(file, { force: true });
  }
  return live;
}

/** State lives in private fields behind a getter, so console.log, util.inspect and JSON.stringify of a lease never show the password. */
class Lease implements EmbeddedLease {
  readonly #url: string;
  readonly #release: (keepServer: boolean) => Promise<void>;
  #released: Promise<void> | undefined;

  constructor(url: string, release: (keepServer: boolean) => Promise<void>) {
    this.#url = url;
    this.#release = release;
  }

  get url(): string {
    return this.#url;
  }

  release(options: { keepServer?: boolean } = {}): Promise<void> {
    this.#released ??= this.#release(options.keepServer ?? false);
    return this.#released;
  }
}

/** User files of this process's unreleased leases. */
const heldUserFiles = new Set<string>();
let userSeq = 0;

function removeHeldUserFiles(): void {
  // Synchronous ('exit' runs no async work) and best effort: a later release prunes files of dead pids anyway.
  for (const file of heldUserFiles) {
    try {
      unlinkSync(file);
    } catch {
      // already gone, or the home was removed
    }
  }
}

/** Registers this process as a user of the server; the file is removed on release or at exit. */
function registerUser(p: Paths): string {
  const userFile = path.join(p.users, `${process.pid}-${++userSeq}`);
  writeFileSync(userFile, processStart(process.pid) ?? "");
  heldUserFiles.add(userFile);
  if (!process.listeners("exit").includes(removeHeldUserFiles)) process.on("exit", removeHeldUserFiles);
  return userFile;
}

async function unregisterUser(userFile: string): Promise<void> {
  heldUserFiles.delete(userFile);
  await fs.rm(userFile, { force: true });
}

const initialised = (p: Paths): boolean => existsSync(path.join(p.data, "PG_VERSION"));

async function makeHome(p: Paths): Promise<void> {
  try {
    for (const dir of [p.home, p.run, p.users]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (caught) {
    const error = errnoOf(caught) === "ENOENT" ? await whyNoDir(p.home, caught) : caught;
    if (errnoOf(error) === "ENOTDIR" || errnoOf(error) === "EEXIST") {
      throw new HotelError("CONFIG", `Cannot use ${p.home} as the hotel home (HOTEL_HOME): it is not a directory`, { cause: error });
    }
    throw storageError(error, p) ?? error;
  }
}

/** A recursive mkdir says ENOENT whatever stopped it (EROFS, EACCES): one plain mkdir below the deepest existing parent says what. */
async function whyNoDir(dir: string, caught: unknown): Promise<unknown> {
  let missing = dir;
  while (!existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
  return fs.mkdir(missing).then(
    () => caught,
    (error: unknown) => error,
  );
}

/** Under the lock: a server of ours is up and ready once this returns (made first if the home has none). */
async function ensureRunning(p: Paths, owner: ServerUser | undefined, password: string, log: Log): Promise<void> {
  await settle(p);
  if (postmaster(p)) return;
  const runnable = await reachableBinaries(await binaries(), owner, log);
  if (!initialised(p)) await initdb(p, runnable, owner, password, log);
  await startServer(p, runnable, owner, log);
}

export async function acquireEmbeddedServer(opts: { home: string; onLog?: Log }): Promise<EmbeddedLease> {
  const log = opts.onLog ?? (() => undefined);
  const owner = serverUser();
  const p = layout(opts.home, owner !== undefined);
  // Loaded first: on a platform without binaries, nothing is written.
  await binaries();
  await makeHome(p);
  return inHome(p, () =>
    withLock(p, async () => {
      if (!initialised(p)) await requireFreeSpace(p);
      const password = await ensurePassword(p);
      const userFile = registerUser(p);
      try {
        await ensureRunning(p, owner, password, log);
      } catch (error) {
        await unregisterUser(userFile);
        throw error;
      }
      const host = encodeURIComponent(p.sock).replace(/%2F/gi, "/");
      return new Lease(`postgresql://postgres:${password}@localhost/postgres?host=${host}`, (keepServer) => releaseUser(p, userFile, keepServer, log));
    }),
  );
}

/** Drops the lease; the last live user stops the server. */
function releaseUser(p: Paths, userFile: string, keepServer: boolean, log: Log): Promise<void> {
  const release = async (): Promise<void> => {
    await unregisterUser(userFile);
    if (!keepServer && (await liveUsers(p)) === 0) await stopServer(p, log);
  };
  return withLockUnlessFull(p, release);
}

/**
 * For a long-running user (`hotel serve`) whose server died under it: starts
 * it again (PostgreSQL's crash recovery keeps every committed transaction).
 * Resolves to whether it had to.
 */
export async function reviveEmbeddedServer(home: string, onLog?: Log): Promise<boolean> {
  const owner = serverUser();
  const p = layout(home, owner !== undefined);
  return inHome(p, () =>
    withLock(p, async () => {
      await settle(p);
      if (postmaster(p)) return false;
      if (!initialised(p)) throw new HotelError("DB_UNAVAILABLE", `The embedded PostgreSQL's data in ${p.data} is gone: restart hotel serve`);
      await ensureRunning(p, owner, "", onLog ?? (() => undefined));
      return true;
    }),
  );
}
