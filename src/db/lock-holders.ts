import type pg from "pg";

interface HolderRow {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  client_port: number | null;
  held_s: number | null;
}

/**
 * Who holds the advisory lock `key` (the one-bigint form) in this database,
 * as one phrase per holder for an error message: pid, application_name,
 * client address, and how long it has held the lock.
 *
 * PostgreSQL does not record when a lock was granted. A transaction lock is
 * no older than its transaction (xact_start); a session lock held by an idle
 * session was most likely taken by its last statement (query_start). Through
 * a pooler the pid is the server backend's and the client is the pooler.
 * Without pg_read_all_stats another role's client and times are hidden: then
 * they read "unknown".
 */
export async function describeLockHolders(client: pg.ClientBase, key: number): Promise<string[]> {
  const { rows } = await client.query<HolderRow>(
    `SELECT l.pid, a.application_name, host(a.client_addr) AS client_addr, a.client_port,
            round(extract(epoch FROM clock_timestamp() - coalesce(a.xact_start, a.query_start, a.backend_start)))::int AS held_s
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = (($1::bigint >> 32) & 4294967295)::text::oid
        AND l.objid = ($1::bigint & 4294967295)::text::oid
        AND l.objsubid = 1
      ORDER BY l.pid`,
    [key],
  );
  return rows.map(describeHolder);
}

function describeHolder(row: HolderRow): string {
  const application = row.application_name === null ? "unknown" : row.application_name === "" ? "(none)" : `"${row.application_name}"`;
  let from = "unknown";
  if (row.client_port === -1) from = "local socket";
  else if (row.client_addr !== null) from = row.client_port === null ? row.client_addr : `${row.client_addr}:${row.client_port}`;
  const held = row.held_s === null ? "for an unknown time" : `for about ${row.held_s} s`;
  return `pid ${row.pid} (application ${application}, client ${from}, holding it ${held})`;
}
