import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { availability } from "../core/availability.js";
import { book, DEFAULT_LOCK_TIMEOUT_MS } from "../core/book.js";
import type { BookingOutcome } from "../core/booking.js";
import { cancel, getBooking, parseBookingId } from "../core/bookings.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { assertJsonContentType, DEFAULT_BODY_LIMIT_BYTES, parseJsonObject, payloadTooLarge, readBody } from "./body.js";
import { fieldError, HttpError, toHttpError } from "./errors.js";
import { availabilityFromQuery, bookingFromBody, IDEMPOTENCY_KEY_HEADER } from "./requests.js";

/**
 * `hotel serve`: a thin HTTP adapter over the booking core. Routing, body
 * limits and status codes live here; booking itself is book(), the same
 * function `hotel book` and `hotel stress` call.
 *
 *   POST   /api/bookings          book (201, 409, 503 + Retry-After)
 *   GET    /api/bookings/:id      one booking
 *   DELETE /api/bookings/:id      cancel it (idempotent)
 *   GET    /api/availability      ?from&to|nights&tier
 *   GET    /healthz               the database answers
 */

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** The error code of a failed request. */
  code?: string;
  bookingId?: number;
  replayed?: boolean;
  /** Why a 5xx failed, for the server log (a 500's detail is never sent to the client). */
  detail?: string;
}

export interface BookingServerOptions {
  prisma: PrismaClient;
  lockTimeoutMs?: number;
  bodyLimitBytes?: number;
  /** Called once per finished request. */
  log?: (entry: RequestLogEntry) => void;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  log?: Pick<RequestLogEntry, "bookingId" | "replayed">;
}

type Handler = (req: IncomingMessage, url: URL, params: string[]) => Promise<Reply>;
type Route = { pattern: RegExp; methods: Partial<Record<string, Handler>> };

export function createBookingServer(options: BookingServerOptions): Server {
  const { prisma } = options;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  const postBooking: Handler = async (req) => {
    assertJsonContentType(req);
    const body = parseJsonObject(await readBody(req, bodyLimit));
    const { request, tierField } = bookingFromBody(body, req.headers["idempotency-key"]);
    let outcome: BookingOutcome;
    try {
      outcome = await book(prisma, request, { lockTimeoutMs });
    } catch (error) {
      // The one input the core checks against the data: the tier's name.
      throw fieldError(tierField, error, ["NOT_FOUND"]);
    }
    switch (outcome.outcome) {
      case "accepted": {
        const { booking, replayed } = outcome;
        return {
          // A replay answers as the first request did, marked by a header (as Stripe does).
          status: 201,
          body: { booking, replayed },
          headers: { Location: `/api/bookings/${booking.id}`, ...(replayed ? { "Idempotent-Replayed": "true" } : {}) },
          log: { bookingId: booking.id, replayed },
        };
      }
      case "refused":
        throw new HttpError(409, outcome.code, outcome.message);
      case "busy":
        throw new HttpError(503, outcome.code, outcome.message, { retryAfter: outcome.retryAfter });
    }
  };

  const getOne: Handler = async (_req, _url, [id = ""]) => {
    const booking = await getBooking(prisma, inPathId(id));
    return { status: 200, body: { booking }, log: { bookingId: booking.id } };
  };

  const cancelOne: Handler = async (_req, _url, [id = ""]) => {
    const result = await cancel(prisma, inPathId(id));
    return { status: 200, body: { outcome: "cancelled", changed: result.changed, booking: result.booking }, log: { bookingId: result.booking.id } };
  };

  const getAvailability: Handler = async (_req, url) => {
    const query = availabilityFromQuery(url.searchParams);
    try {
      return { status: 200, body: await availability(prisma, query) };
    } catch (error) {
      throw fieldError("tier", error, ["NOT_FOUND"]);
    }
  };

  const health: Handler = async () => {
    if (!server.listening) throw new HttpError(503, "SHUTTING_DOWN", "The server is shutting down", { retryAfter: 1 });
    await prisma.$queryRaw`SELECT 1`;
    return { status: 200, body: { status: "ok", database: "ok" } };
  };

  const routes: Route[] = [
    { pattern: /^\/api\/bookings$/, methods: { POST: postBooking } },
    { pattern: /^\/api\/bookings\/([^/]+)$/, methods: { GET: getOne, DELETE: cancelOne } },
    { pattern: /^\/api\/availability$/, methods: { GET: getAvailability } },
    { pattern: /^\/healthz$/, methods: { GET: health } },
  ];

  async function dispatch(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://localhost");
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
      return handler(req, url, match.slice(1).map(decodePathPart));
    }
    throw new HttpError(404, "NOT_FOUND", `No such endpoint: ${url.pathname.slice(0, 200)}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, refused?: HttpError): Promise<void> {
    const started = performance.now();
    let reply: Reply;
    let failure: HttpError | undefined;
    try {
      if (refused) throw refused;
      reply = await dispatch(req);
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

/** A malformed booking id in the path names no resource: 404, like any unknown path. */
function inPathId(id: string): number {
  try {
    return parseBookingId(id);
  } catch {
    throw new HttpError(404, "NOT_FOUND", `No booking with id "${id.slice(0, 40)}": ids are positive whole numbers`);
  }
}

export { IDEMPOTENCY_KEY_HEADER };
