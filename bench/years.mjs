#!/usr/bin/env node
// The "years" bench group on its own: bench/years.ts, bundled and run as
// `npm run bench` runs bench/main.ts (bench/bundle.mjs). Needs `npm run build`.
import { runBundled } from "./bundle.mjs";

await runBundled("years.ts");
