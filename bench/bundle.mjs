// Bundles a bench entry point (and the src/ modules it uses) with esbuild
// into bench/.build/, runs its main() with the command line's arguments and
// exits with its code. Dependencies stay in node_modules; the bundle sits
// inside the package so that src/db/paths.ts finds prisma/.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));

/** `entry`: a file of bench/, e.g. "main.ts". */
export async function runBundled(entry) {
  const outfile = path.join(here, ".build", `${path.basename(entry, ".ts")}.mjs`);
  await build({
    entryPoints: [path.join(here, entry)],
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
}
