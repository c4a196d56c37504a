import pg from "pg";
import { HotelError } from "../core/errors.js";
import { openConnection, withConnection } from "../db/database.js";

/**
 * Where a stress run's own SQL goes (creating, filling, auditing and
 * dropping its scratch schema): a URL, for a new connection each time, or
 * the run's bookkeeping session.
 */

const CONNECT_TIMEOUT_MS = 10_000;

/** Runs one step of bookkeeping SQL on a connection: a session's, or a new one. */
export type Connect = <T>(work: (client: pg.Client) => Promise<T>) => Promise<T>;

/** A URL (a new connection for each step) or a session's connection. */
export type PgTarget = string | Connect;

/** A plain connection for the run's own bookkeeping, with its longer connect timeout. */
export const withPg = <T>(target: PgTarget, work: (client: pg.Client) => Promise<T>): Promise<T> =>
  typeof target === "string" ? withConnection(target, work, CONNECT_TIMEOUT_MS) : target(work);

/**
 * One connection for a run's own bookkeeping (the sweep, sizing, creating
 * and filling the schema, reading the final rows) instead of a new backend
 * for each step; steps run one at a time. It is opened on first use, and
 * again if the server ended it. Its application_name is the scratch
 * schema's, so that the sweep of any other run sees this one alive. close()
 * ends it, and whatever it was running.
 */
export class BookkeepingSession {
  private client?: Promise<pg.Client>;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly url: string) {}

  readonly run: Connect = (work) => {
    const step = this.queue.then(() => this.runNow(work));
    this.queue = step.catch(() => undefined);
    return step;
  };

  private async runNow<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new HotelError("INTERNAL", "the stress run's bookkeeping connection is closed");
    return work(await (this.client ??= this.open()));
  }

  /** A connection that is forgotten once it ends or fails to open, so that the next step opens another. */
  private open(): Promise<pg.Client> {
    const pending = openConnection(this.url, CONNECT_TIMEOUT_MS);
    pending.then(
      (client) => client.once("end", () => this.forget(pending)),
      () => this.forget(pending),
    );
    return pending;
  }

  private forget(client: Promise<pg.Client>): void {
    if (this.client === client) this.client = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.client;
    this.client = undefined;
    await pending?.then((client) => client.end()).catch(() => undefined);
  }
}
