import { BIN, CLI_NODE_ARGS } from "./cli.js";

// Every test file starts with this (vitest.config.ts, setupFiles). The CLI
// and the stress library start worker processes and a stress run's own
// `hotel serve` from the running script (process.argv[1]) with this
// process's Node options (process.execArgv). In a test worker those are
// vitest's: for the processes a run in a test starts, this worker is the
// built CLI (`npm run build` first), with the options of a spawned one.
process.argv[1] = BIN;
process.execArgv.splice(0, process.execArgv.length, ...CLI_NODE_ARGS);
