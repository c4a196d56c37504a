import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root, found by walking up from this file: the same code runs
 * from `src/db/` under vitest and from the bundle in `dist/`.
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "prisma", "migrations"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the hotel package root (prisma/migrations is missing)");
    dir = parent;
  }
}

export const migrationsDir = (): string => path.join(packageRoot(), "prisma", "migrations");
