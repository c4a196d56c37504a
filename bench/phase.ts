import { openDatabase } from "../src/db/database.js";
import type { AuditResult } from "../src/stress/oracle.js";
import { drive, Load, type LoadResult } from "./load.js";
import { WARMUP_TIER, warmupRequest, type Scenario } from "./scenarios.js";
import { auditPhase, openScratch, warmupCapacity } from "./scratch.js";
import { bookerFor, type Strategy } from "./strategies.js";

/**
 * One strategy on one scenario: its own scratch schema and inventory, a pool
 * of `concurrency` connections, a warm-up, the measured load (in one go or in
 * slices), then an audit of the final rows by the stress oracle and the drop.
 */

export interface PhaseResult {
  strategy: Strategy;
  scenario: Scenario;
  load: LoadResult;
  audit: AuditResult;
}

export interface OpenPhase {
  /** Runs the scenario's requests up to index `until` (exclusive). */
  runUntil(until: number): Promise<void>;
  readonly done: boolean;
  /** Closes the pool, audits, drops the schema. */
  finish(): Promise<PhaseResult>;
  /** Drops everything without a result (on failure). */
  abandon(): Promise<void>;
}

export async function openPhase(baseUrl: string, strategy: Strategy, scenario: Scenario): Promise<OpenPhase> {
  // Warm-up bookings spread over 50 nights of their own tier: a few per night.
  const warmups = Math.max(scenario.concurrency * 4, 100);
  const warmupSuites = Math.ceil(warmups / 50) + 1;
  const { scratch, drop } = await openScratch(baseUrl, { tiers: scenario.tiers, warmupSuites, prefill: scenario.prefill });
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    db = await openDatabase({ databaseUrl: scratch.databaseUrl, schema: scratch.name, poolSize: scenario.concurrency });
    const capacities = new Map([...scenario.tiers.map((tier) => [tier.name, tier.capacity] as const), [WARMUP_TIER, warmupCapacity(warmupSuites)] as const]);
    const booker = bookerFor(strategy, db.prisma, capacities);
    // Every pooled connection opened, Prisma's query compiler loaded, the
    // function's plans cached per session, V8's JIT warm: before the clock.
    await drive({ n: warmups, concurrency: scenario.concurrency, maxSeconds: 10, run: (index) => booker(warmupRequest(index)) });
    const load = new Load(scenario.n, (index) => booker(scenario.request(index)));
    const opened = db;
    return {
      runUntil: (until) => load.runUntil(until, scenario.concurrency, scenario.maxSeconds),
      get done() {
        return load.done;
      },
      async finish() {
        try {
          await opened.close();
          const result = load.result();
          return { strategy, scenario, load: result, audit: await auditPhase(scratch, result, scenario.request) };
        } finally {
          await drop();
        }
      },
      async abandon() {
        await opened.close().catch(() => undefined);
        await drop();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    await drop();
    throw error;
  }
}

export async function runPhase(baseUrl: string, strategy: Strategy, scenario: Scenario): Promise<PhaseResult> {
  const phase = await openPhase(baseUrl, strategy, scenario);
  try {
    await phase.runUntil(scenario.n);
  } catch (error) {
    await phase.abandon();
    throw error;
  }
  return phase.finish();
}
