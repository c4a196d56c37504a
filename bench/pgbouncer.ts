import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

/**
 * A real PgBouncer in front of a PostgreSQL server (the tests' and the
 * bench's scale section use it), in transaction pooling mode
 * (`pool_mode = transaction`): consecutive transactions of one client may run
 * on different server connections, and a server connection passes from
 * client to client with whatever session state the last one left on it.
 *
 * What PgBouncer 1.18 (Debian bookworm's package) does with the startup
 * parameters a client sends, checked against it with psql and node-pg:
 * - `options` (libpq's `-c name=value` list, where `-c search_path=...`,
 *   `-c default_transaction_isolation=...` or `-c application_name=...` would
 *   travel): REJECTED by default, the login fails with
 *   "FATAL: unsupported startup parameter: options" (SQLSTATE 08P01, which
 *   node-pg reports like a broken connection). With
 *   `ignore_startup_parameters = options` it is IGNORED: the login succeeds
 *   and none of those settings reach the server (search_path stays
 *   `"$user", public`, application_name stays what the client sent as its own
 *   parameter). It is never honoured. (Support for `options` came in later
 *   PgBouncer releases.)
 * - `application_name` as a startup parameter of its own (node-pg's
 *   `application_name` config or URL parameter): HONOURED. PgBouncer tracks it
 *   per client and sets it on whichever server connection the client gets,
 *   so pg_stat_activity shows it while the client's transaction runs, and the
 *   server connection keeps it after the client has gone.
 * - client_encoding, DateStyle, TimeZone, standard_conforming_strings are
 *   tracked the same way; any other parameter is rejected like `options`.
 * - A session `SET`, a session advisory lock (`pg_advisory_lock`) or a named
 *   prepared statement stays on the server connection after the client's
 *   transaction ends and is seen by (or blocks) the next client that gets it:
 *   `server_reset_query` runs only in session mode.
 * - A cancel request is forwarded to the server connection the client is
 *   using, on a new connection of the client's pool: when that pool is full
 *   the cancel is dropped ("closing because: too many servers in the pool").
 *   A cancel client that closes its socket before the forwarding is done
 *   makes PgBouncer exit ("FATAL ... disconnect_client(): bad client state:
 *   0"), dropping every client: see src/db/cancel.ts. stop() fails when
 *   PgBouncer died while in use.
 *
 * Authentication: clients log in with `auth_type = any` (the user name is
 * ignored) and every database, through the `*` fallback entry, logs in to the
 * server as the server URL's user with its password (the embedded server
 * needs SCRAM with a password, the CI server trusts 127.0.0.1), so each
 * database (a test file's, the bench's) works without listing it.
 *
 * PgBouncer refuses to run as root: as root it runs as $HOTEL_PGBOUNCER_USER,
 * else the `postgres` OS user (.ci/run makes sure one exists), under setpriv
 * with a parent-death signal, so it dies with the process that started it
 * even when that is killed.
 */

export interface PgBouncer {
  /** The same user, password and database as `target`, through PgBouncer. */
  url(target: string): string;
  port: number;
  /** PgBouncer's log so far (for failure messages). */
  log(): string;
  /** Stops it and removes its files; fails when it had died on its own meanwhile. */
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per (database, user) pool. */
  poolSize?: number;
  /** Startup parameters PgBouncer should accept and drop (e.g. ["options"]). */
  ignoreStartupParameters?: string[];
}

const START_TIMEOUT_MS = 15_000;

function pgbouncerBinary(): string {
  const candidates = [process.env.PGBOUNCER_BIN, ...(process.env.PATH ?? "").split(":").map((dir) => path.join(dir, "pgbouncer")), "/usr/sbin/pgbouncer"];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error("pgbouncer is not installed: `apt-get install pgbouncer` (.ci/run installs it when missing)");
}

/** The OS user to run PgBouncer as when we are root; undefined when we are not. */
function serviceUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env.HOTEL_PGBOUNCER_USER || "postgres";
  try {
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
    return { name, uid, gid };
  } catch {
    throw new Error(`PgBouncer refuses to run as root and there is no OS user "${name}" to run it as: create one (.ci/run does) or set HOTEL_PGBOUNCER_USER`);
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** A value in a PgBouncer connection string: quoted, quotes and backslashes escaped. */
const quoted = (value: string): string => `'${value.replace(/([\\'])/g, "\\$1")}'`;

function config(serverUrl: string, dir: string, port: number, options: PgBouncerOptions): string {
  const server = new URL(serverUrl);
  const host = server.searchParams.get("host") ?? (server.hostname || "127.0.0.1");
  const target = [
    `host=${quoted(host)}`,
    `port=${server.port || "5432"}`,
    `user=${quoted(decodeURIComponent(server.username) || "postgres")}`,
    ...(server.password ? [`password=${quoted(decodeURIComponent(server.password))}`] : []),
  ].join(" ");
  return [
    "[databases]",
    `* = ${target}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = any",
    "pool_mode = transaction",
    `default_pool_size = ${options.poolSize ?? 20}`,
    "max_client_conn = 500",
    `ignore_startup_parameters = ${(options.ignoreStartupParameters ?? []).join(",")}`,
    `logfile = ${path.join(dir, "pgbouncer.log")}`,
    "",
  ].join("\n");
}

/** Starts PgBouncer in front of `serverUrl` and resolves once it passes a query through. */
export async function startPgBouncer(serverUrl: string, options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  const user = serviceUser();
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(path.join(tmpdir(), "hotel-pgbouncer-"));
    const port = await freePort();
    const configFile = path.join(dir, "pgbouncer.ini");
    writeFileSync(configFile, config(serverUrl, dir, port, options), { mode: 0o600 });
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(configFile, user.uid, user.gid);
    }
    chmodSync(dir, 0o700);
    const privileges = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups"] : [];
    const child = spawn("setpriv", [...privileges, "--pdeathsig=KILL", binary, configFile], { stdio: ["ignore", "ignore", "pipe"] });
    const bouncer = handle(child, dir, port);
    try {
      await waitUntilServing(bouncer, child, serverUrl);
      return bouncer;
    } catch (error) {
      await bouncer.stop().catch(() => undefined);
      // Another process may have taken the port between probing and listening.
      if (attempt < 3 && /listen|Address already in use/i.test(String(error))) continue;
      throw error;
    }
  }
}

function handle(child: ChildProcess, dir: string, port: number): PgBouncer {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = (): string => {
    const file = path.join(dir, "pgbouncer.log");
    return `${stderr}${existsSync(file) ? readFileSync(file, "utf8") : ""}`;
  };
  return {
    port,
    log,
    url(target) {
      const url = new URL(target);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      url.searchParams.delete("host");
      return url.toString();
    },
    async stop() {
      const died = child.exitCode !== null || child.signalCode !== null;
      const lastWords = died ? log() : "";
      if (!died) {
        child.kill("SIGTERM"); // immediate shutdown in 1.18 (SIGINT waits for clients)
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      // A pooler that crashed under load is a finding, not a detail.
      if (died) throw new Error(`pgbouncer died while in use (${child.exitCode ?? child.signalCode}): ${lastWords.split("\n").slice(-15).join("\n")}`);
    },
  };
}

async function waitUntilServing(bouncer: PgBouncer, child: ChildProcess, serverUrl: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`pgbouncer exited (${child.exitCode ?? child.signalCode}): ${bouncer.log()}`);
    const client = new pg.Client({ connectionString: bouncer.url(serverUrl), connectionTimeoutMillis: 1000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`pgbouncer did not serve within ${START_TIMEOUT_MS} ms (${String(error)}): ${bouncer.log()}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
