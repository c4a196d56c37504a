import { createHash, randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { HotelError } from "../../core/errors.js";

/** Where the embedded default keeps its data: HOTEL_HOME, else XDG_DATA_HOME/hotel, else ~/.local/share/hotel. */
export function hotelHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOTEL_HOME) return path.resolve(env.HOTEL_HOME);
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)) return path.join(env.XDG_DATA_HOME, "hotel");
  return path.join(env.HOME || userHome(), ".local", "share", "hotel");
}

/** The passwd entry's home, for when HOME is unset (cron, systemd); some container users have none. */
function userHome(): string {
  try {
    return os.homedir();
  } catch (cause) {
    throw new HotelError("CONFIG", `HOME is unset and user ${process.getuid?.() ?? "?"} has no home directory: set HOTEL_HOME (or HOME), or pass --database-url`, { cause });
  }
}

/** PostgreSQL's port number; only the socket file's name, since nothing listens on TCP. */
export const PORT = 5432;

/** Every file of one home. `sock` holds the Unix socket: `run/` when it can, else a short directory in /tmp. */
export interface Paths {
  home: string;
  data: string;
  run: string;
  users: string;
  lock: string;
  log: string;
  password: string;
  sock: string;
}

export function layout(home: string, asRoot: boolean): Paths {
  const h = path.resolve(home);
  const at = (...parts: string[]): string => path.join(h, ...parts);
  // A socket path must fit sun_path (107 bytes) with "/.s.PGSQL.5432" appended; and
  // under root the server user must reach the socket dir, which it cannot below
  // /root or a mkdtemp dir. Then use a short private dir in /tmp, one per home
  // (not os.tmpdir(): $TMPDIR may itself be long).
  const short = `/tmp/hotel-${createHash("sha256").update(h).digest("hex").slice(0, 16)}`;
  const sock = asRoot || Buffer.byteLength(at("run")) + 14 > 107 ? short : at("run");
  return { home: h, data: at("pg"), run: at("run"), users: at("run", "users"), lock: at("run", "lock"), log: at("log", "postgres.log"), password: at("password"), sock };
}

/** A name next to `base` that no other process picks: for files made aside and renamed into place. */
export const uniqueName = (base: string, tag: string): string => `${base}.${tag}.${process.pid}.${randomBytes(4).toString("hex")}`;

export const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;
