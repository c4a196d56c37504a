import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "./support/cli.js";
import { createTier, serverUrl, useTestDatabase } from "./support/db.js";
import { type PgBouncer, startPgBouncer } from "./support/pgbouncer.js";
import { request, startServe, type Served } from "./support/served.js";

/**
 * Several `hotel serve` processes on one database are as exact as one: racing
 * requests spread over two servers, directly and through PgBouncer, book
 * exactly the suites there are.
 */

const db = useTestDatabase();
let bouncer: PgBouncer;
const served: Served[] = [];

beforeAll(async () => {
  bouncer = await startPgBouncer(serverUrl());
  await createTier(db, "direct", 5, "D");
  await createTier(db, "pooled", 5, "P");
});
afterAll(async () => {
  await Promise.all(served.map((server) => server.stop()));
  await bouncer?.stop();
});

async function twoServers(url: string): Promise<[Served, Served]> {
  const pair = await Promise.all([startServe(["--database-url", url], cleanEnv()), startServe(["--database-url", url], cleanEnv())]);
  served.push(...pair);
  return pair;
}

describe("two hotel serve processes on one database", () => {
  it.each([
    ["directly", "direct", () => db.url],
    ["through PgBouncer", "pooled", () => bouncer.url(db.url)],
  ] as const)("%s: 20 racing requests for 5 suites spread over both give exactly 5 x 201 on 5 suites", async (_how, tier, url) => {
    const [a, b] = await twoServers(url());
    const body = (i: number) => ({ tier, guestName: `${tier} ${i}`, checkIn: "2040-01-01", nights: 2 });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => request(`${(i % 2 === 0 ? a : b).url}/api/bookings`, "POST", body(i))));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(5);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(15);
    const suites = await db.query(
      `SELECT DISTINCT b.suite_id FROM bookings b JOIN tiers t ON t.id = b.tier_id WHERE t.name = $1 AND b.status = 'confirmed'`,
      [tier],
    );
    expect(suites).toHaveLength(5);
    expect((await request(`${a.url}/api/check`)).json).toMatchObject({ ok: true });
  });
});
