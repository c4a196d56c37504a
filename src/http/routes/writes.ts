import { book, hold } from "../../core/book.js";
import { TRANSITIONS, type BookingOutcome, type Busy, type ChangeOutcome, type Refused, type Transition, type TransitionOutcome } from "../../core/booking.js";
import { change, move, transition } from "../../core/front-desk.js";
import { fieldError, HttpError } from "../errors.js";
import { bookingFromBody, holdTtlFromBody, IDEMPOTENCY_KEY_HEADER, patchFromBody } from "../requests.js";
import { headerValue, inPathId, type Handler, type Reply, type Route } from "../route.js";

/**
 * The writes: book, hold, change or move (PATCH), the status changes
 * (confirm, checkin, checkout, noshow) and cancel (DELETE). Each is one call
 * of the booking core; an outcome becomes a status here and only here.
 */

function failed(outcome: Refused | Busy): never {
  if (outcome.outcome === "refused") throw new HttpError(409, outcome.code, outcome.message);
  throw new HttpError(503, outcome.code, outcome.message, { retryAfter: outcome.retryAfter });
}

function created(outcome: BookingOutcome): Reply {
  if (outcome.outcome !== "accepted") failed(outcome);
  const { booking, replayed } = outcome;
  return {
    // A replay answers as the first request did, marked by a header (as Stripe does).
    status: 201,
    body: { booking, replayed },
    headers: { Location: `/api/bookings/${booking.id}`, ...(replayed ? { "Idempotent-Replayed": "true" } : {}) },
    log: { bookingId: booking.id, replayed },
  };
}

const postBooking: Handler = async (req, _url, _params, ctx) => {
  const { request, tierField } = bookingFromBody(await ctx.json(), headerValue(req.headers["idempotency-key"]));
  // The one input the core checks against the data: the tier's name.
  return created(await book(ctx.hotel, request, { lockTimeoutMs: ctx.lockTimeoutMs }).catch((error: unknown) => Promise.reject(fieldError(tierField, error, ["NOT_FOUND"]))));
};

const postHold: Handler = async (req, _url, _params, ctx) => {
  const body = await ctx.json();
  const { request, tierField } = bookingFromBody(body, headerValue(req.headers["idempotency-key"]));
  const ttlSeconds = holdTtlFromBody(body);
  return created(await hold(ctx.hotel, { ...request, ttlSeconds }, { lockTimeoutMs: ctx.lockTimeoutMs }).catch((error: unknown) => Promise.reject(fieldError(tierField, error, ["NOT_FOUND"]))));
};

function changed(outcome: ChangeOutcome): Reply {
  if (outcome.outcome === "refused" || outcome.outcome === "busy") failed(outcome);
  const { booking, previous, changed: didChange, replayed } = outcome;
  return {
    status: 200,
    body: { outcome: outcome.outcome, changed: didChange, replayed, booking, previous },
    headers: replayed ? { "Idempotent-Replayed": "true" } : {},
    log: { bookingId: booking.id, replayed },
  };
}

/** PATCH: new dates (change) or a new suite or tier (move), not both at once. */
const patchBooking: Handler = async (req, _url, [id = ""], ctx) => {
  const bookingId = inPathId(id);
  const patch = patchFromBody(await ctx.json(), headerValue(req.headers["idempotency-key"]));
  const options = { lockTimeoutMs: ctx.lockTimeoutMs };
  if (patch.kind === "move") {
    const field = patch.request.suite === undefined ? "tier" : "suite";
    return changed(await move(ctx.hotel, bookingId, patch.request, options).catch((error: unknown) => Promise.reject(fieldError(field, error, ["NOT_FOUND"]))));
  }
  return changed(await change(ctx.hotel, bookingId, patch.request, options));
};

function transitioned(outcome: TransitionOutcome): Reply {
  if (outcome.outcome === "refused" || outcome.outcome === "busy") failed(outcome);
  return { status: 200, body: { outcome: outcome.outcome, changed: outcome.changed, booking: outcome.booking }, log: { bookingId: outcome.booking.id } };
}

const transitionHandler =
  (operation: Transition): Handler =>
  async (_req, _url, [id = ""], ctx) =>
    transitioned(await transition(ctx.hotel, operation, inPathId(id), { lockTimeoutMs: ctx.lockTimeoutMs }));

export const writeRoutes: Route[] = [
  { pattern: /^\/api\/bookings$/, methods: { POST: postBooking } },
  { pattern: /^\/api\/holds$/, methods: { POST: postHold } },
  { pattern: /^\/api\/bookings\/([^/]+)$/, methods: { PATCH: patchBooking, DELETE: transitionHandler("cancel") } },
  ...TRANSITIONS.filter((name) => name !== "cancel").map((name) => ({
    pattern: new RegExp(`^/api/bookings/([^/]+)/${name}$`),
    methods: { POST: transitionHandler(name) },
  })),
];

export { IDEMPOTENCY_KEY_HEADER };
