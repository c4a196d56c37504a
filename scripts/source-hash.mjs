// The hash of everything the build turns into dist/: src/ (less the generated
// Prisma client, which the build regenerates from prisma/), prisma/, the
// build's own configuration and the package's version. tsup.config.ts writes
// it to dist/source-hash at build time; the end-to-end tests compare it with
// the tree's, so they refuse to test a stale dist/.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const INPUTS = ["src", "prisma", "tsup.config.ts", "package.json"];
const SKIP = new Set([path.join("src", "generated")]);

function files(root, relative) {
  const full = path.join(root, relative);
  let entries;
  try {
    entries = readdirSync(full, { withFileTypes: true });
  } catch (error) {
    if (error.code === "ENOTDIR") return [relative];
    if (error.code === "ENOENT") return [];
    throw error;
  }
  return entries
    .filter((entry) => !SKIP.has(path.join(relative, entry.name)))
    .flatMap((entry) => (entry.isDirectory() ? files(root, path.join(relative, entry.name)) : [path.join(relative, entry.name)]));
}

/** sha256 over the sorted paths and contents of the build's inputs under `root`. */
export function sourceHash(root) {
  const hash = createHash("sha256");
  for (const file of INPUTS.flatMap((input) => files(root, input)).sort()) {
    hash.update(`${file.split(path.sep).join("/")}\0`);
    hash.update(readFileSync(path.join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

export const SOURCE_HASH_FILE = "source-hash";
