import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireEmbeddedServer, embeddedServerRunning, hotelHome, stopEmbeddedServer } from "../src/db/embedded.js";
import { processDead } from "./support/processes.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "hotel-embedded-"));
const homes: string[] = [];
let fixture = "";

function newHome(name = `home-${homes.length}`): string {
  const home = path.join(tmp, name);
  homes.push(home);
  return home;
}

const postmasterPid = (home: string): number => Number(readFileSync(path.join(home, "pg", "postmaster.pid"), "utf8").split("\n")[0]);

interface Report {
  pid: number;
  postmaster: number;
  started: string;
}

/** Starts the fixture as a separate OS process; `report` resolves once it holds a lease. */
function invocation(args: string[]): { child: ChildProcess; report: Promise<Report>; exit: Promise<number | string> } {
  const child = spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  const report = new Promise<Report>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0] ?? "") as Report);
    });
    void exit.then((code) => reject(new Error(`invocation exited (${code}) before holding a lease: ${err}`)));
  });
  return { child, report, exit };
}

async function expectStopped(home: string, pid: number): Promise<void> {
  expect(embeddedServerRunning(home)).toBe(false);
  expect(existsSync(path.join(home, "pg", "postmaster.pid"))).toBe(false);
  expect(processDead(pid)).toBe(true);
}

beforeAll(async () => {
  // Child processes need JavaScript and tsx is not installed: bundle the fixture
  // (and the module under test) with esbuild, leaving packages as absolute imports.
  const { build } = (await import("esbuild")) as typeof import("esbuild");
  const requireFromRoot = createRequire(path.join(root, "package.json"));
  fixture = path.join(tmp, "embedded-user.mjs");
  await build({
    entryPoints: [path.join(root, "tests", "fixtures", "embedded-user.ts")],
    outfile: fixture,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    plugins: [
      {
        name: "absolute-packages",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (a) => (isBuiltin(a.path) ? { external: true } : { path: requireFromRoot.resolve(a.path), external: true }));
        },
      },
    ],
  });
});

afterAll(async () => {
  for (const home of homes) await stopEmbeddedServer(home).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe("hotelHome", () => {
  it("prefers HOTEL_HOME, then XDG_DATA_HOME, then ~/.local/share", () => {
    expect(hotelHome({ HOTEL_HOME: "/srv/h", XDG_DATA_HOME: "/x", HOME: "/home/u" })).toBe("/srv/h");
    expect(hotelHome({ XDG_DATA_HOME: "/x", HOME: "/home/u" })).toBe("/x/hotel");
    expect(hotelHome({ XDG_DATA_HOME: "relative", HOME: "/home/u" })).toBe("/home/u/.local/share/hotel");
  });
});

describe("embedded PostgreSQL", () => {
  const shared = newHome();

  it("serves a database with btree_gist on a Unix socket only, and release stops it", async () => {
    const lease = await acquireEmbeddedServer({ home: shared });
    const password = readFileSync(path.join(shared, "password"), "utf8").trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(inspect(lease, { depth: 5 }) + JSON.stringify(lease)).not.toContain(password);
    const client = new pg.Client({ connectionString: lease.url });
    await client.connect();
    await client.query("CREATE EXTENSION IF NOT EXISTS btree_gist");
    const { rows } = await client.query<{ one: number; listen: string }>("SELECT 1 AS one, current_setting('listen_addresses') AS listen");
    expect(rows).toEqual([{ one: 1, listen: "" }]);
    await client.end();
    const pid = postmasterPid(shared);
    expect(embeddedServerRunning(shared)).toBe(true);
    await lease.release();
    await lease.release();
    await expectStopped(shared, pid);
    expect(readdirSync(path.join(shared, "run", "users"))).toEqual([]);
  });

  it("lets parallel first-time invocations share one server, stopped by the last", async () => {
    // Too deep for a Unix socket path (107 bytes), so this also covers the short socket dir.
    const home = newHome(`deep-${"d".repeat(100)}`);
    const barrier = path.join(tmp, "barrier");
    mkdirSync(barrier);
    const runs = Array.from({ length: 5 }, () => invocation([home, "hold", barrier, "5"]));
    const reports = await Promise.all(runs.map((r) => r.report));
    expect(await Promise.all(runs.map((r) => r.exit))).toEqual([0, 0, 0, 0, 0]);
    // All leases overlapped (barrier), so all must have seen the very same postmaster.
    expect(new Set(reports.map((r) => `${r.postmaster} ${r.started}`)).size).toBe(1);
    await expectStopped(home, reports[0]?.postmaster ?? 0);
    expect(readdirSync(path.join(home, "run", "users"))).toEqual([]);
  });

  it("recovers from a SIGKILLed invocation: the next one reuses the server and stops it", async () => {
    const run = invocation([shared, "hang"]);
    const report = await run.report;
    run.child.kill("SIGKILL");
    expect(await run.exit).toBe("SIGKILL");
    expect(embeddedServerRunning(shared)).toBe(true);
    const lease = await acquireEmbeddedServer({ home: shared });
    expect(postmasterPid(shared)).toBe(report.postmaster);
    await lease.release();
    await expectStopped(shared, report.postmaster);
    expect(readdirSync(path.join(shared, "run", "users"))).toEqual([]);
  });

  it("is not blocked by a dead process's lock, nor by a stale postmaster.pid naming a recycled pid", async () => {
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => dead.once("exit", resolve));
    const lock = path.join(shared, "run", "lock");
    mkdirSync(lock);
    writeFileSync(path.join(lock, "owner"), `${dead.pid} 1`);
    // As after a reboot: the pid file names a pid now used by an unrelated live process (this one).
    writeFileSync(path.join(shared, "pg", "postmaster.pid"), `${process.pid}\n${path.join(shared, "pg")}\n`);
    const started = Date.now();
    const lease = await acquireEmbeddedServer({ home: shared });
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = postmasterPid(shared);
    expect(pid).not.toBe(process.pid);
    await lease.release();
    await expectStopped(shared, pid);
    expect(existsSync(lock)).toBe(false);
  });

  it("never puts the password in an error", async () => {
    const home = newHome();
    const password = "pw-never-shown-0123456789abcdef";
    mkdirSync(path.join(home, "pg"), { recursive: true });
    writeFileSync(path.join(home, "password"), `${password}\n`, { mode: 0o600 });
    // Looks initialised but is not a cluster, so the server fails to start.
    writeFileSync(path.join(home, "pg", "PG_VERSION"), "18\n");
    const error = await acquireEmbeddedServer({ home }).then(
      () => new Error("acquire unexpectedly succeeded"),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/PostgreSQL did not start/);
    expect(`${error.message} ${error.stack ?? ""} ${inspect(error)}`).not.toContain(password);
    expect(embeddedServerRunning(home)).toBe(false);

    const file = path.join(tmp, "not-a-dir");
    writeFileSync(file, "");
    await expect(acquireEmbeddedServer({ home: file })).rejects.toThrow(/Cannot use .*not-a-dir/);
  });
});
