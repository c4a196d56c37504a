import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { DEFAULT_LOCK_TIMEOUT_MS } from "../core/book.js";
import type { Hotel } from "../core/hotel.js";
import { assertJsonContentType, DEFAULT_BODY_LIMIT_BYTES, parseJsonObject, payloadTooLarge, readBody } from "./body.js";
import { HttpError, toHttpError } from "./errors.js";
import { IDEMPOTENCY_KEY_HEADER } from "./requests.js";
import type { Handler, Reply, RequestContext, RequestLogEntry, Route } from "./route.js";
import { readRoutes } from "./routes/reads.js";
import { writeRoutes } from "./routes/writes.js";

/**
 * `hotel serve`: a thin HTTP adapter over the booking core. Routing, body
 * limits, authentication and status codes live in src/http; every booking
 * operation is the same core function `hotel` and `hotel stress` call.
 *
 *   POST   /api/bookings                 book (201, 409, 503 + Retry-After)
 *   POST   /api/holds                    hold (201, 409, 503), body as a booking plus "ttlSeconds"
 *   GET    /api/bookings/:id             one booking
 *   PATCH  /api/bookings/:id             change the stay or move it (200, 409, 503)
 *   POST   /api/bookings/:id/confirm     also /checkin, /checkout, /noshow (200, 409)
 *   DELETE /api/bookings/:id             cancel it (200, idempotent)
 *   GET    /api/availability             ?from&to|nights&tier
 *   GET    /api/arrivals|departures|inhouse   ?date
 *   GET    /api/check                    the audit of `hotel check`
 *   GET    /healthz                      the database answers (never needs a token)
 */

export type { RequestLogEntry };

/** Who a request is, as an authenticator decides; absent: the server's own actor, all rights. */
export interface Caller {
  actor: string;
  /** False for a read-only token: any write answers 403. */
  canWrite: boolean;
}

export interface BookingServerOptions {
  /** The database, property and default actor the server works for. */
  hotel: Hotel;
  lockTimeoutMs?: number;
  bodyLimitBytes?: number;
  /** Called for every /api/ request: returns the caller, or throws an HttpError (401/403). */
  authenticate?: (req: IncomingMessage) => Promise<Caller | undefined>;
  /** Called once per finished request. */
  log?: (entry: RequestLogEntry) => void;
}

const READ_METHODS = new Set(["GET", "HEAD"]);

/** One route per path pattern, with the methods of every route list that has it. */
function mergeRoutes(...lists: Route[][]): Route[] {
  const byPattern = new Map<string, Route>();
  for (const route of lists.flat()) {
    const existing = byPattern.get(route.pattern.source);
    if (existing) existing.methods = { ...existing.methods, ...route.methods };
    else byPattern.set(route.pattern.source, { pattern: route.pattern, methods: { ...route.methods } });
  }
  return [...byPattern.values()];
}

export function createBookingServer(options: BookingServerOptions): Server {
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  const health: Handler = async () => {
    if (!server.listening) throw new HttpError(503, "SHUTTING_DOWN", "The server is shutting down", { retryAfter: 1 });
    await options.hotel.prisma.$queryRaw`SELECT 1`;
    return { status: 200, body: { status: "ok", database: "ok" } };
  };
  const routes = mergeRoutes(readRoutes, writeRoutes, [{ pattern: /^\/healthz$/, methods: { GET: health } }]);

  function findHandler(req: IncomingMessage, url: URL): { handler: Handler; params: string[] } {
    for (const route of routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
      const handler = route.methods[method];
      if (!handler) {
        const allowed = Object.keys(route.methods).flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m]));
        throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${url.pathname}; use ${allowed.join(", ")}`, {
          headers: { Allow: allowed.join(", ") },
        });
      }
      return { handler, params: match.slice(1).map(decodePathPart) };
    }
    throw new HttpError(404, "NOT_FOUND", `No such endpoint: ${url.pathname.slice(0, 200)}`);
  }

  async function dispatch(req: IncomingMessage, who: { actor?: string }): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://localhost");
    let hotel = options.hotel;
    if (url.pathname.startsWith("/api/") && options.authenticate) {
      const caller = await options.authenticate(req);
      if (caller) {
        if (!caller.canWrite && !READ_METHODS.has(req.method ?? "GET")) {
          throw new HttpError(403, "FORBIDDEN", `Token "${caller.actor}" is read-only: it cannot ${req.method} ${url.pathname.slice(0, 100)}`);
        }
        hotel = { ...hotel, actor: caller.actor };
        who.actor = caller.actor;
      }
    }
    const { handler, params } = findHandler(req, url);
    const ctx: RequestContext = {
      hotel,
      lockTimeoutMs,
      async json() {
        assertJsonContentType(req);
        return parseJsonObject(await readBody(req, bodyLimit));
      },
    };
    return handler(req, url, params, ctx);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, refused?: HttpError): Promise<void> {
    const started = performance.now();
    const who: { actor?: string } = {};
    let reply: Reply;
    let failure: HttpError | undefined;
    try {
      if (refused) throw refused;
      reply = await dispatch(req, who);
    } catch (error) {
      failure = toHttpError(error);
      reply = { status: failure.status, body: failure.body(), headers: failure.headers() };
    }
    send(req, res, reply);
    options.log?.({
      time: new Date().toISOString(),
      method: req.method ?? "",
      path: req.url ?? "",
      status: reply.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(failure ? { code: failure.code } : {}),
      ...(failure && failure.status >= 500 ? { detail: failure.options.detail ?? `${failure.code} ${failure.message}` } : {}),
      ...(who.actor === undefined ? {} : { actor: who.actor }),
      ...reply.log,
    });
  }

  function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    if (res.headersSent || res.destroyed) return;
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(payload)),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...reply.headers,
      // Draining for shutdown: finish this request, then let the connection go.
      ...(server.listening ? {} : { Connection: "close" }),
    });
    res.end(req.method === "HEAD" ? undefined : payload);
  }

  // The third argument comes only from checkContinue below.
  const server = createServer((req, res, refused?: HttpError) => {
    handle(req, res, refused).catch(() => {
      // Only a broken socket lands here: there is no one left to answer.
      res.destroy();
    });
  });
  // `Expect: 100-continue` (curl sends it for bodies over 1 KB): refuse an
  // oversized body before the client sends it, instead of inviting it.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const tooLarge = Number(req.headers["content-length"] ?? 0) > bodyLimit;
    if (!tooLarge) res.writeContinue();
    server.emit("request", req, res, tooLarge ? payloadTooLarge(bodyLimit, true) : undefined);
  });
  // A request may wait for locks (lock timeout per attempt); nothing legitimate takes this long.
  server.requestTimeout = Math.max(30_000, lockTimeoutMs * 6);
  return server;
}

function decodePathPart(part: string | undefined): string {
  try {
    return decodeURIComponent(part ?? "");
  } catch {
    return part ?? "";
  }
}

export { IDEMPOTENCY_KEY_HEADER };
