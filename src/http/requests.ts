import type { BookingRequest } from "../core/booking.js";
import { MAX_NIGHTS, MAX_RANGE_NIGHTS, parseDate, resolveRange, resolveStay } from "../core/dates.js";
import { parseCount } from "../core/validate.js";
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
export function bookingFromBody(body: Record<string, unknown>, idempotencyKey: string | string[] | undefined): ParsedBooking {
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

  const key = Array.isArray(idempotencyKey) ? idempotencyKey.join(", ") : idempotencyKey;
  const request: BookingRequest = {
    tier,
    guestName,
    checkIn: stay.checkIn,
    checkOut: stay.checkOut,
    idempotencyKey: forField(IDEMPOTENCY_KEY_HEADER, () => validate.idempotencyKey(key)),
  };
  return { request, tierField };
}

export interface AvailabilityQuery {
  from?: string;
  to?: string;
  nights?: string;
  tier?: string;
}

function single(params: URLSearchParams, name: string): string | undefined {
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
