import { invalidInput } from "./errors.js";
import { printable } from "./text.js";

/** Checks of what users type: names, keys and counts. Each failure is one INVALID_INPUT line naming the field. */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Longest accepted text per field (the schema's CHECKs say the same). */
export const TEXT_LIMITS = { guestName: 200, tierName: 64, suiteNumber: 32, propertyName: 64, idempotencyKey: 200, actor: 200 } as const;

function text(value: string | undefined, label: string, max: number): string {
  const trimmed = (value ?? "").trim();
  if (trimmed === "") throw invalidInput(`${label} must not be empty`);
  if (trimmed.length > max) throw invalidInput(`${label} is ${trimmed.length} characters long; the limit is ${max}`);
  if (CONTROL.test(trimmed)) throw invalidInput(`${label} "${printable(trimmed)}" contains control characters`);
  return trimmed;
}

export const guestName = (value: string | undefined): string => text(value, "guest name", TEXT_LIMITS.guestName);
export const tierName = (value: string | undefined): string => text(value, "tier", TEXT_LIMITS.tierName);
export const suiteNumber = (value: string | undefined): string => text(value, "suite number", TEXT_LIMITS.suiteNumber);
export const propertyName = (value: string | undefined): string => text(value, "property", TEXT_LIMITS.propertyName);
export const actorName = (value: string | undefined): string => text(value, "actor", TEXT_LIMITS.actor);
export const idempotencyKey = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : text(value, "idempotency key", TEXT_LIMITS.idempotencyKey);

/** A whole number in [min, max], from a flag's text or a number. */
export function parseCount(value: string | number, label: string, min: number, max: number): number {
  const raw = String(value).trim();
  if (!/^-?\d+$/.test(raw)) throw invalidInput(`${label} must be a whole number, got "${printable(raw)}"`);
  const count = Number(raw);
  if (count < min || count > max) throw invalidInput(`${label} must be between ${min} and ${max}, got ${raw}`);
  return count;
}
