import net from "node:net";

/** What node-pg keeps about a connected client that a cancel request needs. */
interface Cancellable {
  host?: string;
  port?: number;
  processID?: number | null;
  secretKey?: number | null;
}

const CANCEL_REQUEST_CODE = 80877102;
const CANCEL_TIMEOUT_MS = 2000;

/**
 * Asks the server to cancel whatever `client` is running, with the protocol's
 * CancelRequest (what libpq's PQcancel sends) on a new socket, keyed on the
 * backend key the client got at login. Unlike `pg_cancel_backend(pid)` this
 * also works through a pooler: PgBouncer hands its clients keys of its own
 * and forwards a cancel to the server connection that client is using, while
 * the pid a client sees through it names no server backend. Resolves when
 * the server has closed the socket (it has acted on the request), or after
 * CANCEL_TIMEOUT_MS; never rejects.
 *
 * As libpq does, we send the key and wait for the peer to close, without
 * closing our side: PgBouncer 1.18 exits with "FATAL ... disconnect_client():
 * bad client state: 0", dropping every client, when a cancel client
 * disconnects before PgBouncer has finished forwarding its request (sending
 * the key with end() rather than write() did that every time in our tests).
 * On timeout the socket is left to the peer or to process exit rather than
 * closed early, for the same reason.
 */
export function sendCancelRequest(client: Cancellable): Promise<void> {
  const { host, port, processID, secretKey } = client;
  if (typeof processID !== "number" || typeof secretKey !== "number" || port === undefined) return Promise.resolve();
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  return new Promise((resolve) => {
    const socket = host?.startsWith("/") ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host ?? "localhost");
    socket.setTimeout(CANCEL_TIMEOUT_MS, () => {
      socket.unref();
      resolve();
    });
    socket.on("connect", () => socket.write(packet));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve());
  });
}
