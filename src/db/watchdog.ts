import type pg from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { toHotelError } from "../core/sqlstate.js";
import type { Database } from "./database.js";
import { redactSecrets } from "./url.js";

/**
 * Watches whether a long-running process (`hotel serve`) can reach its
 * database, and says so once per change: one event when it goes, one when it
 * is back. On the embedded default it also starts the server again when it
 * died (killed, crashed, OOM): PostgreSQL's crash recovery keeps every
 * committed transaction, and requests meanwhile get 503 + Retry-After.
 */

export type ReachabilityEvent =
  | { event: "database-unreachable"; message: string; reason: string }
  | { event: "database-restart-failed"; message: string; reason: string }
  | { event: "database-reachable"; message: string; downMs: number; restarted: boolean };

export interface WatchdogOptions {
  /** Between probes while the database answers. */
  intervalMs?: number;
  /** First pause between probes while it does not; doubles up to `intervalMs * 4`. */
  retryMs?: number;
  /** A probe that takes longer fails. */
  probeTimeoutMs?: number;
}

export interface Watchdog {
  /** Stops watching at once; resolves when a restart in flight (if any) is over. */
  stop(): Promise<void>;
}

interface Probe {
  check(): Promise<void>;
  close(): void;
}

/**
 * One kept connection and `SELECT 1`. A kept connection that fails is tried
 * once more afresh, so that a connection closed by a pooler or an admin is
 * not reported as an outage; a failed or slow probe drops it.
 */
function connectionProbe(db: Database, timeoutMs: number): Probe {
  let client: pg.Client | undefined;
  const drop = (): void => {
    // Not awaited: ending a connection to a server that stopped answering may hang.
    void client?.end().catch(() => undefined);
    client = undefined;
  };
  const once = async (): Promise<void> => {
    if (!client) {
      client = db.newClient();
      await client.connect();
    }
    await client.query("SELECT 1");
  };
  const answer = async (): Promise<void> => {
    const kept = client !== undefined;
    await once().catch(async (error: unknown) => {
      drop();
      if (!kept) throw error;
      await once();
    });
  };
  return {
    async check() {
      const timeout = sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`the database did not answer within ${timeoutMs} ms`);
      });
      await Promise.race([answer(), timeout]).catch((error: unknown) => {
        drop();
        throw error;
      });
    },
    close: drop,
  };
}

/** The embedded default's restart, for a watchdog; loaded only when the database is embedded. */
async function embeddedRevive(db: Database): Promise<(() => Promise<boolean>) | undefined> {
  const { home } = db;
  if (home === undefined) return undefined;
  const { reviveEmbeddedServer } = await import("./embedded.js");
  return () => reviveEmbeddedServer(home);
}

const reasonOf = (error: unknown, server: string): string => redactSecrets(toHotelError(error, server).message);

/** One outage, from the first failed probe to the first answered one. */
interface Outage {
  since: number;
  restarted: boolean;
  restartFailed: boolean;
}

export function watchDatabase(db: Database, report: (event: ReachabilityEvent) => void, options: WatchdogOptions = {}): Watchdog {
  const intervalMs = options.intervalMs ?? 500;
  const retryMs = options.retryMs ?? 100;
  const probe = connectionProbe(db, options.probeTimeoutMs ?? 3000);
  const stopped = new AbortController();
  let outage: Outage | undefined;
  const loop = (async () => {
    const revive = await embeddedRevive(db);
    let pause = intervalMs;
    let backoff = retryMs;
    while (!stopped.signal.aborted) {
      await sleep(pause, undefined, { signal: stopped.signal }).catch(() => undefined);
      if (stopped.signal.aborted) break;
      const failure = await probe.check().then(() => undefined, (error: unknown) => error ?? new Error("probe failed"));
      if (failure === undefined) {
        if (outage) report(recovered(outage));
        outage = undefined;
        pause = intervalMs;
        backoff = retryMs;
        continue;
      }
      if (!outage) {
        outage = { since: Date.now(), restarted: false, restartFailed: false };
        const reason = reasonOf(failure, db.server);
        report({ event: "database-unreachable", message: `the database is unreachable (${reason}); answering 503 until it is back`, reason });
      }
      // Quick retries while it is down, easing off towards a few seconds.
      pause = backoff;
      backoff = Math.min(backoff * 2, intervalMs * 4);
      // Probes at once after a restart, so that its recovery is told as soon as it is true.
      if (revive && (await restart(revive, outage, db.server, report))) pause = 0;
    }
  })();
  return {
    async stop() {
      stopped.abort();
      // Ends a probe in flight at once; a restart in flight finishes first.
      probe.close();
      await loop;
      // An outage that ended since the last probe is told before the last word.
      if (outage && (await probe.check().then(() => true, () => false))) report(recovered(outage));
      probe.close();
    },
  };
}

function recovered(outage: Outage): ReachabilityEvent {
  const downMs = Date.now() - outage.since;
  const how = outage.restarted ? " (restarted the embedded PostgreSQL; its crash recovery keeps every committed booking)" : "";
  return { event: "database-reachable", message: `the database is reachable again after ${(downMs / 1000).toFixed(1)} s${how}`, downMs, restarted: outage.restarted };
}

/**
 * Starts the embedded server again, and says whether it did; a failure is
 * reported once per outage, and tried again at the next probe.
 */
async function restart(revive: () => Promise<boolean>, outage: Outage, server: string, report: (event: ReachabilityEvent) => void): Promise<boolean> {
  try {
    if (!(await revive())) return false;
    outage.restarted = true;
    return true;
  } catch (error) {
    const reason = reasonOf(error, server);
    if (!outage.restartFailed) report({ event: "database-restart-failed", message: `could not restart the embedded PostgreSQL (${reason}); trying again`, reason });
    outage.restartFailed = true;
    return false;
  }
}
