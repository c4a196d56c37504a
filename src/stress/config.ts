import { DEFAULT_LOCK_TIMEOUT_MS } from "../core/book.js";
import type { BookingRequest } from "../core/booking.js";
import { addDays, formatDate, MAX_NIGHTS, parseDate, today } from "../core/dates.js";
import { printable } from "../core/text.js";
import { parseCount } from "../core/validate.js";
import { HotelError, invalidInput } from "../core/errors.js";
import * as validate from "../core/validate.js";
import { DEFAULT_PROPERTY, type Hotel } from "../core/hotel.js";
import type { Database } from "../db/database.js";
import { below, streamFor } from "./random.js";

/**
 * What a stress run does, resolved and validated before anything connects:
 * bad input fails with INVALID_INPUT (exit 65) and creates no schema.
 */

export const SCENARIOS = ["same-dates", "overlapping", "mixed-tiers"] as const;
export type StressScenario = (typeof SCENARIOS)[number];

/**
 * `locked` and `interactive` are the booking core's two forms (`book()` with
 * strategy "function" / "interactive"); `seed` is the seed's design, kept only
 * to be measured beside them (src/stress/seed-strategy.ts).
 */
export const STRATEGIES = ["locked", "interactive", "seed"] as const;
export type StressStrategy = (typeof STRATEGIES)[number];

export const LIMITS = { n: 1_000_000, concurrency: 1000, workers: 64, capacity: 100_000, defaultConcurrencyCap: 100 } as const;
/** Overlapping stays start on one of this many days from the check-in... */
export const OVERLAP_WINDOW_DAYS = 14;
/** ...and last 1 to this many nights. */
export const OVERLAP_MAX_NIGHTS = 7;
/** mixed-tiers books this many tiers, each with `capacity` suites. */
export const MIXED_TIER_COUNT = 3;
const MIXED_TIER_NAMES = ["standard", "deluxe", "presidential", "suite", "family"];

export interface TierPlan {
  name: string;
  /** Suites are numbered `<prefix>0001`...; prefixes differ between tiers. */
  prefix: string;
  capacity: number;
}

export interface StressConfig {
  n: number;
  /** Requests in flight at once, over all workers. */
  concurrency: number;
  /** True when --concurrency was given (not the default): capping it is then worth a note. */
  concurrencyExplicit: boolean;
  scenario: StressScenario;
  strategy: StressStrategy;
  tiers: TierPlan[];
  /** Suites per tier. */
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
}

/** The flags as Commander hands them over (strings), or as a library caller writes them. */
export interface StressOptions {
  n?: string | number;
  concurrency?: string | number;
  tier?: string;
  capacity?: string | number;
  checkIn?: string;
  nights?: string | number;
  scenario?: string;
  strategy?: string;
  workers?: string | number;
  seed?: string | number;
  keep?: boolean;
  maxFailed?: string | number;
  maxP99?: string | number;
  lockTimeoutMs?: number;
}

export function resolveStressConfig(options: StressOptions, now = new Date()): StressConfig {
  const n = parseCount(options.n ?? 20, "--n", 1, LIMITS.n);
  const scenario = oneOf(options.scenario ?? "same-dates", SCENARIOS, "--scenario");
  const strategy = oneOf(options.strategy ?? "locked", STRATEGIES, "--strategy");
  const workers = parseCount(options.workers ?? 1, "--workers", 1, LIMITS.workers);
  if (workers > n) throw invalidInput(`--workers ${workers} is more than --n ${n}: each worker needs at least one request`);
  const concurrency =
    options.concurrency === undefined
      ? Math.max(workers, Math.min(n, LIMITS.defaultConcurrencyCap))
      : parseCount(options.concurrency, "--concurrency", 1, LIMITS.concurrency);
  if (concurrency < workers) throw invalidInput(`--concurrency ${concurrency} is less than --workers ${workers}: each worker needs a connection`);
  const capacity = parseCount(options.capacity ?? 10, "--capacity", 1, LIMITS.capacity);
  const nights = parseCount(options.nights ?? 1, "--nights", 1, MAX_NIGHTS);
  const checkIn = options.checkIn === undefined ? formatDate(addDays(today(now), 30)) : formatDate(parseDate(options.checkIn, "--check-in"));
  const lastNight = scenario === "overlapping" ? OVERLAP_WINDOW_DAYS - 1 + OVERLAP_MAX_NIGHTS : nights;
  if (addDays(parseDate(checkIn, "--check-in"), lastNight).getUTCFullYear() > 9999) {
    throw invalidInput(`--check-in ${checkIn} leaves no room for the stays before the year 9999 ends`);
  }
  const seed = options.seed === undefined ? randomSeed() : parseCount(options.seed, "--seed", 0, 4_294_967_295);
  const tier = validate.tierName(options.tier ?? "standard");
  return {
    n,
    concurrency,
    concurrencyExplicit: options.concurrency !== undefined,
    scenario,
    strategy,
    tiers: tierPlans(scenario === "mixed-tiers" ? mixedTierNames(tier) : [tier], capacity),
    capacity,
    checkIn,
    nights,
    workers,
    seed,
    keep: options.keep ?? false,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    maxFailed: options.maxFailed === undefined ? undefined : parseCount(options.maxFailed, "--max-failed", 0, LIMITS.n),
    maxP99Ms: options.maxP99 === undefined ? undefined : positiveNumber(options.maxP99, "--max-p99"),
  };
}

function oneOf<T extends string>(value: string, allowed: readonly T[], label: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new HotelError("USAGE", `${label} "${printable(value)}" is not one of ${allowed.join(", ")}`);
}

function positiveNumber(value: string | number, label: string): number {
  const parsed = Number(String(value).trim());
  if (String(value).trim() === "" || !Number.isFinite(parsed) || parsed <= 0) {
    throw invalidInput(`${label} must be a positive number of milliseconds, got "${printable(String(value))}"`);
  }
  return parsed;
}

function randomSeed(): number {
  return Math.floor(Math.random() * 4_294_967_296) >>> 0;
}

/** `--tier` first, then other names, so that mixed-tiers always has distinct tiers. */
function mixedTierNames(first: string): string[] {
  const names = [first, ...MIXED_TIER_NAMES.filter((name) => name !== first)];
  return names.slice(0, MIXED_TIER_COUNT);
}

function tierPlans(names: string[], capacity: number): TierPlan[] {
  const used = new Set<string>();
  return names.map((name, index) => {
    const letters = name.replace(/[^A-Za-z]/g, "").slice(0, 3).toUpperCase() || "T";
    let prefix = letters;
    if (used.has(prefix)) prefix = `${letters}${index + 1}-`;
    used.add(prefix);
    return { name, prefix, capacity };
  });
}

/** Suite number j (0-based) of a tier: `STA0001`. */
export const suiteNumber = (tier: TierPlan, j: number): string => `${tier.prefix}${String(j + 1).padStart(Math.max(4, String(tier.capacity).length), "0")}`;

/** The guest name of request i: how a booking row maps back to its request. */
export const guestNameOf = (index: number): string => `stress-${index}`;

export function requestIndexOf(guestName: string): number | undefined {
  const match = /^stress-(\d+)$/.exec(guestName);
  return match ? Number(match[1]) : undefined;
}

/**
 * Request i of a run, recomputed from (seed, i) so nothing per request is stored:
 * - same-dates: every request the same stay in the first tier (the seed's case);
 * - overlapping: 1-7 nights starting on a random day of a 14-day window;
 * - mixed-tiers: the same stay in a random tier.
 */
export function requestAt(config: Pick<StressConfig, "scenario" | "tiers" | "checkIn" | "nights" | "seed">, index: number): BookingRequest {
  const first = parseDate(config.checkIn, "check-in");
  const next = streamFor(config.seed, index);
  let tier = config.tiers[0] as TierPlan;
  let start = 0;
  let nights = config.nights;
  if (config.scenario === "overlapping") {
    start = below(next, OVERLAP_WINDOW_DAYS);
    nights = 1 + below(next, OVERLAP_MAX_NIGHTS);
  } else if (config.scenario === "mixed-tiers") {
    tier = config.tiers[below(next, config.tiers.length)] as TierPlan;
  }
  return {
    tier: tier.name,
    guestName: guestNameOf(index),
    checkIn: formatDate(addDays(first, start)),
    checkOut: formatDate(addDays(first, start + nights)),
  };
}

/** The core's context for a run's scratch schema: its one property, acted on by "stress". */
export const stressHotel = (db: Database): Hotel => ({ prisma: db.prisma, schema: db.schema, property: DEFAULT_PROPERTY, actor: "stress" });
