import v8 from "node:v8";

/**
 * Entry point of the bundle: run, let stdout drain, exit with the code.
 *
 * Short commands pay mostly for V8 optimising Prisma's query-compiler
 * WebAssembly in background threads, which Node waits for even at exit.
 * Liftoff-only (baseline) compilation cuts a one-shot command by ~40%; long
 * runs (stress, serve, the stress workers) keep the optimising tier.
 */
const LONG_RUNNING = new Set(["stress", "stress-worker", "serve"]);

export async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  if (!argv.some((arg) => LONG_RUNNING.has(arg))) v8.setFlagsFromString("--liftoff-only");
  const { main } = await import("./cli/main.js");
  const { processIO } = await import("./cli/io.js");
  // main() resolves once the command ended or an interruption was cleaned up
  // and reported; whatever work was abandoned dies with the process here.
  const code = await main(argv, processIO());
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}
