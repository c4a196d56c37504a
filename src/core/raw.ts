import type { Hotel } from "./hotel.js";

/**
 * Raw SQL through the query path of Prisma's driver adapter
 * (@prisma/adapter-pg's queryRaw), which PrismaClient's $queryRawUnsafe
 * ends in. A raw statement has no model to map, so calling the adapter
 * directly skips the client's request building, query plan and result
 * serialisation: about 40% of an operation's client CPU, and, in a short
 * command that sends only raw SQL, the start of Prisma's WebAssembly
 * query compiler (about half a second). Errors are the adapter's own
 * DriverAdapterErrors, which sqlstate.ts reads like PrismaClient's.
 */

export interface RawQueryable {
  queryRaw(query: { sql: string; args: unknown[]; argTypes: { scalarType: "unknown"; arity: "scalar" }[] }): Promise<{
    columnNames: string[];
    columnTypes: number[];
    rows: unknown[][];
  }>;
}

const rawPaths = new WeakMap<Hotel["prisma"], () => Promise<RawQueryable>>();

/** Lets rawQuery() reach `prisma`'s adapter directly (src/db/database.ts registers every client it opens). */
export function registerRawPath(prisma: Hotel["prisma"], connect: () => Promise<RawQueryable>): void {
  let connected: Promise<RawQueryable> | undefined;
  rawPaths.set(prisma, () => (connected ??= connect()));
}

const UNKNOWN_ARG = { scalarType: "unknown", arity: "scalar" } as const;
/** The adapter's column types (ColumnTypeEnum of @prisma/driver-adapter-utils) that PrismaClient turns into other values. */
const INT64 = 1;
const DATE = 8;
const DATE_TIME = 10;
const JSON_VALUE = 11;

/**
 * Rows as $queryRawUnsafe returns them for the types hotel's raw SQL reads:
 * numbers, text, booleans, bigint, dates and times as Dates (the adapter
 * leaves these as text: YYYY-MM-DD, ISO 8601 at +00:00), and json/jsonb
 * parsed (the adapter leaves their text). A client that was not opened by
 * src/db (a test's own PrismaClient) takes $queryRawUnsafe.
 */
export async function rawQuery<T>(hotel: Pick<Hotel, "prisma">, sql: string, ...params: unknown[]): Promise<T[]> {
  const raw = rawPaths.get(hotel.prisma);
  if (!raw) return hotel.prisma.$queryRawUnsafe<T[]>(sql, ...params);
  const result = await (await raw()).queryRaw({ sql, args: params, argTypes: params.map(() => UNKNOWN_ARG) });
  return result.rows.map((values) => {
    const row: Record<string, unknown> = {};
    result.columnNames.forEach((column, i) => (row[column] = valueOf(values[i], result.columnTypes[i])));
    return row as T;
  });
}

function valueOf(value: unknown, type: number | undefined): unknown {
  if (typeof value !== "string") return value;
  if (type === DATE) return new Date(`${value}T00:00:00Z`);
  if (type === DATE_TIME) return new Date(value);
  if (type === INT64) return BigInt(value);
  if (type === JSON_VALUE) return JSON.parse(value) as unknown;
  return value;
}
