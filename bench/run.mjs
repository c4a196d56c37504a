#!/usr/bin/env node
// `npm run bench`: bench/main.ts, bundled and run (bench/bundle.mjs).
import { runBundled } from "./bundle.mjs";

await runBundled("main.ts");
