import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedServerRunning, stopEmbeddedServer } from "../src/db/embedded.js";
import { canTraverse } from "../src/db/embedded/server-user.js";
import { BIN, cleanEnv, ROOT, type CliResult } from "./support/cli.js";

/**
 * The embedded default for a regular user. CI runs as root, so there the CLI
 * runs as `nobody` through setpriv; run by a regular user, it runs as that user.
 */
const NOBODY = { name: "nobody", uid: 65534, gid: 65534 };
const asRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0;
const why = !asRoot
  ? undefined
  : !hasSetpriv
    ? "setpriv (util-linux) is missing, so the CLI cannot run as an unprivileged user"
    : !canTraverse(NOBODY, ROOT)
      ? `nobody cannot reach ${ROOT}`
      : undefined;
if (why) console.warn(`embedded-nonroot.test.ts: skipped: ${why}`);

const tmp = mkdtempSync(path.join(tmpdir(), "hotel-nonroot-"));
chmodSync(tmp, 0o755);
const homes: string[] = [];

/** A directory the unprivileged user owns. */
function ownDir(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  if (asRoot) chownSync(dir, NOBODY.uid, NOBODY.gid);
  return dir;
}

/** The CLI as the unprivileged user; `env` replaces the user's environment (HOME included). */
function hotelAs(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const command = asRoot ? ["setpriv", `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, "--clear-groups", process.execPath] : [process.execPath];
  const child = spawn(command[0] ?? "", [...command.slice(1), BIN, ...args], { env, cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

afterAll(async () => {
  for (const home of homes) await stopEmbeddedServer(home).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(why !== undefined)("the embedded default for a regular user", () => {
  it("works with a 1,000-byte HOTEL_HOME containing spaces (longer than a socket path may be) and leaves no server running", async () => {
    const home = path.join(ownDir("long one"), ...["x", "y", "z", "w", "v"].map((c) => `${c.repeat(190)} ${c}`));
    homes.push(home);
    expect(Buffer.byteLength(home)).toBeGreaterThan(960);
    const env = cleanEnv({ HOTEL_HOME: home, HOME: tmp });
    const seeded = await hotelAs(["db", "seed"], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    const booked = await hotelAs(["book", "--tier", "deluxe", "--check-in", "2031-02-01", "--nights", "1", "--guest", "Nobody", "--json"], env);
    expect(booked.code, booked.stderr).toBe(0);
    expect(JSON.parse(booked.stdout).booking).toMatchObject({ suite: "D201", guest: "Nobody" });
    expect(embeddedServerRunning(home)).toBe(false);
  });

  it("a HOTEL_HOME the user may not write to: exit 73 naming the directory, never 'a bug'", async () => {
    const user = asRoot ? "nobody" : userInfo().username;
    // Not the user's to write in: root's under root; read-only for its owner otherwise.
    const locked = path.join(tmp, "not yours");
    mkdirSync(path.join(locked, "made by another", "run", "users"), { recursive: true });
    if (!asRoot) for (const dir of [locked, path.join(locked, "made by another", "run")]) chmodSync(dir, 0o555);
    try {
      for (const [home, denied] of [
        [path.join(locked, "hotel"), locked],
        [path.join(locked, "made by another"), path.join(locked, "made by another", "run")],
      ] as const) {
        const result = await hotelAs(["bookings"], cleanEnv({ HOTEL_HOME: home, HOME: tmp }));
        expect(result.code, result.stderr).toBe(73);
        expect(result.stderr.trim()).toBe(
          `error: ${home} (HOTEL_HOME) is not writable by ${user} (permission denied on ${denied}): make it writable, or set HOTEL_HOME to a directory that is`,
        );
        const json = await hotelAs(["book", "--tier", "standard", "--check-in", "2031-01-01", "--nights", "1", "--guest", "X", "--json"], cleanEnv({ HOTEL_HOME: home, HOME: tmp }));
        expect(JSON.parse(json.stdout).error.code).toBe("STORAGE");
      }
    } finally {
      if (!asRoot) for (const dir of [locked, path.join(locked, "made by another", "run")]) chmodSync(dir, 0o755);
    }
  });

  it.skipIf(!asRoot)("HOME unset: the passwd entry's home is used, and a user without one is told to set HOTEL_HOME (exit 78)", async () => {
    const bare = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    // nobody's home is /nonexistent, in / where it may not write.
    const nobody = await hotelAs(["bookings"], bare);
    expect(nobody.code).toBe(73);
    expect(nobody.stderr).toContain("error: /nonexistent/.local/share/hotel (HOTEL_HOME) is not writable by nobody (permission denied on /)");
    const child = spawn("setpriv", ["--reuid=54321", "--regid=54321", "--clear-groups", process.execPath, BIN, "bookings"], { env: bare, cwd: tmp });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.on("close", resolve))).toBe(78);
    expect(stderr.trim()).toBe("error: HOME is unset and user 54321 has no home directory: set HOTEL_HOME (or HOME), or pass --database-url");
  });
});
