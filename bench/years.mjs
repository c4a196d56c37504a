#!/usr/bin/env node
// The "years" bench group on its own: bundles bench/years.ts (as run.mjs
// does for bench/main.ts) and runs its main(). Needs `npm run build`.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, ".build", "years.mjs");
await build({
  entryPoints: [path.join(here, "years.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
});
const { main } = await import(pathToFileURL(outfile).href);
const code = await main(process.argv.slice(2));
await new Promise((resolve) => process.stdout.write("", resolve));
process.exit(code);
