import { FLASH_NIGHT_KEY } from "./scenarios.js";
import { openLimit, type LimitResult, type LimitShape, type OpenLimit } from "./limit.js";
import { openPhase, type OpenPhase, type PhaseResult } from "./phase.js";
import type { PhaseSpec, Step } from "./plan.js";

/**
 * Runs the limit shapes and the phases of one group in alternating slices:
 * each round gives every limit `limitSlice` and every phase the next
 * 1/rounds of its requests, the order reversed every other round.
 */
export async function runInterleaved(
  baseUrl: string,
  limitUrl: string,
  step: Extract<Step, { kind: "interleaved" }>,
  members: PhaseSpec[],
  shapes: LimitShape[],
): Promise<{ limits: [LimitShape, LimitResult][]; phases: PhaseResult[] }> {
  const limits: [LimitShape, OpenLimit][] = [];
  const opened: OpenPhase[] = [];
  try {
    for (const shape of shapes) limits.push([shape, await openLimit(limitUrl, FLASH_NIGHT_KEY, shape, step.concurrency)]);
    for (const member of members) opened.push(await openPhase(baseUrl, member.strategy, member.scenario));
    for (let round = 0; round < step.rounds; round++) {
      const slices: (() => Promise<void>)[] = [
        ...limits.map(([, limit]) => () => limit.runFor(step.limitSlice.n, step.limitSlice.seconds)),
        ...opened.map((phase, i) => () => phase.runUntil(Math.ceil(((members[i] as PhaseSpec).scenario.n * (round + 1)) / step.rounds))),
      ];
      if (round % 2 === 1) slices.reverse();
      for (const slice of slices) await slice();
    }
    // A phase cut short by its time cap still reports; one with requests left over finishes them now.
    for (const [i, phase] of opened.entries()) await phase.runUntil((members[i] as PhaseSpec).scenario.n);
    const results: PhaseResult[] = [];
    while (opened.length > 0) results.push(await (opened.shift() as OpenPhase).finish());
    return { limits: limits.map(([shape, limit]) => [shape, limit.result()]), phases: results };
  } finally {
    for (const phase of opened) await phase.abandon().catch(() => undefined);
    for (const [, limit] of limits) await limit.close();
  }
}
