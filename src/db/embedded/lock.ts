import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HotelError } from "../../core/errors.js";
import { errnoOf, uniqueName, type Paths } from "./home.js";
import { isAlive, selfStamp } from "./processes.js";

const LOCK_TIMEOUT_MS = 60_000;

/**
 * Runs `fn` holding run/lock, which serialises starting and stopping the
 * server. The lock dir is renamed into place with its owner file already
 * inside, so a held lock always names its owner; a dead owner's lock is moved
 * aside (atomically) and the wait goes on.
 */
export async function withLock<T>(p: Paths, fn: () => Promise<T>): Promise<T> {
  const me = selfStamp();
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    const staging = uniqueName(p.lock, "new");
    await fs.mkdir(staging);
    await fs.writeFile(path.join(staging, "owner"), me).catch(async (error: unknown) => {
      await fs.rm(staging, { recursive: true, force: true });
      throw error;
    });
    const error = await fs.rename(staging, p.lock).then(() => undefined, (e: unknown) => e);
    if (error === undefined) break;
    await fs.rm(staging, { recursive: true, force: true });
    if (errnoOf(error) !== "ENOTEMPTY" && errnoOf(error) !== "EEXIST") throw error;
    const held = await fs.readFile(path.join(p.lock, "owner"), "utf8").catch(() => "");
    const [pid = "", start = ""] = held.split(" ");
    if (held && !isAlive(Number(pid), start)) {
      await breakStaleLock(p, held);
    } else if (Date.now() > deadline) {
      throw new HotelError(
        "BUSY",
        `Timed out after ${LOCK_TIMEOUT_MS / 1000} s waiting for the embedded PostgreSQL lock ${p.lock} (held by pid ${pid}): retry later; if no hotel process is running, delete that directory`,
        { retryAfter: 5 },
      );
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

async function breakStaleLock(p: Paths, held: string): Promise<void> {
  const grave = uniqueName(p.lock, "stale");
  if (!(await fs.rename(p.lock, grave).then(() => true, () => false))) return;
  // Another waiter broke it first and a live owner took it: put that one back.
  if ((await fs.readFile(path.join(grave, "owner"), "utf8").catch(() => "")) !== held) await fs.rename(grave, p.lock).catch(() => undefined);
  await fs.rm(grave, { recursive: true, force: true });
}
