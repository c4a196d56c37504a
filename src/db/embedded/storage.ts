import { existsSync, readFileSync, realpathSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { HotelError } from "../../core/errors.js";
import { errnoOf, type Paths } from "./home.js";

/**
 * The embedded server's files live on the user's disk, which can fill up, be
 * read-only or belong to someone else. Each such failure becomes one STORAGE
 * error naming the home, the disk and what to do, never "a bug".
 */

/** A fresh cluster takes ~40 MB (16 MB of it the first WAL segment); the next segment needs 16 MB more. */
export const FRESH_CLUSTER_BYTES = 60 * 1024 * 1024;

const MB = 1024 * 1024;
const STORAGE_ERRNO = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EIO", "ENAMETOOLONG"]);

export const isNoSpace = (error: unknown): boolean => ["ENOSPC", "EDQUOT"].includes(errnoOf(error) ?? "");

/** "tmpfs on /mnt/small": the file system holding `file`, from the longest matching mount point. */
export function diskOf(file: string): string {
  let at = path.resolve(file);
  for (;;) {
    try {
      at = realpathSync(at);
      break;
    } catch {
      if (at === path.dirname(at)) break;
      at = path.dirname(at);
    }
  }
  let best = { source: "", mount: "" };
  try {
    for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
      const [source = "", mount = ""] = line.split(" ").map((field) => field.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
      const inside = mount === "/" || at === mount || at.startsWith(`${mount}/`);
      if (inside && mount.length >= best.mount.length) best = { source, mount };
    }
  } catch {
    return "its disk";
  }
  return best.mount ? `${best.source} on ${best.mount}` : "its disk";
}

function whoAmI(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}

/** The STORAGE error for a failed file operation in the home, or undefined if `error` is not one. */
export function storageError(error: unknown, p: Paths): HotelError | undefined {
  const code = errnoOf(error);
  if (code === undefined || !STORAGE_ERRNO.has(code)) return undefined;
  const file = (error as NodeJS.ErrnoException).path ?? p.home;
  const home = `${p.home} (HOTEL_HOME)`;
  // A file that could not be created: the directory is what lacks the permission.
  const denied = existsSync(file) ? file : path.dirname(file);
  const message: Record<string, string> = {
    ENOSPC: `No space left on ${diskOf(file)}, which holds ${home}: free some space there, then retry; nothing was written`,
    EDQUOT: `Disk quota exceeded on ${diskOf(file)}, which holds ${home}: free some space or raise the quota, then retry; nothing was written`,
    EROFS: `${home} is on a read-only file system (${diskOf(file)}): make it writable, or set HOTEL_HOME to a directory that is`,
    EACCES: `${home} is not writable by ${whoAmI()} (permission denied on ${denied}): make it writable, or set HOTEL_HOME to a directory that is`,
    EIO: `I/O error on ${diskOf(file)} at ${file}: check that disk (dmesg), then retry`,
    ENAMETOOLONG: `${home} is too long a path: set HOTEL_HOME to a shorter one`,
  };
  return new HotelError("STORAGE", message[code] ?? message.EACCES ?? "", { cause: error });
}

/** Runs `fn`, turning a failed file operation in the home into its STORAGE error. */
export async function inHome<T>(p: Paths, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw storageError(error, p) ?? error;
  }
}

/** Before a first initdb: refuse early, with the figures, rather than leave a cluster that ran out of room. */
export async function requireFreeSpace(p: Paths): Promise<void> {
  const { bavail, bsize } = await fs.statfs(p.home);
  const free = bavail * bsize;
  if (free >= FRESH_CLUSTER_BYTES) return;
  throw new HotelError(
    "STORAGE",
    `${p.home} (HOTEL_HOME) needs about ${FRESH_CLUSTER_BYTES / MB} MB free for a new database, but ${diskOf(p.home)} has ${(free / MB).toFixed(1)} MB: free some space there, or set HOTEL_HOME to a directory on another disk`,
  );
}

/** initdb and the server report a full disk in their output, not by errno. */
export function noSpaceIn(output: string, p: Paths): HotelError | undefined {
  if (!/No space left on device|Disk quota exceeded/i.test(output)) return undefined;
  return new HotelError("STORAGE", `No space left on ${diskOf(p.data)}, which holds ${p.home} (HOTEL_HOME): free some space there, then retry; nothing was written`);
}
