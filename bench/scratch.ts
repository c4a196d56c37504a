import { createScratchSchema, dropScratchSchema, newScratchName, type ScratchSchema } from "../src/stress/scratch.js";

/**
 * What the bench must drop if it is interrupted (SIGINT/SIGTERM): the stress
 * runs register their teardown here, and the limit and overhead measurements
 * get scratch schemas of their own from withScratch.
 */

const cleanups = new Set<() => Promise<void>>();

/** Drops whatever is still open. */
export async function runCleanups(): Promise<void> {
  await Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
}

/** Registers `cleanup` until the returned function unregisters it (the shape stress runs expect). */
export function registerCleanup(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** A migrated scratch schema with no inventory, dropped afterwards even when `work` fails or the bench is interrupted. */
export async function withScratch<T>(baseUrl: string, work: (scratch: ScratchSchema) => Promise<T>): Promise<T> {
  const name = newScratchName();
  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> => (dropped ??= dropScratchSchema(baseUrl, name));
  const unregister = registerCleanup(drop);
  try {
    return await work(await createScratchSchema(baseUrl, name));
  } finally {
    unregister();
    await drop();
  }
}
