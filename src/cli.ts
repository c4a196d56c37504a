import { main } from "./cli/main.js";

/** Entry point of the bundle: run, let stdout drain, exit with the code. */
export async function run(): Promise<void> {
  const code = await main();
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}
