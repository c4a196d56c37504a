import { lookup } from "node:dns/promises";
import { BlockList, isIP, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { HotelError } from "../../core/errors.js";
import type { Hotel } from "../../core/hotel.js";
import { hasTokens, redactTokens } from "../../core/tokens.js";
import { parseCount } from "../../core/validate.js";
import { redactSecrets } from "../../db/url.js";
import type { RequestLogEntry } from "../../http/server.js";
import type { Shutdown } from "../../http/shutdown.js";
import type { Database } from "../../db/database.js";
import { watchDatabase } from "../../db/watchdog.js";
import type { CommandDefinition, Deps } from "../command.js";
import { SIGNAL_EXIT, type StopSignal } from "../lifecycle.js";

export interface ServeOptions {
  host: string;
  port: number;
}

export const serveCommand: CommandDefinition<ServeOptions, { host: string; port: string }> = {
  name: "serve",
  summary: "HTTP booking endpoint over the same core (POST /api/bookings)",
  flags: [
    { flags: "--host <host>", description: "address to bind", default: "127.0.0.1" },
    { flags: "--port <port>", description: "port to listen on", default: "3000" },
  ],
  examples: ["hotel serve --port 3000", "ab -n 20 -c 20 -p booking.json -T application/json http://127.0.0.1:3000/api/bookings"],
  parse(flags) {
    const host = flags.host.trim();
    if (host === "") throw new HotelError("USAGE", "--host must not be empty");
    return { host, port: parseCount(flags.port, "--port", 0, 65_535) };
  },
  run,
};

/** Enough connections for `ab -c 20`: each booking holds one while it waits for its night locks. */
export const SERVE_POOL_SIZE = 20;

/** How long a forced stop still waits for the pool to close. */
const FORCED_CLOSE_MS = 1500;


/**
 * `hotel serve`. Runs until SIGINT or SIGTERM, then stops gracefully: no new
 * connections, requests in flight finish with their real response, the pool
 * closes (and with it the embedded server, when this was its last user). A
 * graceful stop is the server's normal end, so it exits 0; a second signal
 * cuts the remaining requests and exits 130/143 as every interrupted command does.
 */
export async function run(options: ServeOptions, deps: Deps): Promise<number> {
  const { host, port } = options;
  const lockTimeoutMs = deps.lockTimeoutMs();
  // Set only by `hotel stress --via http` for the server it starts over its scratch schema.
  const { serveSchemaFromEnv } = await import("../../stress/own-server.js");
  const db = await deps.database({ poolSize: SERVE_POOL_SIZE, schema: serveSchemaFromEnv(deps.io.env) });
  const tokens = await refuseOpenBeyondLoopback(deps.hotel(db), host);

  // From here on the signals are ours: the first starts the graceful stop, a
  // second cuts it short. Taken before the startup line, which tells a
  // supervisor (or a test) that signals are now safe to send.
  const stop = new StopControl();
  const restoreSignals = deps.lifecycle.deferSignals((signal) => stop.signal(signal));
  try {
    return await serveUntilStopped(deps, db, { host, port, lockTimeoutMs, tokens }, stop);
  } finally {
    restoreSignals();
  }
}

/** The first signal asks for a graceful stop; any later one forces it. */
class StopControl {
  readonly requested: Promise<StopSignal>;
  /** Resolves on a second signal: stop waiting for anything. */
  readonly forced: Promise<void>;
  forcedBy?: StopSignal;
  private request: (signal: StopSignal) => void = () => undefined;
  private force: () => void = () => undefined;
  private shutdown?: Shutdown;
  private first?: StopSignal;

  constructor() {
    this.requested = new Promise((resolve) => (this.request = resolve));
    this.forced = new Promise((resolve) => (this.force = resolve));
  }

  signal(signal: StopSignal): void {
    if (this.first === undefined) {
      this.first = signal;
      this.request(signal);
    } else {
      this.forcedBy = signal;
      this.shutdown?.force();
      this.force();
    }
  }

  stopping(shutdown: Shutdown): void {
    this.shutdown = shutdown;
    if (this.forcedBy) shutdown.force();
  }
}

async function serveUntilStopped(
  deps: Deps,
  db: Database,
  options: { host: string; port: number; lockTimeoutMs: number; tokens: boolean },
  stop: StopControl,
): Promise<number> {
  const { lockTimeoutMs } = options;
  const [{ createBookingServer }, { stopAccepting }, { tokenAuthenticator }] = await Promise.all([
    import("../../http/server.js"),
    import("../../http/shutdown.js"),
    import("../../http/auth.js"),
  ]);
  const hotel = deps.hotel(db);
  // Decided by the address actually bound, on every request: until it is
  // known, and whenever it is beyond loopback, no request goes without a token.
  let onLoopback = false;
  const authenticate = tokenAuthenticator(hotel, { requireToken: () => !onLoopback });
  const server = createBookingServer({ hotel, lockTimeoutMs, authenticate, log: requestLogger(deps) });
  let inFlight = 0;
  server.on("request", (_req, res) => {
    inFlight++;
    res.once("close", () => inFlight--);
  });
  await listen(server, options.host, options.port);
  // Accept failures (EMFILE ...) after start-up: report them, keep serving.
  server.on("error", (error) => deps.io.stderr.write(`hotel serve: warning: ${error.message}\n`));
  const address = server.address() as AddressInfo;
  onLoopback = isLoopback(address.address);
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  const auth = options.tokens || !onLoopback ? "token" : "none";
  deps.out.essential(
    { event: "listening", url, host: address.address, port: address.port, database: db.server, lockTimeoutMs, auth, property: hotel.property, pid: process.pid },
    `hotel serve: listening on ${url} (database: ${db.server}; POST ${url}/api/bookings; Ctrl-C to stop)`,
  );
  deps.out.note(
    auth === "token"
      ? `hotel serve: every /api/ request needs Authorization: Bearer TOKEN (a token of property ${hotel.property}: \`hotel tokens list\`)`
      : `hotel serve: no API token exists, so anyone on this machine can book and cancel; \`hotel tokens add NAME\` makes every /api/ request need one`,
  );

  // Reachability changes go to stderr whatever the terminal, and are events with --json.
  const watchdog = watchDatabase(db, (event) => {
    deps.io.stderr.write(`hotel serve: ${event.message}\n`);
    if (deps.out.json) deps.io.stdout.write(`${JSON.stringify(event)}\n`);
  });

  const signal = await stop.requested;
  const watchdogStopped = watchdog.stop();
  // Long enough for a booking that is waiting for its night locks to finish.
  const graceMs = Math.max(3000, lockTimeoutMs + 2000);
  const shutdown = stopAccepting(server, graceMs);
  stop.stopping(shutdown);
  lifecycleLine(
    deps,
    { event: "stopping", signal, inFlight, graceMs },
    `hotel serve: ${signal}: no new connections; finishing ${inFlight} request(s) in flight (at most ${graceMs} ms)`,
  );
  const { forced } = await shutdown.done;
  // Closes the pool (cancelling any query whose request was cut off) and stops
  // the embedded server when this was its last user; after a second signal it
  // gets a moment, not forever. The server has stopped either way, so a
  // failure here is worth a line, not a failed exit.
  const closing = watchdogStopped.then(() => db.close()).catch((error: unknown) => {
    deps.io.stderr.write(`hotel serve: warning: closing the database failed: ${redactSecrets(error instanceof Error ? error.message : String(error))}\n`);
  });
  await Promise.race([closing, stop.forced.then(() => sleep(FORCED_CLOSE_MS))]);
  lifecycleLine(deps, { event: "stopped", forced }, `hotel serve: stopped${forced ? " (requests still in flight were cut off)" : ""}`);
  return stop.forcedBy ? SIGNAL_EXIT[stop.forcedBy] : 0;
}

function listen(server: import("node:http").Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${host}:${port}`;
      const reason =
        error.code === "EADDRINUSE"
          ? `${where} is already in use (another \`hotel serve\`?): choose another --port`
          : error.code === "EACCES"
            ? `no permission to listen on ${where} (ports below 1024 need privileges): choose another --port`
            : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND" || error.code === "EAI_AGAIN"
              ? `${host} is not an address of this machine: check --host`
              : `cannot listen on ${where}: ${error.message}`;
      reject(new HotelError("CONFIG", reason, { cause: error }));
    };
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** 127.0.0.0/8, ::1 and ::ffff:127.x.y.z, however they are spelled. */
const isLoopback = (address: string): boolean => isIP(address) !== 0 && LOOPBACK.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");

/**
 * Beyond loopback (0.0.0.0, ::, a LAN address, a name that resolves to one)
 * serve needs the property to have an API token: without one anyone who can
 * reach the port could book and cancel. Refused with exit 78 before
 * anything listens. Returns whether the property has a token.
 */
async function refuseOpenBeyondLoopback(hotel: Hotel, host: string): Promise<boolean> {
  const tokens = await hasTokens(hotel);
  if (tokens) return true;
  // A name that does not resolve fails to listen, with its own message.
  const addresses = isIP(host) !== 0 ? [host] : await lookup(host, { all: true }).then((found) => found.map((a) => a.address), () => []);
  const beyond = addresses.find((address) => !isLoopback(address));
  if (beyond !== undefined) {
    throw new HotelError(
      "CONFIG",
      `--host ${host} listens beyond loopback (${beyond}), but property ${hotel.property} has no API token, so anyone who can reach it could book and cancel: add a token first (\`hotel tokens add NAME\`), or serve on 127.0.0.1`,
    );
  }
  return false;
}

/** With --json every request is a JSON line on stdout; otherwise one human line, on a TTY only. */
function requestLogger(deps: Deps): (entry: RequestLogEntry) => void {
  const { out, io } = deps;
  const human = !out.json && !out.quiet && io.stdout.isTTY === true;
  return (entry) => {
    // A client that put its token in the URL must not get it into the log.
    entry = { ...entry, path: redactTokens(entry.path) };
    // Whatever the terminal and --json, an operator needs to see why a request failed on our side.
    if (entry.detail) io.stderr.write(`hotel serve: ${entry.status} ${entry.method} ${entry.path}: ${redactTokens(redactSecrets(entry.detail))}\n`);
    if (out.json) {
      io.stdout.write(`${JSON.stringify({ event: "request", ...entry })}\n`);
      return;
    }
    if (human) {
      const paint = entry.status >= 500 ? out.color.red : entry.status >= 400 ? out.color.yellow : out.color.green;
      const what = [entry.code, entry.bookingId === undefined ? undefined : `#${entry.bookingId}`, entry.replayed ? "(replayed)" : undefined].filter(Boolean).join(" ");
      io.stdout.write(`${entry.time} ${entry.method} ${entry.path} ${paint(String(entry.status))} ${entry.durationMs}ms${what ? ` ${what}` : ""}\n`);
    }
  };
}

function lifecycleLine(deps: Deps, document: Record<string, unknown>, human: string): void {
  if (deps.out.json) deps.io.stdout.write(`${JSON.stringify(document)}\n`);
  else deps.out.note(human);
}
