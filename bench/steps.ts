import type pg from "pg";
import { withPg } from "../src/stress/bookkeeping.js";
import { freeConnections } from "../src/stress/scratch.js";
import { runInterleaved } from "./interleave.js";
import { findPgbench, LIMIT_DDL, runLimit, runPgbench, type PgbenchResult } from "./limit.js";
import { runPhase } from "./phase.js";
import type { Step } from "./plan.js";
import { limitRow, phaseRow, type LimitRow, type PhaseRow } from "./report.js";
import { FLASH_NIGHT_KEY } from "./scenarios.js";
import { withScratch } from "./scratch.js";
import { redactSecrets } from "../src/db/url.js";
import { sessionUrl } from "../src/db/database.js";

/**
 * The measured steps of a plan, in order: the limit (raw node-pg), pgbench,
 * the strategies' phases, and the groups measured interleaved. A step that
 * fails or lacks connections becomes a note; the others still run.
 */

type Log = (line: string) => void;

export interface StepsInput {
  url: string;
  steps: Step[];
  /** Which sections to run: "limit" and strategy names. */
  sections: ReadonlySet<string>;
  log: Log;
  notes: string[];
}

export interface StepsResult {
  limitRows: LimitRow[];
  pgbench: PgbenchResult[];
  pgbenchSkipped?: string;
  phases: PhaseRow[];
}

const message = (error: unknown): string => redactSecrets(error instanceof Error ? error.message : String(error));

export async function runSteps(input: StepsInput): Promise<StepsResult> {
  const result: StepsResult = { limitRows: [], pgbench: [], phases: [] };
  const pgbenchBinary = findPgbench();
  if (input.sections.has("limit") && !pgbenchBinary) result.pgbenchSkipped = "not installed (looked on PATH and in /usr/lib/postgresql/*/bin)";
  // The limit's own scratch schema lives for the whole run, so that its
  // repeat measurements cost no set-up.
  await withScratch(input.url, async (limitScratch) => {
    await withPg(sessionUrl(limitScratch.databaseUrl, limitScratch.name), (client: pg.Client) => client.query(LIMIT_DDL));
    for (const step of input.steps) {
      try {
        await runStep(step, input, result, { url: sessionUrl(limitScratch.databaseUrl, limitScratch.name), schema: limitScratch.name, pgbench: pgbenchBinary });
      } catch (error) {
        const what = step.kind === "interleaved" ? step.name : step.kind === "phase" ? `${step.strategy} ${step.scenario.id}` : step.kind;
        input.notes.push(`${what} failed: ${message(error)}`);
        input.log(`${what} FAILED: ${message(error)}`);
      }
    }
  });
  return result;
}

async function runStep(step: Step, input: StepsInput, result: StepsResult, limit: { url: string; schema: string; pgbench?: string }): Promise<void> {
  const { sections, log } = input;
  const enough = (what: string, concurrency: number): Promise<boolean> => connectionsFor(input, what, concurrency);
  if (step.kind === "limit") {
    const what = `limit ${step.phase.shape} c=${step.phase.concurrency}`;
    if (!sections.has("limit") || !(await enough(what, step.phase.concurrency))) return;
    const row = limitRow(step.phase.shape, step.phase.concurrency, undefined, await runLimit(limit.url, FLASH_NIGHT_KEY, step.phase));
    result.limitRows.push(row);
    log(`${what}: ${row.perSec} tx/s, p50 ${row.latencyMs.p50} ms, client CPU ${row.clientCpuMsPerRequest} ms/tx`);
  } else if (step.kind === "pgbench") {
    if (!sections.has("limit") || !limit.pgbench || !(await enough(`pgbench c=${step.concurrency}`, step.concurrency))) return;
    try {
      const run = await runPgbench(limit.pgbench, input.url, limit.schema, FLASH_NIGHT_KEY, step.concurrency, step.seconds);
      result.pgbench.push(run);
      log(`pgbench c=${step.concurrency}: ${run.tps.toFixed(0)} tps, ${run.latencyAvgMs} ms average`);
    } catch (error) {
      result.pgbenchSkipped = message(error);
    }
  } else if (step.kind === "phase") {
    const { strategy, scenario } = step;
    const what = `${strategy} ${scenario.id}`;
    if (!sections.has(strategy) || !(await enough(what, scenario.concurrency))) return;
    log(`${what}: ${scenario.label} ...`);
    const row = phaseRow(await runPhase(input.url, strategy, scenario));
    result.phases.push(row);
    logPhase(log, row);
  } else {
    const members = step.phases.filter((phase) => sections.has(phase.strategy));
    const shapes = sections.has("limit") ? step.limits : [];
    const what = `${step.name} (interleaved: ${[...shapes.map((shape) => `limit ${shape}`), ...members.map((m) => `${m.strategy} ${m.scenario.id}`)].join(", ")})`;
    if (members.length === 0 || !(await enough(what, step.concurrency * (members.length + shapes.length)))) return;
    log(`${what}, ${step.rounds} rounds ...`);
    const measured = await runInterleaved(input.url, limit.url, step, members, shapes);
    for (const [shape, load] of measured.limits) {
      const row = limitRow(shape, step.concurrency, step.name, load);
      result.limitRows.push(row);
      log(`limit ${shape} c=${step.concurrency} [${step.name}]: ${row.perSec} tx/s, p50 ${row.latencyMs.p50} ms, client CPU ${row.clientCpuMsPerRequest} ms/tx`);
    }
    for (const phase of measured.phases) {
      const row = phaseRow(phase, step.name);
      result.phases.push(row);
      logPhase(log, row);
    }
  }
}

/** Enough free connections for `concurrency` plus the bench's own bookkeeping (and a stress run's warm-up tier), else a note. */
async function connectionsFor(input: StepsInput, what: string, concurrency: number): Promise<boolean> {
  const free = await freeConnections(input.url);
  if (free >= concurrency + 2) return true;
  input.notes.push(`${what} skipped: the server had ${free} free connections, it needs ${concurrency + 2} (max_connections, other clients)`);
  input.log(`${what} SKIPPED: only ${free} free connections`);
  return false;
}

function logPhase(log: Log, row: PhaseRow): void {
  log(`${row.strategy} ${row.scenario}: ${row.perSec} req/s, ${row.acceptedPerSec} accepted/s, p50 ${row.latencyMs.p50} ms, client CPU ${row.clientCpuMsPerRequest} ms/req, exact ${row.invariants.ok}`);
}
