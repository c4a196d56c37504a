#!/usr/bin/env node
// `npm run bench`: bundles bench/main.ts (and the src/ modules it uses) with
// esbuild into bench/.build/, then runs it. Dependencies stay in node_modules;
// the bundle sits inside the package so that src/db/paths.ts finds prisma/.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, ".build", "bench.mjs");
await build({
  entryPoints: [path.join(here, "main.ts")],
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
// Prisma's WebAssembly keeps background threads busy after the last query: exit explicitly.
await new Promise((resolve) => process.stdout.write("", resolve));
process.exit(code);
