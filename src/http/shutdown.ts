import type { Server } from "node:http";

export interface Shutdown {
  /** Resolves once every connection is gone; `forced` if some had to be cut. */
  done: Promise<{ forced: boolean }>;
  /** Cuts the remaining connections now (a second Ctrl-C). */
  force(): void;
}

/**
 * Graceful stop: refuse new connections at once, let requests in flight finish
 * with their real response (sent with `Connection: close`, see server.ts),
 * close idle keep-alive connections, and after `graceMs` cut whatever is left.
 * A request cut that way was mid-transaction at worst, and PostgreSQL rolls
 * that back when its connection closes, so nothing is half-written.
 */
export function stopAccepting(server: Server, graceMs: number): Shutdown {
  let forced = false;
  const done = new Promise<{ forced: boolean }>((resolve) => {
    server.close(() => resolve({ forced }));
  });
  // Node closes idle connections on close(); a keep-alive socket that becomes
  // idle later is closed by its response's Connection: close.
  server.closeIdleConnections();
  const force = (): void => {
    forced = true;
    server.closeAllConnections();
  };
  const timer = setTimeout(force, graceMs);
  void done.then(() => clearTimeout(timer));
  return { done, force };
}
