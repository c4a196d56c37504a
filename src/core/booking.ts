/** What a booking looks like everywhere outside the database. */
export interface BookingView {
  id: number;
  suite: string;
  tier: string;
  guest: string;
  checkIn: string;
  checkOut: string;
  status: "confirmed" | "cancelled";
}

export interface BookingRequest {
  tier: string;
  guestName: string;
  checkIn: string;
  /** Exclusive: the morning the guest leaves. */
  checkOut: string;
  idempotencyKey?: string;
}

export type BookingOutcome =
  | {
      outcome: "accepted";
      status: 201;
      booking: BookingView;
      /** True when an idempotency key returned an earlier booking. */
      replayed: boolean;
      lockWaitMs: number;
      attempts: number;
    }
  | {
      outcome: "refused";
      status: 409;
      code: "NO_AVAILABILITY" | "CONFLICT";
      message: string;
      lockWaitMs: number;
      attempts: number;
    }
  | {
      outcome: "busy";
      status: 503;
      code: "BUSY";
      message: string;
      retryAfter: number;
      lockWaitMs: number;
      attempts: number;
    };

export const MESSAGES = {
  conflict: "Booking conflict, please retry",
  busy: "High load, please retry",
} as const;
