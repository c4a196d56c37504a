/**
 * The stress library: a load generator over the booking core, latency
 * statistics and an invariant oracle. `hotel stress` is a thin shell over it.
 */
export { resolveStressConfig, requestAt, guestNameOf, requestIndexOf, SCENARIOS, STRATEGIES, type StressConfig, type StressOptions, type StressScenario, type StressStrategy, type TierPlan } from "./config.js";
export { runStress, type StressEnvironment, type StressPhase } from "./run.js";
export { audit, type AuditBooking, type AuditInput, type AuditRefusal, type AuditResult, type AuditSuite, type AuditFinding } from "./oracle.js";
export { percentile, distribution, sortedSamples, clock, roundMs, type Distribution } from "./stats.js";
export { bookSeedDesign } from "./seed-strategy.js";
export { type StressReport } from "./report.js";
export { type Progress } from "./results.js";
export { inspectionHints, SCRATCH_PREFIX } from "./scratch.js";
export { encodeWorkerError, parseWorkerPlan, runWorker, WORKER_URL_ENV, type WorkerLauncher, type WorkerPlan } from "./workers.js";
