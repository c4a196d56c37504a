/**
 * `hotel check`, the integrity audit: one named query per check under
 * src/core/check/, run and timed by checkIntegrity(); `check --repair`'s
 * rebuild of the derived counts and marks is repairIntegrity().
 */
export { CHECKS, checkIntegrity, describeProblem, type IntegrityReport, type Problem } from "./check/index.js";
export { describeRepair, repairIntegrity, type Repair, type RepairOptions } from "./check/repair.js";
