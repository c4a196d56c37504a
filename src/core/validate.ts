import { invalidInput } from "./errors.js";
import { printable } from "./dates.js";

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const LIMITS = { guestName: 200, tierName: 64, suiteNumber: 32, idempotencyKey: 200 } as const;

function text(value: string | undefined, label: string, max: number): string {
  const trimmed = (value ?? "").trim();
  if (trimmed === "") throw invalidInput(`${label} must not be empty`);
  if (trimmed.length > max) throw invalidInput(`${label} is ${trimmed.length} characters long; the limit is ${max}`);
  if (CONTROL.test(trimmed)) throw invalidInput(`${label} "${printable(trimmed)}" contains control characters`);
  return trimmed;
}

export const guestName = (value: string | undefined): string => text(value, "guest name", LIMITS.guestName);
export const tierName = (value: string | undefined): string => text(value, "tier", LIMITS.tierName);
export const suiteNumber = (value: string | undefined): string => text(value, "suite number", LIMITS.suiteNumber);
export const idempotencyKey = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : text(value, "idempotency key", LIMITS.idempotencyKey);
