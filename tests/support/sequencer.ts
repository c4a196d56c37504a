import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The longest files first, so that the two workers end together instead of
 * one running a long file alone at the end. Vitest orders by the durations
 * it cached from earlier runs; a fresh clone (CI) has none and would order by
 * file size, which starts several long files last. Without a cached duration
 * for every file, these start first, in this order (longest first, measured
 * 2026-12 on a 2-core machine); the rest follow in Vitest's order.
 */
const LONGEST = [
  "stress-cli.test.ts",
  "faults-storage.test.ts",
  "faults.test.ts",
  "stress-scenarios.test.ts",
  "embedded-root.test.ts",
  "embedded-cli.test.ts",
  "bookings-concurrency.test.ts",
  "stress-html.test.ts",
  "check-repair.test.ts",
  "embedded.test.ts",
  "stress-http.test.ts",
  "cli-prompts.test.ts",
  "embedded-nonroot.test.ts",
  "embedded-serve.test.ts",
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const cached = (spec: TestSpecification): boolean =>
      this.ctx.cache.getFileTestResults(`${spec.project.name}:${path.relative(this.ctx.config.root, spec.moduleId)}`) !== undefined;
    if (files.every(cached)) return sorted;
    const rank = (spec: TestSpecification): number => {
      const index = LONGEST.indexOf(path.basename(spec.moduleId));
      return index < 0 ? LONGEST.length : index;
    };
    // A stable sort: files of equal rank keep Vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
