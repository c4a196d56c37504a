import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import type { Paths } from "./home.js";

// The binaries are Linux-only, so /proc is used freely.

/** Start time (clock ticks since boot) of a live process, or null if it is gone. Comparing start times tells a recycled pid apart. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie still answers kill(pid, 0), and a slow init may leave it unreaped for long.
    return pid > 0 && fields[0] !== "Z" && fields[0] !== "X" ? (fields[19] ?? "") : null;
  } catch {
    return null;
  }
}

export const isAlive = (pid: number, start: string): boolean => processStart(pid) === start;

/** "<pid> <start time>": names this process for as long as it lives, and never a later one with the same pid. */
export const selfStamp = (): string => `${process.pid} ${processStart(process.pid) ?? ""}`;

/** Our postmaster, if up. A pid file left by a crash or reboot may name a recycled pid; only our postmaster has our data dir as its cwd. */
export function postmaster(p: Paths): { pid: number; status: string } | null {
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
