/**
 * The embedded default's public face; the parts live in ./embedded/:
 * home.ts (where the files are), lock.ts (run/lock), processes.ts (is our
 * postmaster up), server-user.ts and binaries.ts (who runs what), server.ts
 * (initdb, start, stop) and lease.ts (sharing one server between invocations).
 */
export { hotelHome } from "./embedded/home.js";
export { acquireEmbeddedServer, embeddedServerRunning, stopEmbeddedServer, type EmbeddedLease } from "./embedded/lease.js";
