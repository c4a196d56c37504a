import type { IncomingMessage } from "node:http";
import type { Hotel } from "../core/hotel.js";
import { parseBookingId } from "../core/front-desk.js";
import { HttpError } from "./errors.js";

/** What a route handler gets and gives; routing itself is in server.ts. */

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
  /** Who made the request (a token's name), when the server requires tokens. */
  actor?: string;
  /** Why a 5xx failed, for the server log (a 500's detail is never sent to the client). */
  detail?: string;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  log?: Pick<RequestLogEntry, "bookingId" | "replayed">;
}

export interface RequestContext {
  /** The core's context for this request: its actor is whoever the request authenticated as. */
  hotel: Hotel;
  lockTimeoutMs: number;
  /** Reads the body as one JSON object (415/413/400 otherwise). */
  json(): Promise<Record<string, unknown>>;
}

export type Handler = (req: IncomingMessage, url: URL, params: string[], ctx: RequestContext) => Promise<Reply>;

export interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

/** A malformed booking id in the path names no resource: 404, like any unknown path. */
export function inPathId(id: string): number {
  try {
    return parseBookingId(id);
  } catch {
    throw new HttpError(404, "NOT_FOUND", `No booking with id "${id.slice(0, 40)}": ids are positive whole numbers`);
  }
}

/** A header given once, as one string. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}
