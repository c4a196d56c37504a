import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LoadDriver } from "../src/stress/driver.js";
import { inheritedNodeOptions } from "../src/stress/own-server.js";
import { OUTCOME, RunRecorder, type RequestResult, type TaskAnswer } from "../src/stress/results.js";
import { arrivalSchedule } from "../src/stress/schedule.js";
import { Histogram, histogramOf } from "../src/stress/stats.js";
import { Timeline } from "../src/stress/timeline.js";

// The load driver, the statistics and the launch options, without a database: tasks are plain
// promises that take a known time.

const accepted: TaskAnswer = { operation: "book", outcome: OUTCOME.accepted, status: 201, lockWaitMs: Number.NaN };

/** A seeded stream of positive values spanning microseconds to seconds. */
function samples(count: number, seed: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return Math.exp((state / 2 ** 32) * 14 - 7); // ~0.001 ms .. ~1100 ms
  });
}

describe("histogram", () => {
  it("reports nearest-rank percentiles within 1/1024 of the exact ones, never below them", () => {
    const seed = 20261201;
    const values = samples(20_000, seed);
    const histogram = histogramOf(values);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
      const reported = histogram.percentile(p);
      expect(reported, `p${p}, seed ${seed}`).toBeGreaterThanOrEqual(exact - 0.0005);
      expect(reported, `p${p}, seed ${seed}`).toBeLessThanOrEqual(Math.max(exact * (1 + 1 / 1024), exact + 0.001));
    }
    expect(histogram.max).toBe(sorted.at(-1));
    expect(histogram.count).toBe(20_000);
  });

  it("is exact to the microsecond below 2.048 ms, ignores NaN and reports 0 when empty", () => {
    const histogram = histogramOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => v / 10).concat(Number.NaN));
    expect(histogram.percentiles()).toEqual({ p50: 0.5, p90: 0.9, p95: 1, p99: 1, p999: 1, max: 1 });
    expect(histogram.count).toBe(10);
    expect(new Histogram().percentiles()).toEqual({ p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
  });

  it("keeps a fixed size however many values it holds", () => {
    const histogram = new Histogram();
    for (let i = 0; i < 200_000; i++) histogram.record(1 + (i % 500));
    expect(histogram.count).toBe(200_000);
    expect(histogram.percentile(50)).toBeCloseTo(250, 0);
  });

  it("bins a distribution on a log scale and keeps every value", () => {
    const histogram = histogramOf(samples(1000, 7));
    const bins = histogram.bins(20);
    expect(bins).toHaveLength(20);
    expect(bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(1000);
    for (let i = 1; i < bins.length; i++) expect((bins[i] as { fromMs: number }).fromMs).toBeGreaterThan((bins[i - 1] as { fromMs: number }).fromMs);
  });

  it("a timeline keeps counts and coarse percentiles per second", () => {
    const timeline = new Timeline();
    timeline.record(0.2, "accepted", 10);
    timeline.record(0.9, "refused", 30);
    timeline.record(2.5, "busy", 5000);
    const series = timeline.series();
    expect(series.second).toEqual([0, 1, 2]);
    expect(series.accepted).toEqual([1, 0, 0]);
    expect(series.refused).toEqual([1, 0, 0]);
    expect(series.busy).toEqual([0, 0, 1]);
    expect(series.p99Ms[0]).toBeGreaterThanOrEqual(30);
    expect(series.p99Ms[0]).toBeLessThan(32);
    expect(series.p50Ms[1]).toBeNaN();
  });
});

describe("arrival schedule", () => {
  it("uniform arrivals are exactly 1/rate apart", () => {
    const schedule = arrivalSchedule(200, "uniform", 1);
    expect([0, 1, 2, 10].map((k) => schedule.offsetOf(k))).toEqual([0, 5, 10, 50]);
  });

  it("poisson arrivals average 1/rate apart and repeat with the seed", () => {
    const offsets = (seed: number): number[] => {
      const schedule = arrivalSchedule(100, "poisson", seed);
      return Array.from({ length: 5000 }, (_, k) => schedule.offsetOf(k));
    };
    const first = offsets(42);
    expect(offsets(42)).toEqual(first);
    expect(offsets(43)).not.toEqual(first);
    const meanGap = (first.at(-1) as number) / 4999;
    expect(meanGap).toBeGreaterThan(9.5);
    expect(meanGap).toBeLessThan(10.5);
    expect(() => arrivalSchedule(100, "poisson", 1).offsetOf(3) && arrivalSchedule(100, "poisson", 1).offsetOf(2)).not.toThrow();
  });
});

describe("load driver", () => {
  async function drive(shape: ConstructorParameters<typeof LoadDriver>[0], taskMs: number): Promise<{ results: RequestResult[]; driver: LoadDriver }> {
    const results: RequestResult[] = [];
    const driver = new LoadDriver(shape, async () => (await sleep(taskMs), accepted), (result) => results.push(result));
    await driver.run();
    return { results, driver };
  }

  it("open model: a slow server cannot hide its queue; late starts are counted, none dropped", async () => {
    // 100/s with one connection and 30 ms per request: each request waits for the one before.
    const { results } = await drive({ concurrency: 1, count: 12, durationMs: Infinity, arrivals: arrivalSchedule(100, "uniform", 1) }, 30);
    expect(results).toHaveLength(12);
    const last = results.find((result) => result.index === 11) as RequestResult;
    const service = last.endedAt - last.startedAt;
    const latency = last.endedAt - last.scheduledAt;
    // Scheduled at 110 ms, sent after 11 x 30 ms of work ahead of it.
    expect(latency).toBeGreaterThan(service + 150);
    expect(results.filter((result) => result.late).length).toBeGreaterThanOrEqual(10);
    const first = results.find((result) => result.index === 0) as RequestResult;
    expect(first.late).toBe(false);
  });

  it("open model: with enough connections requests leave on schedule", async () => {
    const { results } = await drive({ concurrency: 20, count: 10, durationMs: Infinity, arrivals: arrivalSchedule(50, "uniform", 1) }, 30);
    const byIndex = [...results].sort((a, b) => a.index - b.index);
    const origin = (byIndex[0] as RequestResult).scheduledAt;
    for (const result of byIndex) expect(result.scheduledAt - origin).toBeCloseTo(result.index * 20, -1);
    // Arrivals 20 ms apart, each taking 30 ms: they overlap, so the start gaps are the schedule's, not the latency's.
    expect((byIndex[9] as RequestResult).startedAt - (byIndex[0] as RequestResult).startedAt).toBeLessThan(9 * 30);
  });

  it("closed model: at most `concurrency` in flight, the schedule is the start", async () => {
    let inFlight = 0;
    let most = 0;
    const results: RequestResult[] = [];
    const driver = new LoadDriver(
      { concurrency: 3, count: 12, durationMs: Infinity },
      async () => {
        most = Math.max(most, ++inFlight);
        await sleep(5);
        inFlight--;
        return accepted;
      },
      (result) => results.push(result),
    );
    await driver.run();
    expect(most).toBe(3);
    expect(results.map((result) => result.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    for (const result of results) expect(result.scheduledAt).toBe(result.startedAt);
    expect(driver.cpuMs).toBeGreaterThanOrEqual(0);
  });

  it("a duration stops new requests; slices go on where the last one stopped", async () => {
    const { results, driver } = await drive({ concurrency: 2, count: Infinity, durationMs: 60 }, 10);
    expect(driver.done).toBe(true);
    expect(results.length).toBeGreaterThan(4);
    expect(results.length).toBeLessThan(30);

    const sliced: RequestResult[] = [];
    const slices = new LoadDriver({ concurrency: 2, count: 10, durationMs: Infinity }, async () => accepted, (result) => sliced.push(result));
    await slices.run({ until: 4 });
    expect(sliced).toHaveLength(4);
    expect(slices.done).toBe(false);
    await slices.run();
    expect(sliced.map((result) => result.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it("a worker's share: requests w, w+P, w+2P ...", async () => {
    const { results } = await drive({ concurrency: 2, count: 4, durationMs: Infinity, indexAt: (k) => 1 + k * 3 }, 1);
    expect(results.map((result) => result.index).sort((a, b) => a - b)).toEqual([1, 4, 7, 10]);
  });
});

describe("run recorder", () => {
  const result = (index: number, outcome: RequestResult["outcome"], at: number): RequestResult => ({
    ...accepted,
    outcome,
    index,
    scheduledAt: at,
    startedAt: at + 1,
    endedAt: at + 5,
    late: false,
  });

  it("counts by outcome, keeps what the oracle needs per request and refuses a request reported twice", () => {
    const recorder = new RunRecorder();
    recorder.start(1000);
    recorder.record(result(0, OUTCOME.accepted, 1000));
    recorder.record(result(70_000, OUTCOME.noAvailability, 1010));
    expect(recorder.progress(null)).toMatchObject({ done: 2, accepted: 1, refused: 1 });
    expect(recorder.span).toBe(70_001);
    expect(recorder.endedAt(70_000)).toBe(1015);
    expect(recorder.reportedAt(70_000)).toBe("refused");
    expect(recorder.reportedAt(5)).toBeUndefined();
    expect(recorder.missing(3)).toEqual([1, 2]);
    expect(recorder.byOutcome.refused.count).toBe(1);
    expect(() => recorder.record(result(0, OUTCOME.accepted, 1020))).toThrow(/twice/);
  });
});

describe("the processes a run starts", () => {
  it("inherit the run's Node options, except the inspector's, whose port one process holds", () => {
    expect(inheritedNodeOptions(["--max-old-space-size=4096", "--inspect=9229", "--liftoff-only", "--inspect-brk", "--debug-port=9230"])).toEqual([
      "--max-old-space-size=4096",
      "--liftoff-only",
    ]);
    expect(inheritedNodeOptions([])).toEqual([]);
  });
});
