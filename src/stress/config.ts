import { statSync } from "node:fs";
import path from "node:path";
import { DEFAULT_LOCK_TIMEOUT_MS } from "../core/book.js";
import { addDays, formatDate, MAX_NIGHTS, parseDate, today } from "../core/dates.js";
import { printable } from "../core/text.js";
import { parseCount } from "../core/validate.js";
import { HotelError, invalidInput } from "../core/errors.js";
import * as validate from "../core/validate.js";
import { isMixedScenario, lastNightOf, SCENARIOS, tierPlans, WARM_UP_OFFSET_DAYS, WARM_UP_NIGHTS, WARM_UP_TIER, type StressScenario, type TierPlan } from "./scenarios.js";
import { ARRIVALS, type Arrival } from "./schedule.js";

/**
 * What a stress run does, resolved and validated before anything connects:
 * bad input fails with INVALID_INPUT (exit 65) or USAGE (exit 64) and creates
 * no schema, books nothing and writes no file.
 */

/**
 * `locked`: the booking core's hotel_book() in one round trip (what `hotel
 * book` runs); `interactive`: the same protocol as a Prisma interactive
 * transaction; `serializable`: one hashed lock on tier and check-in day under
 * Serializable isolation (serializable-strategy.ts), kept only to be measured
 * beside them.
 */
export const STRATEGIES = ["locked", "interactive", "serializable"] as const;
export type StressStrategy = (typeof STRATEGIES)[number];

export const VIAS = ["core", "http"] as const;
export type StressVia = (typeof VIAS)[number];

export const STRESS_LIMITS = {
  n: 10_000_000,
  concurrency: 1000,
  workers: 64,
  capacity: 100_000,
  defaultConcurrencyCap: 100,
  rate: 1_000_000,
  durationMs: 24 * 3_600_000,
  urls: 16,
} as const;

export interface StressConfig {
  /** Requests to send; null when only `durationMs` bounds the run. */
  n: number | null;
  /** Stop starting requests after this long (ms of load); null: n bounds the run. */
  durationMs: number | null;
  /** Open model: arrivals per second; null: the closed model. */
  rate: number | null;
  arrival: Arrival;
  /** Requests in flight at once, over all workers. */
  concurrency: number;
  /** True when --concurrency was given (not the default): capping it is then worth a note. */
  concurrencyExplicit: boolean;
  scenario: StressScenario;
  strategy: StressStrategy;
  /** core: this process calls the booking core; http: through a `hotel serve` (our own, or `urls`). */
  via: StressVia;
  /** Running servers to drive (--url), in round-robin; empty: a scratch schema of our own. */
  urls: string[];
  tiers: TierPlan[];
  /** Suites per tier (scratch runs). */
  capacity: number;
  checkIn: string;
  /** Nights per stay for same-dates and mixed-tiers. */
  nights: number;
  workers: number;
  seed: number;
  keep: boolean;
  lockTimeoutMs: number;
  maxFailed?: number;
  maxP99Ms?: number;
  /** --out: one NDJSON line per request. */
  outFile?: string;
  /** --html: the self-contained report. */
  htmlFile?: string;
  /** Bookings in a tier of their own before the clock starts (scratch runs). */
  warmUpRequests: number;
  /** Confirmed bookings already on the first night of the first tier when the clock starts (library only). */
  prefill: number;
  /** A booking history on nights of the warm-up tier, so the planner sees a realistic table (library only). */
  historyNights: number;
}

/** The flags as Commander hands them over (strings), or as a library caller writes them. */
export interface StressOptions {
  n?: string | number;
  duration?: string | number;
  rate?: string | number;
  arrival?: string;
  concurrency?: string | number;
  tier?: string;
  capacity?: string | number;
  checkIn?: string;
  nights?: string | number;
  scenario?: string;
  strategy?: string;
  via?: string;
  url?: string | string[];
  workers?: string | number;
  seed?: string | number;
  keep?: boolean;
  maxFailed?: string | number;
  maxP99?: string | number;
  out?: string;
  html?: string;
  lockTimeoutMs?: number;
  warmUpRequests?: number;
  prefill?: number;
  historyNights?: number;
}

export function resolveStressConfig(options: StressOptions, now = new Date()): StressConfig {
  const scenario = oneOf(options.scenario ?? "same-dates", SCENARIOS, "--scenario");
  const strategy = oneOf(options.strategy ?? "locked", STRATEGIES, "--strategy");
  const urls = [options.url ?? []].flat().map(parseTargetUrl);
  if (urls.length > STRESS_LIMITS.urls) throw invalidInput(`at most ${STRESS_LIMITS.urls} --url may be given`);
  const via = oneOf(options.via ?? (urls.length > 0 ? "http" : "core"), VIAS, "--via");
  checkCombinations(options, { urls, via, strategy, scenario });
  const load = resolveLoad(options);
  const { n } = load;
  const workers = parseCount(options.workers ?? 1, "--workers", 1, STRESS_LIMITS.workers);
  if (n !== null && workers > n) throw invalidInput(`--workers ${workers} is more than --n ${n}: each worker needs at least one request`);
  const cap = STRESS_LIMITS.defaultConcurrencyCap;
  const concurrency =
    options.concurrency === undefined
      ? Math.max(workers, n !== null && load.rate === null ? Math.min(n, cap) : cap)
      : parseCount(options.concurrency, "--concurrency", 1, STRESS_LIMITS.concurrency);
  if (concurrency < workers) throw invalidInput(`--concurrency ${concurrency} is less than --workers ${workers}: each worker needs a connection`);
  const capacity = parseCount(options.capacity ?? 10, "--capacity", 1, STRESS_LIMITS.capacity);
  const nights = parseCount(options.nights ?? 1, "--nights", 1, MAX_NIGHTS);
  const checkIn = options.checkIn === undefined ? formatDate(addDays(today(now), 30)) : formatDate(parseDate(options.checkIn, "--check-in"));
  const lastNight = Math.max(lastNightOf(scenario, nights), WARM_UP_OFFSET_DAYS + WARM_UP_NIGHTS);
  if (addDays(parseDate(checkIn, "--check-in"), lastNight).getUTCFullYear() > 9999) {
    throw invalidInput(`--check-in ${checkIn} leaves no room for the stays before the year 9999 ends`);
  }
  const seed = options.seed === undefined ? randomSeed() : parseCount(options.seed, "--seed", 0, 4_294_967_295);
  const tier = validate.tierName(options.tier ?? "standard");
  if (tier === WARM_UP_TIER) throw invalidInput(`--tier ${tier} is the name of the run's own warm-up tier: choose another`);
  const files = resolveFiles(options);
  return {
    ...load,
    concurrency,
    concurrencyExplicit: options.concurrency !== undefined,
    scenario,
    strategy,
    via,
    urls,
    tiers: tierPlans(scenario, tier, capacity),
    capacity,
    checkIn,
    nights,
    workers,
    seed,
    keep: options.keep ?? false,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    maxFailed: options.maxFailed === undefined ? undefined : parseCount(options.maxFailed, "--max-failed", 0, STRESS_LIMITS.n),
    maxP99Ms: options.maxP99 === undefined ? undefined : positiveNumber(options.maxP99, "--max-p99", "a number of milliseconds"),
    ...files,
    // Remote servers get no warm-up bookings: that would book real inventory.
    warmUpRequests: urls.length > 0 ? 0 : (options.warmUpRequests ?? Math.min(200, Math.max(20, 2 * concurrency))),
    prefill: options.prefill ?? 0,
    historyNights: options.historyNights ?? 0,
  };
}

/** The load model: closed (n, or a duration) or open (--rate, for n or a duration). */
function resolveLoad(options: StressOptions): Pick<StressConfig, "n" | "durationMs" | "rate" | "arrival"> {
  const durationMs = options.duration === undefined ? null : parseDuration(options.duration);
  const n = options.n === undefined ? (durationMs === null ? 20 : null) : parseCount(options.n, "--n", 1, STRESS_LIMITS.n);
  const rate = options.rate === undefined ? null : positiveNumber(options.rate, "--rate", "a number of requests per second");
  if (rate !== null && rate > STRESS_LIMITS.rate) throw invalidInput(`--rate must be at most ${STRESS_LIMITS.rate} requests per second`);
  if (options.arrival !== undefined && rate === null) throw new HotelError("USAGE", "--arrival applies to the open model: give --rate too");
  const arrival = oneOf(options.arrival ?? "uniform", ARRIVALS, "--arrival");
  return { n, durationMs, rate, arrival };
}

function checkCombinations(options: StressOptions, resolved: { urls: string[]; via: StressVia; strategy: StressStrategy; scenario: StressScenario }): void {
  const usage = (message: string): HotelError => new HotelError("USAGE", message);
  if (resolved.urls.length > 0) {
    if (resolved.via !== "http") throw usage("--url drives a running `hotel serve` over HTTP: drop --via core");
    if (options.capacity !== undefined) throw usage("--capacity sizes the scratch inventory; with --url the server's own inventory is booked");
  }
  if (isMixedScenario(resolved.scenario)) {
    if (resolved.urls.length > 0) throw usage(`--scenario ${resolved.scenario} runs on scratch data only: with --url choose same-dates, overlapping or mixed-tiers`);
    if (resolved.strategy === "serializable") throw usage(`--scenario ${resolved.scenario} needs the core's own operations: use --strategy locked or interactive`);
  }
  if (resolved.via === "http" && resolved.strategy !== "locked") {
    throw usage(`--strategy ${resolved.strategy} applies to --via core: a \`hotel serve\` always books with the core (locked)`);
  }
}

/** --url: an http(s) base URL of a `hotel serve`; only ever the user's own. */
export function parseTargetUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidInput(`--url "${printable(raw)}" is not a URL: use e.g. http://127.0.0.1:3000`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidInput(`--url must be http:// or https://, got ${printable(url.protocol)}`);
  if (url.search !== "" || url.hash !== "") throw invalidInput("--url is the server's base URL, without a query or fragment");
  return url.toString().replace(/\/+$/, "");
}

/** What RFC 6750 allows in a Bearer token (and `hotel serve` accepts). */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * The API token a --url run sends: --token, else HOTEL_TOKEN. A secret, so
 * it is kept out of StressConfig (which reports echo) and out of every
 * message, this one's included. HOTEL_TOKEN alone is ignored without --url.
 */
export function resolveApiToken(flag: string | undefined, env: NodeJS.ProcessEnv, urls: readonly string[]): string | undefined {
  if (urls.length === 0) {
    if (flag !== undefined) throw new HotelError("USAGE", "--token is sent to the servers of --url: give --url too (a run on scratch data needs no token)");
    return undefined;
  }
  const raw = flag ?? (env.HOTEL_TOKEN || undefined);
  if (raw === undefined) return undefined;
  const token = raw.trim();
  if (!BEARER_TOKEN.test(token)) {
    throw invalidInput(`${flag !== undefined ? "--token" : "HOTEL_TOKEN"} is not an API token (one word such as htk_...; the value is not shown)`);
  }
  return token;
}

/** `30s`, `2m`, `500ms`, `1h`, or a bare number of seconds. */
export function parseDuration(value: string | number): number {
  const text = String(value).trim();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match?.[2] ?? "s"] ?? 1000;
  const ms = match ? Number(match[1]) * unit : Number.NaN;
  if (!(ms >= 1) || ms > STRESS_LIMITS.durationMs) {
    throw invalidInput(`--duration must be a time between 1ms and 24h such as 30s, 2m or 500ms, got "${printable(text)}"`);
  }
  return ms;
}

function resolveFiles(options: StressOptions): Pick<StressConfig, "outFile" | "htmlFile"> {
  const outFile = options.out === undefined ? undefined : writableFile(options.out, "--out");
  const htmlFile = options.html === undefined ? undefined : writableFile(options.html, "--html");
  if (outFile !== undefined && outFile === htmlFile) throw invalidInput("--out and --html must be different files");
  return { outFile, htmlFile };
}

/** A file path whose directory exists; the file itself is written only once the run starts. */
function writableFile(raw: string, label: string): string {
  if (raw.trim() === "") throw invalidInput(`${label} must name a file`);
  const file = path.resolve(raw);
  const directory = path.dirname(file);
  let isDirectory = false;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw invalidInput(`${label} ${printable(raw)}: the directory ${printable(directory)} does not exist`);
  try {
    if (statSync(file).isDirectory()) throw invalidInput(`${label} ${printable(raw)} is a directory: name a file`);
  } catch (error) {
    if (error instanceof HotelError) throw error;
  }
  return file;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], label: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new HotelError("USAGE", `${label} "${printable(value)}" is not one of ${allowed.join(", ")}`);
}

function positiveNumber(value: string | number, label: string, what: string): number {
  const parsed = Number(String(value).trim());
  if (String(value).trim() === "" || !Number.isFinite(parsed) || parsed <= 0) {
    throw invalidInput(`${label} must be ${what} above 0, got "${printable(String(value))}"`);
  }
  return parsed;
}

function randomSeed(): number {
  return Math.floor(Math.random() * 4_294_967_296) >>> 0;
}
