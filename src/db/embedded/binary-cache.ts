import { createHash } from "node:crypto";
import { realpathSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { HotelError } from "../../core/errors.js";
import type { Binaries } from "./binaries.js";
import { uniqueName } from "./home.js";
import { processStart } from "./processes.js";
import type { Log } from "./server.js";
import { canTraverse, type ServerUser } from "./server-user.js";

/**
 * As root, the server runs as the `postgres` OS user, who must be able to walk
 * to its own binaries. A clone in /root (mode 0700), or any private directory,
 * hides them: then the server runs from a copy of the package's native tree,
 * made once per package version in a root-owned directory others may enter
 * (HOTEL_CACHE_DIR, default /var/cache/hotel). The copy is made aside and
 * renamed into place, so it is complete or absent; on reuse it must still be
 * root's and writable by root alone, or it is made again.
 */

const DEFAULT_CACHE_DIR = "/var/cache/hotel";

export async function reachableBinaries(bin: Binaries, owner: ServerUser | undefined, log: Log, env: NodeJS.ProcessEnv = process.env): Promise<Binaries> {
  if (!owner || canTraverse(owner, realpathSync(path.dirname(bin.postgres)))) return bin;
  const native = path.resolve(path.dirname(bin.postgres), "..");
  const root = path.resolve(env.HOTEL_CACHE_DIR || DEFAULT_CACHE_DIR);
  const copy = await cachedCopy(native, root, owner, log);
  return { initdb: path.join(copy, "bin", "initdb"), postgres: path.join(copy, "bin", "postgres") };
}

/** One name per package version and build, so an upgrade never runs an old copy. */
async function copyName(native: string): Promise<string> {
  const { version } = JSON.parse(await fs.readFile(path.join(native, "..", "package.json"), "utf8")) as { version: string };
  const build = createHash("sha256").update(`${version} ${statSync(path.join(native, "bin", "postgres")).size}`).digest("hex").slice(0, 12);
  return `postgresql-${version}-${build}`;
}

async function cachedCopy(native: string, root: string, owner: ServerUser, log: Log): Promise<string> {
  await trustedCacheRoot(root, owner);
  const dir = path.join(root, await copyName(native));
  if (await isTrustedCopy(dir)) return dir;
  log(`copying PostgreSQL to ${dir}: the ${owner.name} user cannot reach ${native}`);
  const staging = uniqueName(dir, "copy");
  try {
    await fs.cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await normaliseModes(staging);
    // Something untrusted in the way is moved aside; a trusted copy that another
    // invocation finished meanwhile is used as it is (it may be running).
    if ((await fs.lstat(dir).catch(() => undefined)) && !(await isTrustedCopy(dir))) await fs.rename(dir, uniqueName(dir, "untrusted"));
    await fs.rename(staging, dir).catch(async (error: unknown) => {
      if (!(await isTrustedCopy(dir))) throw error;
    });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
    await removeLeftovers(root, path.basename(dir));
  }
  if (!(await isTrustedCopy(dir))) throw new HotelError("CONFIG", `The copy of PostgreSQL in ${dir} is not root's alone after it was made: check ${root}.`);
  return dir;
}

/** Root's, not a symlink, writable by root alone, and enterable by everyone. */
async function isRootsAlone(file: string, kind: "dir" | "file"): Promise<boolean> {
  const st = await fs.lstat(file).catch(() => undefined);
  if (!st || (kind === "dir" ? !st.isDirectory() : !st.isFile())) return false;
  return st.uid === 0 && (st.mode & 0o022) === 0 && (st.mode & 0o005) === 0o005;
}

async function isTrustedCopy(dir: string): Promise<boolean> {
  const dirs = await Promise.all([dir, path.join(dir, "bin"), path.join(dir, "lib")].map((d) => isRootsAlone(d, "dir")));
  const files = await Promise.all(["initdb", "postgres"].map((f) => isRootsAlone(path.join(dir, "bin", f), "file")));
  return [...dirs, ...files].every(Boolean);
}

/**
 * Made if missing (enterable by everyone whatever the umask); it and every
 * directory above it must be root's and writable by root alone (or sticky,
 * as /tmp is), or someone else could swap the binaries root hands to the server.
 */
async function trustedCacheRoot(root: string, owner: ServerUser): Promise<void> {
  const made = await fs.mkdir(root, { recursive: true, mode: 0o755 });
  if (made !== undefined) await fs.chmod(root, 0o755);
  const real = realpathSync(root);
  for (let at = real; ; at = path.dirname(at)) {
    const st = await fs.stat(at);
    const sticky = (st.mode & 0o1000) !== 0 && at !== real;
    if (st.uid !== 0 || ((st.mode & 0o022) !== 0 && !sticky)) {
      throw new HotelError("CONFIG", `Refusing to keep PostgreSQL's binaries in ${root}: ${at} is not writable by root alone. Set HOTEL_CACHE_DIR to a directory that is, or install hotel outside a private directory.`);
    }
    if (at === path.dirname(at)) break;
  }
  if (!canTraverse(owner, real)) {
    throw new HotelError("CONFIG", `The ${owner.name} user cannot enter ${root} (HOTEL_CACHE_DIR): make it and its parents enterable (chmod o+x), or choose another directory.`);
  }
}

/** Directories 0755, files 0755 or 0644: the server user may read and run them, only root may change them. */
async function normaliseModes(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const at = path.join(dir, entry.name);
    if (entry.isDirectory()) await normaliseModes(at);
    else if (entry.isFile()) await fs.chmod(at, ((await fs.stat(at)).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

/** Copies moved aside as untrusted, and stagings of invocations killed mid-copy. */
async function removeLeftovers(root: string, name: string): Promise<void> {
  for (const entry of await fs.readdir(root).catch(() => [])) {
    const pid = Number(entry.split(".").at(-2));
    const stale = entry.startsWith(`${name}.untrusted.`) || (entry.startsWith(`${name}.copy.`) && pid !== process.pid && processStart(pid) === null);
    if (stale) await fs.rm(path.join(root, entry), { recursive: true, force: true });
  }
}
