import type { PrismaClient } from "../generated/prisma/client.js";
import { HotelError } from "./errors.js";

/**
 * What every core operation works on: the database, the property (hotel)
 * it acts for, and who is acting (recorded in every event).
 *
 * Raw SQL names its routines and tables through `sqlName()`, qualified with
 * `schema` when there is one (a stress run's scratch schema): nothing
 * depends on a session's search_path, which a connection pooler in
 * transaction mode does not keep between transactions.
 */
export interface Hotel {
  readonly prisma: PrismaClient;
  /** The schema of hotel's tables when it is not the connection's default one. */
  readonly schema?: string;
  readonly property: string;
  readonly actor: string;
}

export const DEFAULT_PROPERTY = "main";

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** `"schema"."name"` (or `"name"`), for raw SQL text. Names are ours, never user input. */
export function sqlName(hotel: Pick<Hotel, "schema">, name: string): string {
  if (!IDENTIFIER.test(name) || (hotel.schema !== undefined && !IDENTIFIER.test(hotel.schema))) {
    throw new HotelError("INTERNAL", `not a plain SQL identifier: ${hotel.schema ?? ""}.${name}`);
  }
  return hotel.schema === undefined ? `"${name}"` : `"${hotel.schema}"."${name}"`;
}
