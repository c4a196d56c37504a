import { spawn } from "node:child_process";
import { closeSync, openSync, unlinkSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HotelError } from "../../core/errors.js";
import type { Binaries } from "./binaries.js";
import { errnoOf, PORT, uniqueName, type Paths } from "./home.js";
import { postmaster, processStart } from "./processes.js";
import type { ServerUser } from "./server-user.js";
import { noSpaceIn } from "./storage.js";

/**
 * initdb, start and stop of the server itself. The callers hold run/lock.
 *
 * Not `pg_ctl`: its start and stop poll postmaster.pid every 100 ms, which
 * measured 2-4 times slower than the 10 ms polling below (start ~120 ms vs
 * ~50 ms, stop ~110 ms vs ~30 ms), and every command pays both.
 */

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export type Log = (line: string) => void;

/** Only what the server needs: PG* variables in the caller's environment must not redirect it. */
const serverEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", ...(process.env.TZ ? { TZ: process.env.TZ } : {}) });

/**
 * The server never gets the data directory's path: children start with it as
 * their cwd and `-D /proc/self/cwd`, which needs no path walk. Under root the
 * server user may be unable to walk to the home (below /root, mode 0700), and
 * a long or odd path (initdb crashes on ~1,000 bytes) never reaches
 * PostgreSQL. It chdirs into its data dir and its children inherit that cwd,
 * so the name holds in every server process.
 */
const DATA_ARG = "/proc/self/cwd";

const spawnAs = (owner: ServerUser | undefined) => (owner ? { uid: owner.uid, gid: owner.gid } : {});

/** Made aside and renamed into place, so a failed or interrupted initdb never leaves a half-made cluster in pg/. */
export async function initdb(p: Paths, bin: Binaries, owner: ServerUser | undefined, password: string, log: Log): Promise<void> {
  const staging = `${p.data}.init`;
  await fs.rm(staging, { recursive: true, force: true });
  try {
    await initdbIn(staging, p, bin, owner, password, log);
    await fs.rename(staging, p.data);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function initdbIn(staging: string, p: Paths, bin: Binaries, owner: ServerUser | undefined, password: string, log: Log): Promise<void> {
  await fs.mkdir(staging, { mode: 0o700 });
  // initdb reads the password through an inherited fd (/proc/self/fd/3): the file is unlinked at once and needs no reachable path.
  const pwFile = uniqueName(path.join(p.run, "pw"), "initdb");
  await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) await Promise.all([staging, pwFile].map((f) => fs.chown(f, owner.uid, owner.gid)));
  const pwFd = openSync(pwFile, "r");
  unlinkSync(pwFile);
  log(`initialising PostgreSQL in ${p.data}`);
  const args = ["-D", DATA_ARG, "-U", "postgres", "--pwfile=/proc/self/fd/3", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"];
  const child = spawn(bin.initdb, args, { cwd: staging, env: serverEnv(), stdio: ["ignore", "pipe", "pipe", pwFd], ...spawnAs(owner) });
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
  if (code !== 0) throw noSpaceIn(output, p) ?? new Error(`initdb failed (${code}): ${output.trim().split("\n").slice(-5).join("\n")}`);
}

/** The short socket dir is made and removed under the lock, so a stop never removes one that a start is using. */
async function socketDir(p: Paths, owner: ServerUser | undefined, create: boolean): Promise<void> {
  if (p.sock === p.run) return;
  if (!create) return fs.rmdir(p.sock).catch(() => undefined);
  await fs.mkdir(p.sock, { mode: 0o700 }).catch((error: unknown) => {
    if (errnoOf(error) !== "EEXIST") throw error;
  });
  // /tmp is shared: refuse a directory (or link) someone else planted there.
  const st = await fs.lstat(p.sock);
  if (!st.isDirectory() || ![process.getuid?.(), owner?.uid].includes(st.uid)) throw new HotelError("CONFIG", `Refusing to use ${p.sock} for PostgreSQL's socket: it is not a directory owned by this user.`);
  await fs.chmod(p.sock, 0o700);
  if (owner) await fs.chown(p.sock, owner.uid, owner.gid);
}

export async function startServer(p: Paths, bin: Binaries, owner: ServerUser | undefined, log: Log): Promise<void> {
  await socketDir(p, owner, true);
  // We hold the lock and no postmaster of ours is up, so these are left by a crash;
  // PostgreSQL would still honour them if their pid had been recycled.
  for (const stale of [path.join(p.data, "postmaster.pid"), path.join(p.sock, `.s.PGSQL.${PORT}.lock`)]) await fs.rm(stale, { force: true });
  // Opened here and inherited, so under root the server user needs no access to the log dir.
  await fs.mkdir(path.dirname(p.log), { recursive: true, mode: 0o700 });
  const logFd = openSync(p.log, "a", 0o600);
  log(`starting PostgreSQL (log: ${p.log})`);
  // syncfs: after a crash, recovery first syncs the data directory; one syncfs() took ~0.1 s where fsync file by file took ~2 s.
  const args = ["-D", DATA_ARG, "-k", p.sock, "-c", "listen_addresses=", "-c", "recovery_init_sync_method=syncfs", "-p", String(PORT)];
  const child = spawn(bin.postgres, args, { cwd: p.data, env: serverEnv(), detached: true, stdio: ["ignore", logFd, logFd], ...spawnAs(owner) });
  closeSync(logFd);
  let exited: string | undefined;
  child.once("error", (error) => (exited = error.message));
  child.once("exit", (status, signal) => (exited ??= `exit ${status ?? signal ?? "?"}`));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let pm = postmaster(p); !(pm && pm.pid === child.pid && pm.status === "ready"); pm = postmaster(p)) {
    if (exited !== undefined || Date.now() > deadline) {
      if (exited === undefined) child.kill("SIGQUIT");
      await socketDir(p, owner, false);
      const tail = await logTail(p);
      throw noSpaceIn(tail, p) ?? new HotelError("DB_UNAVAILABLE", `The embedded PostgreSQL did not start (${exited ?? "timed out"}). End of ${p.log}:\n${tail}`);
    }
    await sleep(10);
  }
  child.unref();
}

export const logTail = async (p: Paths, lines = 8): Promise<string> => (await fs.readFile(p.log, "utf8").catch(() => "")).trim().split("\n").slice(-lines).join("\n");

/** Waits for a postmaster caught on its way up or down (by an invocation killed mid-start or mid-stop) to settle. */
export async function settle(p: Paths): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let pm = postmaster(p); pm && pm.status !== "ready"; pm = postmaster(p)) {
    if (Date.now() > deadline) throw new HotelError("DB_UNAVAILABLE", `The embedded PostgreSQL in ${p.data} is stuck in state "${pm.status}": see ${p.log}`);
    await sleep(20);
  }
}

export async function stopServer(p: Paths, log: Log): Promise<boolean> {
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
    // The postmaster removes its pid file just before it exits: stopped means the process is gone too.
    const stopped = (): boolean => postmaster(p) === null && processStart(pm.pid) === null;
    while (!stopped() && Date.now() < deadline) await sleep(10);
    if (stopped()) return socketDir(p, undefined, false).then(() => true);
  }
  throw new HotelError("DB_UNAVAILABLE", `The embedded PostgreSQL (pid ${pm.pid}) did not stop: see ${p.log}`);
}
