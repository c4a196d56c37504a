import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { HotelError, invalidInput, notFound } from "./errors.js";
import { sqlName, type Hotel } from "./hotel.js";
import { propertyId } from "./properties.js";
import { rawQuery } from "./raw.js";
import { printable } from "./text.js";

/**
 * API tokens of `hotel serve`, one set per property. A token reads
 * `htk_<publicId>_<secret>`: 16 hex digits that find its row, then 256
 * random bits in base64url. Only an HMAC-SHA256 of the secret, keyed with a
 * random salt of the token's own, is stored; the secret is returned once by
 * addToken and never kept. A stolen table therefore lets nobody in, and one
 * hash per request costs microseconds (a slow KDF buys nothing against a
 * 256-bit random secret). Verification looks the row up on every request,
 * so a revoked token fails on the very next one.
 */

export const TOKEN_ROLES = ["frontdesk", "readonly"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export const TOKEN_NAME_MAX = 64;

/** A token as `hotel tokens list` shows it: never its secret. */
export interface TokenView {
  name: string;
  role: TokenRole;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Who a verified token is. */
export interface TokenCaller {
  name: string;
  role: TokenRole;
}

/** How often at most a token's last_used_at moves on, so serving does not write on every request. */
export const LAST_USED_RESOLUTION_S = 60;

const PREFIX = "htk_";
const TOKEN_SHAPE = /^htk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const SALT_BYTES = 16;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A token's name: 1-64 characters, no control characters (the name is the actor of its events). */
export function tokenName(value: string | undefined): string {
  const trimmed = (value ?? "").trim();
  if (trimmed === "") throw invalidInput("token name must not be empty");
  if (trimmed.length > TOKEN_NAME_MAX) throw invalidInput(`token name is ${trimmed.length} characters long; the limit is ${TOKEN_NAME_MAX}`);
  if (CONTROL.test(trimmed)) throw invalidInput(`token name "${printable(trimmed)}" contains control characters`);
  return trimmed;
}

export function tokenRole(value: string | undefined): TokenRole {
  const role = TOKEN_ROLES.find((known) => known === value);
  if (!role) throw new HotelError("USAGE", `role must be one of ${TOKEN_ROLES.join(", ")}`);
  return role;
}

/** The parts of a presented token, or undefined when it is not shaped like one of ours. */
export function parseToken(presented: string): { publicId: string; secret: string } | undefined {
  const match = TOKEN_SHAPE.exec(presented);
  if (!match) return undefined;
  return { publicId: match[1] as string, secret: match[2] as string };
}

/** `text` with anything shaped like a token replaced, for log lines. */
export const redactTokens = (text: string): string => text.replace(/htk_[A-Za-z0-9_%-]*/g, "htk_***");

const hashSecret = (salt: Buffer, secret: string): Buffer => createHmac("sha256", salt).update(secret, "utf8").digest();

interface TokenRow {
  name: string;
  role: TokenRole;
  created_at: Date;
  last_used_at: Date | null;
}

const view = (row: TokenRow): TokenView => ({
  name: row.name,
  role: row.role,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at === null ? null : row.last_used_at.toISOString(),
});

/**
 * One statement (so one transaction) that makes `change` to a token row and
 * appends its event, the token as the event's `before` or `after`; it
 * returns the token's row when there was one to change.
 */
function withEvent(hotel: Hotel, change: string, event: { operation: "token_add" | "token_revoke"; document: "before" | "after"; actor: string }): string {
  return `WITH token AS (
       ${change}
       RETURNING property_id, name, role, created_at, last_used_at
     ), event AS (
       INSERT INTO ${sqlName(hotel, "events")} (property_id, operation, actor, ${event.document})
       SELECT property_id, '${event.operation}', ${event.actor}, jsonb_build_object('token', name, 'role', role) FROM token
     )
     SELECT name, role, created_at, last_used_at FROM token`;
}

/**
 * Creates a token and its `token_add` event in one statement (so one
 * transaction). Returns the token's text: the only time it exists outside
 * the caller's hands.
 */
export async function addToken(hotel: Hotel, rawName: string, role: TokenRole = "frontdesk"): Promise<TokenView & { token: string }> {
  const name = tokenName(rawName);
  tokenRole(role);
  const property = await propertyId(hotel);
  const publicId = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const salt = randomBytes(SALT_BYTES);
  const rows = await rawQuery<TokenRow>(
    hotel,
    withEvent(
      hotel,
      `INSERT INTO ${sqlName(hotel, "api_tokens")} (property_id, name, role, public_id, salt, secret_hash)
       VALUES ($1, $2, $3, $4, decode($5, 'hex'), decode($6, 'hex'))
       ON CONFLICT (property_id, name) DO NOTHING`,
      { operation: "token_add", document: "after", actor: "$7" },
    ),
    property,
    name,
    role,
    publicId,
    salt.toString("hex"),
    hashSecret(salt, secret).toString("hex"),
    hotel.actor,
  );
  const row = rows[0];
  if (!row) throw invalidInput(`Token "${printable(name)}" already exists: revoke it first (\`hotel tokens revoke\`) or choose another name`);
  return { ...view(row), token: `${PREFIX}${publicId}_${secret}` };
}

export async function listTokens(hotel: Hotel): Promise<TokenView[]> {
  const property = await propertyId(hotel);
  const rows = await rawQuery<TokenRow>(
    hotel,
    `SELECT name, role, created_at, last_used_at FROM ${sqlName(hotel, "api_tokens")} WHERE property_id = $1 ORDER BY name`,
    property,
  );
  return rows.map(view);
}

/** Deletes a token and appends its `token_revoke` event in one statement; an unknown name is NOT_FOUND. */
export async function revokeToken(hotel: Hotel, rawName: string): Promise<TokenView> {
  const name = tokenName(rawName);
  const property = await propertyId(hotel);
  const rows = await rawQuery<TokenRow>(
    hotel,
    withEvent(hotel, `DELETE FROM ${sqlName(hotel, "api_tokens")} WHERE property_id = $1 AND name = $2`, { operation: "token_revoke", document: "before", actor: "$3" }),
    property,
    name,
    hotel.actor,
  );
  const row = rows[0];
  if (!row) throw notFound(`No token named "${printable(name)}" in property ${hotel.property}: see \`hotel tokens list\``);
  return view(row);
}

/** Whether the property has any token (then serve requires one on every /api/ request). */
export async function hasTokens(hotel: Hotel): Promise<boolean> {
  const rows = await rawQuery<{ any: boolean }>(
    hotel,
    `SELECT EXISTS (SELECT 1 FROM ${sqlName(hotel, "api_tokens")} t JOIN ${sqlName(hotel, "properties")} p ON p.id = t.property_id WHERE p.name = $1) AS any`,
    hotel.property,
  );
  return rows[0]?.any === true;
}

interface VerifyRow {
  property_id: number;
  id: number;
  name: string;
  role: TokenRole;
  salt: string;
  secret_hash: string;
  stale: boolean;
}

// Compared against when no row matches, so an unknown token costs what a wrong one does.
const DUMMY = { salt: Buffer.alloc(SALT_BYTES), hash: Buffer.alloc(32) };

/**
 * The token's name and role when `presented` is a live token of the
 * property, else undefined. One indexed read per call; at most once a
 * minute per token, also one write (last_used_at).
 */
export async function verifyToken(hotel: Hotel, presented: string): Promise<TokenCaller | undefined> {
  const parts = parseToken(presented);
  if (!parts) return undefined;
  const rows = await rawQuery<VerifyRow>(
    hotel,
    `SELECT t.property_id, t.id, t.name, t.role, encode(t.salt, 'hex') AS salt, encode(t.secret_hash, 'hex') AS secret_hash,
            (t.last_used_at IS NULL OR t.last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_S})) AS stale
       FROM ${sqlName(hotel, "api_tokens")} t JOIN ${sqlName(hotel, "properties")} p ON p.id = t.property_id
      WHERE p.name = $1 AND t.public_id = $2`,
    hotel.property,
    parts.publicId,
  );
  const row = rows[0];
  const salt = row ? Buffer.from(row.salt, "hex") : DUMMY.salt;
  const stored = row ? Buffer.from(row.secret_hash, "hex") : DUMMY.hash;
  const matches = timingSafeEqual(hashSecret(salt, parts.secret), stored);
  if (!row || !matches) return undefined;
  if (row.stale) await touch(hotel, row);
  return { name: row.name, role: row.role };
}

/** Moves last_used_at on, unless another request did in the last minute. */
async function touch(hotel: Hotel, row: VerifyRow): Promise<void> {
  await rawQuery(
    hotel,
    `UPDATE ${sqlName(hotel, "api_tokens")} SET last_used_at = now()
      WHERE property_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_S}))`,
    row.property_id,
    row.id,
  );
}
