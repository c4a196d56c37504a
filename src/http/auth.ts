import type { IncomingMessage } from "node:http";
import type { Hotel } from "../core/hotel.js";
import { hasTokens, verifyToken } from "../core/tokens.js";
import { HttpError } from "./errors.js";
import type { Caller } from "./server.js";

/**
 * Bearer tokens for /api/ (RFC 6750), as `hotel serve` applies them:
 *
 * - once the property has any token, every /api/ request needs a valid one;
 * - bound beyond loopback (`requireToken`), every /api/ request needs one even
 *   when the last token was revoked while serving: never silently open;
 * - a Bearer token, when one is presented, is always checked, so a revoked
 *   token is refused even by an open loopback server;
 * - no token and none required: the server's own actor, all rights.
 *
 * Refusals are 401 with `WWW-Authenticate: Bearer realm="hotel"` (and
 * `error="invalid_token"` when a Bearer token was presented). Nothing the
 * client sent in the header is ever echoed, logged or put in an error.
 */

export interface TokenAuthOptions {
  /**
   * Refuse requests without a valid token even when the property has no
   * token at all; asked on every request (serve answers from the address it
   * is actually bound to).
   */
  requireToken: boolean | (() => boolean);
}

/** Longer than any token of ours by far; anything longer is refused without a look. */
const MAX_AUTHORIZATION_LENGTH = 512;

const CHALLENGE = 'Bearer realm="hotel"';

function unauthorized(message: string, presented: boolean): HttpError {
  return new HttpError(401, "UNAUTHORIZED", message, {
    headers: { "WWW-Authenticate": presented ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE },
  });
}

const MISSING = "This server requires an API token: send Authorization: Bearer TOKEN (an administrator creates one with `hotel tokens add NAME`)";
const INVALID = "Invalid API token: it is malformed, unknown to this property, or revoked";

type Credentials = { kind: "none" } | { kind: "bearer"; token: string | undefined };

/** What the Authorization header holds: no Bearer credentials, or a Bearer token (undefined when malformed). */
export function bearerCredentials(header: string | string[] | undefined): Credentials {
  if (header === undefined) return { kind: "none" };
  const value = Array.isArray(header) ? header.join(", ") : header;
  const space = value.indexOf(" ");
  const scheme = space === -1 ? value : value.slice(0, space);
  // Another scheme (Basic, say, from a proxy in front) carries no token of ours.
  if (scheme.toLowerCase() !== "bearer") return { kind: "none" };
  if (value.length > MAX_AUTHORIZATION_LENGTH) return { kind: "bearer", token: undefined };
  const token = value.slice(scheme.length).trim();
  return { kind: "bearer", token: /^[A-Za-z0-9._~+/=-]+$/.test(token) ? token : undefined };
}

export function tokenAuthenticator(hotel: Hotel, options: TokenAuthOptions): (req: IncomingMessage) => Promise<Caller | undefined> {
  const required = typeof options.requireToken === "function" ? options.requireToken : () => options.requireToken === true;
  return async (req) => {
    const credentials = bearerCredentials(req.headers.authorization);
    if (credentials.kind === "none") {
      if (required() || (await hasTokens(hotel))) throw unauthorized(MISSING, false);
      return undefined;
    }
    const caller = credentials.token === undefined ? undefined : await verifyToken(hotel, credentials.token);
    if (!caller) throw unauthorized(INVALID, true);
    return { actor: caller.name, canWrite: caller.role === "frontdesk" };
  };
}
