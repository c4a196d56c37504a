import { randomInt } from "node:crypto";
import { onTestFailed } from "vitest";

/**
 * The seed of a random test: HOTEL_TEST_SEED when set (to repeat a failed
 * run), else a fresh one. Call it inside the test: when the test fails, the
 * seed is printed with how to repeat the run.
 */
export function testSeed(): number {
  const fromEnv = process.env.HOTEL_TEST_SEED;
  const seed = fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : randomInt(0, 2 ** 32);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`HOTEL_TEST_SEED must be a whole number below 2^32, got "${fromEnv}"`);
  onTestFailed(({ task }) => {
    process.stderr.write(`\n${task.name}: failed with seed ${seed}; repeat it with HOTEL_TEST_SEED=${seed}\n`);
  });
  return seed;
}
