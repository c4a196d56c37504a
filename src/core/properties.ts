import { HotelError, notFound } from "./errors.js";
import { sqlName, type Hotel } from "./hotel.js";
import { rawQuery } from "./raw.js";
import * as validate from "./validate.js";

/**
 * Properties: one hotel each. Tiers, suites, bookings, events and tokens
 * belong to one property; every command works on `--property` (env
 * HOTEL_PROPERTY, default `main`, which the migrations create).
 */

export interface PropertyView {
  name: string;
  tiers: number;
  suites: number;
  createdAt: string;
}

/**
 * Ids found, per client, schema and name. A property is never renamed or
 * deleted, so its id never changes: a long-running process (serve, stress)
 * looks each one up once.
 */
const knownIds = new WeakMap<Hotel["prisma"], Map<string, number>>();

/** The property's id; NOT_FOUND naming it when there is no such property. */
export async function propertyId(hotel: Hotel): Promise<number> {
  const key = `${hotel.schema ?? ""}.${hotel.property}`;
  const known = knownIds.get(hotel.prisma)?.get(key);
  if (known !== undefined) return known;
  const rows = await rawQuery<{ id: number }>(hotel, `SELECT id FROM ${sqlName(hotel, "properties")} WHERE name = $1`, hotel.property);
  const row = rows[0];
  if (!row) throw notFound(`Unknown property "${hotel.property}": see \`hotel properties list\``);
  const ids = knownIds.get(hotel.prisma) ?? new Map<string, number>();
  knownIds.set(hotel.prisma, ids.set(key, row.id));
  return row.id;
}

export async function listProperties(hotel: Hotel): Promise<PropertyView[]> {
  const rows = await rawQuery<{ name: string; tiers: number; suites: number; created_at: Date }>(
    hotel,
    `SELECT p.name, p.created_at,
            (SELECT count(*)::int FROM ${sqlName(hotel, "tiers")} t WHERE t.property_id = p.id) AS tiers,
            (SELECT count(*)::int FROM ${sqlName(hotel, "suites")} s WHERE s.property_id = p.id) AS suites
       FROM ${sqlName(hotel, "properties")} p ORDER BY p.name`,
  );
  return rows.map((row) => ({ name: row.name, tiers: row.tiers, suites: row.suites, createdAt: row.created_at.toISOString() }));
}

export async function addProperty(hotel: Hotel, rawName: string): Promise<PropertyView> {
  const name = validate.propertyName(rawName);
  const rows = await rawQuery<{ created_at: Date }>(
    hotel,
    `INSERT INTO ${sqlName(hotel, "properties")} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING created_at`,
    name,
  );
  const row = rows[0];
  if (!row) throw new HotelError("INVALID_INPUT", `Property "${name}" already exists`);
  return { name, tiers: 0, suites: 0, createdAt: row.created_at.toISOString() };
}

/** NOT_FOUND naming the tier when the property has no tier of that name. */
export async function requireTier(hotel: Hotel, tier: string): Promise<void> {
  const rows = await rawQuery<unknown>(
    hotel,
    `SELECT 1 FROM ${sqlName(hotel, "tiers")} t JOIN ${sqlName(hotel, "properties")} p ON p.id = t.property_id WHERE p.name = $1 AND t.name = $2`,
    hotel.property,
    tier,
  );
  if (rows.length === 0) throw notFound(`Unknown tier "${tier}": see \`hotel suites list\` for the tiers`);
}
