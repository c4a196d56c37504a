// `node --import ./tests/support/trace-imports.mjs ...` appends the URL of
// every module the program imports to $HOTEL_TRACE_IMPORTS, one per line
// (tests/cli-e2e.test.ts checks what --help and --version load).
import { register } from "node:module";

register("./trace-imports-hooks.mjs", import.meta.url);
