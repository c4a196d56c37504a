/**
 * The stress library: a load generator over the booking core (closed and
 * open models, in-process or over HTTP), latency statistics, an invariant
 * oracle and the reports. `hotel stress` and the bench are thin shells over it.
 */
export { resolveStressConfig, parseDuration, STRATEGIES, VIAS, STRESS_LIMITS, type StressConfig, type StressOptions, type StressStrategy, type StressVia } from "./config.js";
export { SCENARIOS, MIXED_SCENARIOS, isMixedScenario, requestAt, operationAt, guestNameOf, requestIndexOf, type StressScenario, type StressOperation, type TierPlan } from "./scenarios.js";
export { runStress, openScratchRun, type ScratchRun, type StressEnvironment, type StressPhase } from "./run.js";
export { judgeRun, type JudgedBooking, type RunEvidence, type JudgedRefusal, type Judgement, type JudgedSuite, type Finding } from "./oracle.js";
export { Histogram, histogramOf, clock, roundMs, type Percentiles, type HistogramBin } from "./stats.js";
export { LoadDriver, LATE_START_MS, StopRun, type LoadShape, type Task } from "./driver.js";
export { RunRecorder, OUTCOME, type Progress, type RequestResult, type TaskAnswer } from "./results.js";
export { bookSerializable } from "./serializable-strategy.js";
export { bookerFor, type Booker, type StressTarget } from "./targets.js";
export { type StressReport } from "./report.js";
export { inspectionHints, SCRATCH_PREFIX } from "./scratch.js";
export { packageLauncher, scriptLauncher, serveSchemaFromEnv, type CliLauncher } from "./own-server.js";
export { encodeWorkerError, parseWorkerPlan, runWorker, WORKER_TOKEN_ENV, WORKER_URL_ENV, type WorkerPlan } from "./workers.js";
