import { defineConfig } from "vitest/config";
import { LongestFirst } from "./tests/support/sequencer.js";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    // A test worker stands in for the built CLI when a run in it starts processes.
    setupFiles: ["tests/support/worker-process.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files run in parallel workers, each on its own database; two cores.
    maxWorkers: 2,
    // A worker runs its files one after another in one process, loading the
    // modules (Prisma's client among them) once instead of once per file:
    // that load was a third of the suite's CPU. Files share no rows (each has
    // its own database), so a file must only leave no process state behind
    // (fake timers, environment, listeners) for the next one.
    isolate: false,
    sequence: { sequencer: LongestFirst },
  },
});
