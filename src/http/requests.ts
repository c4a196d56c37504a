import type { BookingRequest } from "../core/booking.js";
import { MAX_NIGHTS, MAX_RANGE_NIGHTS, parseDate, resolveRange, resolveStay } from "../core/dates.js";
import { parseCount } from "../core/validate.js";
import { HOLD_TTL_SECONDS } from "../core/book.js";
import type { ChangeRequest, MoveRequest } from "../core/front-desk.js";
import * as validate from "../core/validate.js";
import { forField, invalidField } from "./errors.js";

/**
 * Request bodies and query strings into the core's inputs. The core validates
 * again; these steps run first only so that a 400 can name the field at fault
 * (by its name in the request, not the CLI flag).
 */

export type TierField = "suiteType" | "tier";

export interface ParsedBooking {
  request: BookingRequest;
  /** Which name the client used for the tier, for blaming an unknown one. */
  tierField: TierField;
}

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidField(field, `${field} must be a string, got ${Array.isArray(value) ? "an array" : typeof value}`);
  return value;
}

function requiredString(body: Record<string, unknown>, field: string, hint: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw invalidField(field, `${field} is required: ${hint}`);
  return value;
}

/** `nights` as a JSON number or a numeric string. */
function optionalNights(body: Record<string, unknown>): string | undefined {
  const value = body.nights;
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw invalidField("nights", `nights must be a whole number, got ${value}`);
    return String(value);
  }
  if (typeof value === "string") return value;
  throw invalidField("nights", `nights must be a number, got ${Array.isArray(value) ? "an array" : typeof value}`);
}

/** `{"suiteType"|"tier", "checkIn", "checkOut"|"nights", "guestName"}` plus the Idempotency-Key header. */
export function bookingFromBody(body: Record<string, unknown>, idempotencyKey: string | undefined): ParsedBooking {
  const suiteType = optionalString(body, "suiteType");
  const tierAlias = optionalString(body, "tier");
  if (suiteType !== undefined && tierAlias !== undefined && suiteType !== tierAlias) {
    throw invalidField("tier", `suiteType "${suiteType.slice(0, 64)}" and tier "${tierAlias.slice(0, 64)}" differ: give one of them`);
  }
  const tierField: TierField = suiteType === undefined && tierAlias !== undefined ? "tier" : "suiteType";
  const tierValue = suiteType ?? tierAlias;
  if (tierValue === undefined) throw invalidField("suiteType", `suiteType is required: the tier to book, e.g. "standard"`);
  const tier = forField(tierField, () => validate.tierName(tierValue));

  const guestName = forField("guestName", () => validate.guestName(requiredString(body, "guestName", "the guest's name")));
  const checkIn = requiredString(body, "checkIn", "the first night, YYYY-MM-DD");
  forField("checkIn", () => parseDate(checkIn, "checkIn"));
  const checkOut = optionalString(body, "checkOut");
  const nights = optionalNights(body);
  if (checkOut !== undefined && nights !== undefined) throw invalidField("nights", "give checkOut or nights, not both");
  if (checkOut === undefined && nights === undefined) throw invalidField("checkOut", "checkOut (YYYY-MM-DD, exclusive) or nights is required");
  if (checkOut !== undefined) forField("checkOut", () => parseDate(checkOut, "checkOut"));
  if (nights !== undefined) forField("nights", () => parseCount(nights, "nights", 1, MAX_NIGHTS));
  const stay = forField(checkOut === undefined ? "nights" : "checkOut", () => resolveStay({ checkIn, checkOut, nights }));

  const request: BookingRequest = { tier, guestName, checkIn: stay.checkIn, checkOut: stay.checkOut, idempotencyKey: keyFrom(body, idempotencyKey) };
  return { request, tierField };
}

/** The `Idempotency-Key` header or the body's `idempotencyKey` field (the same value if both). */
function keyFrom(body: Record<string, unknown>, header: string | undefined): string | undefined {
  const field = optionalString(body, "idempotencyKey");
  if (header !== undefined && field !== undefined && header !== field) {
    throw invalidField("idempotencyKey", `the ${IDEMPOTENCY_KEY_HEADER} header and the idempotencyKey field differ: give one of them`);
  }
  if (field !== undefined) return forField("idempotencyKey", () => validate.idempotencyKey(field));
  return forField(IDEMPOTENCY_KEY_HEADER, () => validate.idempotencyKey(header));
}

/** `ttlSeconds` of POST /api/holds: 1 to 86,400, default 15 minutes. */
export function holdTtlFromBody(body: Record<string, unknown>): number {
  const value = body.ttlSeconds;
  if (value === undefined || value === null) return HOLD_TTL_SECONDS.default;
  if (typeof value !== "number" || !Number.isInteger(value) || value < HOLD_TTL_SECONDS.min || value > HOLD_TTL_SECONDS.max) {
    throw invalidField("ttlSeconds", `ttlSeconds must be a whole number of seconds from ${HOLD_TTL_SECONDS.min} to ${HOLD_TTL_SECONDS.max}, got ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return value;
}

export type Patch = { kind: "change"; request: ChangeRequest } | { kind: "move"; request: MoveRequest };

/** PATCH /api/bookings/:id: `{"checkIn","checkOut"|"nights"}` changes the stay, `{"suite"|"tier"}` moves it. */
export function patchFromBody(body: Record<string, unknown>, header: string | undefined): Patch {
  const known = new Set(["checkIn", "checkOut", "nights", "suite", "tier", "idempotencyKey"]);
  const unknown = Object.keys(body).find((field) => !known.has(field));
  if (unknown !== undefined) throw invalidField(unknown, `unknown field ${unknown.slice(0, 40)}: give checkIn, checkOut or nights to change the stay, suite or tier to move it`);
  const idempotencyKey = keyFrom(body, header);
  const suite = optionalString(body, "suite");
  const tier = optionalString(body, "tier");
  const checkIn = optionalString(body, "checkIn");
  const checkOut = optionalString(body, "checkOut");
  const nights = optionalNights(body);
  const moving = suite !== undefined || tier !== undefined;
  const changing = checkIn !== undefined || checkOut !== undefined || nights !== undefined;
  if (moving && changing) throw invalidField(suite === undefined ? "tier" : "suite", "change the dates and move the booking in two requests");
  if (moving) {
    if (suite !== undefined && tier !== undefined) throw invalidField("tier", "give suite or tier, not both");
    if (suite !== undefined) return { kind: "move", request: { suite: forField("suite", () => validate.suiteNumber(suite)), idempotencyKey } };
    return { kind: "move", request: { tier: forField("tier", () => validate.tierName(tier)), idempotencyKey } };
  }
  if (!changing) throw invalidField("checkOut", "say what to change: checkIn, checkOut or nights, or suite or tier to move");
  if (checkIn !== undefined) forField("checkIn", () => parseDate(checkIn, "checkIn"));
  if (checkOut !== undefined) forField("checkOut", () => parseDate(checkOut, "checkOut"));
  if (nights !== undefined) forField("nights", () => parseCount(nights, "nights", 1, MAX_NIGHTS));
  if (checkOut !== undefined && nights !== undefined) throw invalidField("nights", "give checkOut or nights, not both");
  return { kind: "change", request: { checkIn, checkOut, nights, idempotencyKey } };
}

export interface AvailabilityQuery {
  from?: string;
  to?: string;
  nights?: string;
  tier?: string;
}

/** One query parameter, given at most once. */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw invalidField(name, `${name} is given ${values.length} times; give it once`);
  return values[0];
}

/** `?from=YYYY-MM-DD&to=YYYY-MM-DD|nights=N&tier=T`, every part optional as in `hotel availability`. */
export function availabilityFromQuery(params: URLSearchParams): AvailabilityQuery {
  const query: AvailabilityQuery = {
    from: single(params, "from"),
    to: single(params, "to"),
    nights: single(params, "nights"),
    tier: single(params, "tier"),
  };
  const { from, to, nights, tier } = query;
  if (from !== undefined) forField("from", () => parseDate(from, "from"));
  if (to !== undefined) forField("to", () => parseDate(to, "to"));
  if (nights !== undefined) forField("nights", () => parseCount(nights, "nights", 1, MAX_RANGE_NIGHTS));
  if (to !== undefined && nights !== undefined) throw invalidField("nights", "give to or nights, not both");
  if (tier !== undefined) forField("tier", () => validate.tierName(tier));
  forField(to === undefined ? "nights" : "to", () => resolveRange(query));
  return query;
}
