/**
 * `hotel check`, the integrity audit: one named query per check under
 * src/core/check/, run and timed by checkIntegrity().
 */
export { CHECKS, checkIntegrity, describeProblem, type IntegrityReport, type Problem } from "./check/index.js";
