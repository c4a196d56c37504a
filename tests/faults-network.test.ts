import net, { type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { cleanEnv, waitFor } from "./support/cli.js";
import { createTestDatabase, createTier } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";
import { request, startServe } from "./support/served.js";

// The network between hotel and an external database: refused, cut, restored.

/** A TCP proxy to the database of `raw`, whose network can be cut and restored. */
async function tcpProxy(raw: string): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const target = new URL(raw);
  const socketDir = target.searchParams.get("host");
  const upstream = socketDir?.startsWith("/") ? { path: `${socketDir}/.s.PGSQL.${target.port || 5432}` } : { host: target.hostname, port: Number(target.port || 5432) };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(upstream);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        server.destroy();
      });
    }
    client.pipe(server).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const proxied = new URL(raw);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(port);
  proxied.searchParams.delete("host");
  return {
    url: proxied.toString(),
    async cut() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    restore: () => listen(port),
  };
}

describe("the network between hotel and an external database", () => {
  /** A TCP server that answers PostgreSQL's first message with `reply` (or hangs up when undefined). */
  async function fakeServer(reply: string | undefined): Promise<{ url: string; close(): void }> {
    const server = net.createServer((socket) => {
      socket.once("data", () => (reply === undefined ? socket.destroy() : socket.write(reply)));
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `postgresql://hotel:s3cret-pw@127.0.0.1:${port}/hotel`, close: () => server.close() };
  }

  it.each([
    ["refuses TLS that the URL requires", 78, "N", "?sslmode=verify-full", /^error: Secure connection to 127\.0\.0\.1:\d+ failed: .*does not support SSL connections: check sslmode in the URL$/],
    ["hangs up at once", 69, undefined, "", /^error: Database unreachable at 127\.0\.0\.1:\d+: is PostgreSQL running there\?$/],
  ] as const)("a server that %s: exit %i, one line, never the password", async (_label, code, reply, query, message) => {
    const fake = await fakeServer(reply);
    try {
      const result = await runInProcess(["bookings", "--database-url", `${fake.url}${query}`]);
      expect(result.code).toBe(code);
      expect(result.stderr.trim()).toMatch(message);
      expect(result.stderr).not.toContain("s3cret-pw");
    } finally {
      fake.close();
    }
  });

  it("hotel serve whose database goes away and comes back: 503 meanwhile, one line each way; a connection an admin closes is no outage", async () => {
    const db = await createTestDatabase();
    const proxy = await tcpProxy(db.url);
    const served = await startServe(["--database-url", proxy.url], cleanEnv());
    const book = (day: string) => request(`${served.url}/api/bookings`, "POST", { tier: "net", checkIn: `2031-09-${day}`, nights: 1, guestName: `Net ${day}` });
    const probes = async () => (await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query = 'SELECT 1'`, [db.name])).map((row) => row.pid);
    try {
      await createTier(db, "net", 3, "N");
      expect((await book("01")).status).toBe(201);

      // An admin (or a pooler) closes the watchdog's connection: it reconnects without a word.
      await waitFor(async () => (await probes()).length === 1, 10_000, "the watchdog's connection");
      const [first] = await probes();
      await db.query(`SELECT pg_terminate_backend($1)`, [first]);
      await waitFor(async () => (await probes()).some((pid) => pid !== first), 10_000, "the watchdog to reconnect");
      expect(served.stderr()).not.toMatch(/unreachable/);

      await proxy.cut();
      await waitFor(async () => /the database is unreachable/.test(served.stderr()), 10_000, "the outage line");
      const meanwhile = await book("02");
      expect(meanwhile.status).toBe(503);
      expect(meanwhile.headers.get("retry-after")).toBe("5");
      expect(meanwhile.json.code).toBe("DB_UNAVAILABLE");

      await proxy.restore();
      await waitFor(async () => /the database is reachable again after \d+\.\d s/.test(served.stderr()), 10_000, "the recovery line");
      expect((await book("03")).status).toBe(201);
      expect((await served.stop()).code).toBe(0);
      const changes = served.stderr().split("\n").filter((line) => /^hotel serve: the database is/.test(line));
      expect(changes).toHaveLength(2);
      expect(changes[0]).toMatch(/^hotel serve: the database is unreachable \(Database unreachable at 127\.0\.0\.1:\d+: is PostgreSQL running there\?\); answering 503 until it is back$/);
      expect(served.events.map((event) => event.event).filter((event) => String(event).startsWith("database-"))).toEqual(["database-unreachable", "database-reachable"]);
      expect(await db.query(`SELECT guest_name FROM bookings ORDER BY id`)).toEqual([{ guest_name: "Net 01" }, { guest_name: "Net 03" }]);
    } finally {
      served.child.kill("SIGKILL");
      await proxy.cut();
      await db.drop();
    }
  });
});
