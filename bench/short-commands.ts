import { spawnSync } from "node:child_process";
import { addDays, formatDate, parseDate } from "../src/core/dates.js";
import { interleavedMedians } from "./cli-process.js";
import { CHECK_IN } from "./scenarios.js";

/**
 * Short commands on an existing database, as a person types them: `hotel
 * availability` and `hotel book`, each a new process, against `hotel
 * --version` (no database), interleaved round by round. Runs only in the
 * database the bench created for itself: it migrates it and adds a tier.
 */

export interface ShortCommandsResult {
  runs: number;
  versionP50Ms: number;
  availabilityP50Ms: number;
  bookP50Ms: number;
  availabilityRatio: number;
  bookRatio: number;
}

const SUITES = 60;

function run(bin: string, url: string, args: string[]): number {
  const started = performance.now();
  const child = spawnSync(process.execPath, [bin, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", DATABASE_URL: url, HOTEL_ACTOR: "bench" },
    timeout: 60_000,
  });
  const elapsed = performance.now() - started;
  // Never echo stderr whole: it could name the server; the exit code and a first line are enough.
  if (child.status !== 0) throw new Error(`hotel ${args[0]} exited ${child.status}: ${child.stderr.toString().split("\n")[0]?.slice(0, 160) ?? ""}`);
  return elapsed;
}

export function measureShortCommands(bin: string, url: string, runs: number): ShortCommandsResult {
  run(bin, url, ["db", "migrate"]);
  run(bin, url, ["suites", "add", "--tier", "standard", ...Array.from({ length: SUITES }, (_, i) => `B${String(i + 1).padStart(3, "0")}`)]);
  const night = (round: number): string => formatDate(addDays(parseDate(CHECK_IN, "check-in"), round % 30));
  const [versionP50Ms, availabilityP50Ms, bookP50Ms] = interleavedMedians(runs, [
    () => run(bin, url, ["--version"]),
    () => run(bin, url, ["availability", "--from", CHECK_IN, "--nights", "7", "--json"]),
    (round) => run(bin, url, ["book", "--tier", "standard", "--check-in", night(round), "--nights", "1", "--guest", `Short ${round}`, "--json", "--no-input"]),
  ]) as [number, number, number];
  return { runs, versionP50Ms, availabilityP50Ms, bookP50Ms, availabilityRatio: availabilityP50Ms / versionP50Ms, bookRatio: bookP50Ms / versionP50Ms };
}
