/** What a booking looks like everywhere outside the database, and what operations answer. */

export const BOOKING_STATUSES = ["held", "confirmed", "checked_in", "checked_out", "cancelled", "no_show", "expired"] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/** Statuses whose booking takes its suite for its nights (a hold only until it lapses). */
export const TAKEN_STATUSES: readonly BookingStatus[] = ["held", "confirmed", "checked_in", "checked_out"];

export interface BookingView {
  id: number;
  suite: string;
  tier: string;
  guest: string;
  checkIn: string;
  /** Exclusive: the morning the guest leaves (after an early checkout, the day they left). */
  checkOut: string;
  status: BookingStatus;
  /** Holds only: when the hold lapses, by the database's clock (ISO 8601, UTC). */
  expiresAt?: string;
}

export interface BookingRequest {
  tier: string;
  guestName: string;
  checkIn: string;
  /** Exclusive: the morning the guest leaves. */
  checkOut: string;
  idempotencyKey?: string;
}

export interface HoldRequest extends BookingRequest {
  /** How long the hold keeps its suite: 1 s to 24 h. */
  ttlSeconds: number;
}

export type RefusalCode = "NO_AVAILABILITY" | "CONFLICT" | "INVALID_STATE" | "HOLD_EXPIRED";

/** Every part of an answer that says how it went under concurrency. */
interface Timing {
  lockWaitMs: number;
  attempts: number;
}

export interface Refused extends Timing {
  outcome: "refused";
  status: 409;
  code: RefusalCode;
  message: string;
}

export interface Busy extends Timing {
  outcome: "busy";
  status: 503;
  code: "BUSY";
  message: string;
  retryAfter: number;
}

export interface Accepted extends Timing {
  outcome: "accepted";
  status: 201;
  booking: BookingView;
  /** True when an idempotency key returned an earlier booking. */
  replayed: boolean;
}

/** book and hold. */
export type BookingOutcome = Accepted | Refused | Busy;

export interface PreviousStay {
  suite: string;
  tier: string;
  checkIn: string;
  checkOut: string;
}

export interface Changed extends Timing {
  outcome: "changed" | "moved";
  status: 200;
  /** False when the booking already was as asked. */
  changed: boolean;
  replayed: boolean;
  booking: BookingView;
  previous: PreviousStay;
}

/** change and move. */
export type ChangeOutcome = Changed | Refused | Busy;

export const TRANSITIONS = ["confirm", "checkin", "checkout", "noshow", "cancel"] as const;
export type Transition = (typeof TRANSITIONS)[number];

/** The outcome name (and the status reached) of each transition. */
export const TRANSITION_OUTCOME = {
  confirm: "confirmed",
  checkin: "checked_in",
  checkout: "checked_out",
  noshow: "no_show",
  cancel: "cancelled",
} as const satisfies Record<Transition, BookingStatus>;

export interface Transitioned extends Timing {
  outcome: (typeof TRANSITION_OUTCOME)[Transition];
  status: 200;
  /** False when the booking was already in that state: repeating is safe. */
  changed: boolean;
  booking: BookingView;
}

/** confirm, checkin, checkout, noshow, cancel. */
export type TransitionOutcome = Transitioned | Refused | Busy;

export const MESSAGES = {
  conflict: "Booking conflict, please retry",
  busy: "High load, please retry",
} as const;
