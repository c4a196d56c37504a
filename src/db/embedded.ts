/**
 * The embedded default's public face; the parts live in ./embedded/:
 * home.ts (where the files are), lock.ts (run/lock), processes.ts (is our
 * postmaster up), server-user.ts, binaries.ts and binary-cache.ts (who runs
 * what, from where), server.ts (initdb, start, stop), storage.ts (full or
 * unwritable disks) and lease.ts (sharing one server between invocations).
 */
export { hotelHome } from "./embedded/home.js";
export { acquireEmbeddedServer, embeddedServerRunning, reviveEmbeddedServer, stopEmbeddedServer, type EmbeddedLease } from "./embedded/lease.js";
