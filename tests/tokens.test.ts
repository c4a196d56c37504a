import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Hotel } from "../src/core/hotel.js";
import { verifyToken } from "../src/core/tokens.js";
import type { Database } from "../src/db/database.js";
import { hotelOf, useTestDatabase } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";

// `hotel tokens add|list|revoke` in-process on this file's own database, and
// what they leave in it. Each test works on token names of its own.

const db = useTestDatabase();
let opened: Database;
let main: Hotel;

const hotel = (...args: string[]) => runInProcess(["--database-url", db.url, "--actor", "ops", ...args]);
const json = async (...args: string[]): Promise<{ code: number; document: Record<string, unknown>; stderr: string }> => {
  const result = await hotel(...args, "--json");
  expect(result.stdout.trim().split("\n"), result.stderr).toHaveLength(1);
  return { code: result.code, document: JSON.parse(result.stdout) as Record<string, unknown>, stderr: result.stderr };
};
const add = async (name: string, ...flags: string[]): Promise<string> => {
  const { code, document } = await json("tokens", "add", name, ...flags);
  expect(code, JSON.stringify(document)).toBe(0);
  return String(document.token);
};
const counts = async (): Promise<{ tokens: number; events: number }> =>
  (await db.query<{ tokens: number; events: number }>(`SELECT (SELECT count(*)::int FROM api_tokens) AS tokens, (SELECT count(*)::int FROM events) AS events`))[0]!;
const secretOf = (token: string): string => token.split("_").slice(2).join("_");

beforeAll(async () => {
  opened = await db.open({ poolSize: 2 });
  main = hotelOf(opened);
});

describe("hotel tokens add", () => {
  it("prints a new random token once, stores only a salted HMAC of its secret, and the printed token verifies", async () => {
    const { code, document } = await json("tokens", "add", "desk-1");
    expect(code).toBe(0);
    expect(Object.keys(document).sort()).toEqual(["name", "role", "token"]);
    expect(document).toMatchObject({ name: "desk-1", role: "frontdesk" });
    const token = String(document.token);
    // 64 bits of lookup id, 256 bits of secret, URL-safe.
    expect(token).toMatch(/^htk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);

    const [row] = await db.query(`SELECT * FROM api_tokens WHERE name = 'desk-1'`);
    expect(Object.keys(row!).sort()).toEqual(["created_at", "id", "last_used_at", "name", "property_id", "public_id", "role", "salt", "secret_hash"]);
    const secret = secretOf(token);
    const stored = JSON.stringify(row, (_key, value: unknown) => (Buffer.isBuffer(value) ? [value.toString("hex"), value.toString("base64"), value.toString("base64url"), value.toString("latin1")] : value));
    expect(stored).not.toContain(secret);
    expect(row!.public_id).toBe(token.slice(4, 20));
    expect(row!.last_used_at).toBeNull();
    expect((row!.secret_hash as Buffer).equals(createHmac("sha256", row!.salt as Buffer).update(secret).digest())).toBe(true);

    expect(await verifyToken(main, token)).toEqual({ name: "desk-1", role: "frontdesk" });
    const wrong = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect(await verifyToken(main, wrong)).toBeUndefined();
  });

  it("two tokens never share a lookup id, a salt or a secret", async () => {
    const [a, b] = [await add("twin-a"), await add("twin-b")];
    expect(a.slice(4, 20)).not.toBe(b.slice(4, 20));
    expect(secretOf(a)).not.toBe(secretOf(b));
    const salts = await db.query<{ n: number }>(`SELECT count(DISTINCT salt)::int AS n FROM api_tokens WHERE name IN ('twin-a', 'twin-b')`);
    expect(salts).toEqual([{ n: 2 }]);
  });

  it("--role readonly; a human run says it is shown once, --quiet prints the token alone", async () => {
    const human = await hotel("tokens", "add", "audit-1", "--role", "readonly");
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Added readonly token "audit-1" for property main\. Store it now: it is not shown again\.\nhtk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    const quiet = await hotel("tokens", "add", "quiet-1", "--quiet");
    expect(quiet.stdout).toMatch(/^htk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    expect(await verifyToken(main, quiet.stdout.trim())).toEqual({ name: "quiet-1", role: "frontdesk" });
  });

  it("appends one token_add event naming the actor, with the name and role but never the secret", async () => {
    const token = await add("evented-1", "--role", "readonly");
    const events = await db.query(`SELECT operation, actor, booking_id, suite_id, before, after FROM events WHERE after->>'token' = 'evented-1'`);
    expect(events).toEqual([{ operation: "token_add", actor: "ops", booking_id: null, suite_id: null, before: null, after: { token: "evented-1", role: "readonly" } }]);
    const log = await json("log", "--actor", "ops");
    expect(JSON.stringify(log.document)).not.toContain(secretOf(token));
    expect(log.document.events).toContainEqual(expect.objectContaining({ operation: "token_add", actor: "ops", after: { token: "evented-1", role: "readonly" } }));
    const human = await hotel("log", "--actor", "ops");
    expect(human.stdout).toContain("API token evented-1 (readonly) added");
  });

  it("bad names exit 65 and write nothing; an unknown role exits 64; a name in use exits 65 and writes nothing", async () => {
    await add("taken-1");
    const before = await counts();
    for (const name of ["", "   ", "x".repeat(65), "bell\u0007", "two\nlines", "tab\there", "c1\u0085"]) {
      const { code, document, stderr } = await json("tokens", "add", name);
      expect(code, name).toBe(65);
      expect(document).toMatchObject({ error: { code: "INVALID_INPUT" } });
      expect(stderr).toBe("");
      const human = await hotel("tokens", "add", name);
      expect(human.stderr.trim().split("\n"), name).toHaveLength(1);
    }
    expect((await json("tokens", "add", "x".repeat(64))).code).toBe(0);
    await json("tokens", "revoke", "x".repeat(64));
    expect((await json("tokens", "add", "role-1", "--role", "admin")).code).toBe(64);
    const again = await json("tokens", "add", "taken-1");
    expect(again.code).toBe(65);
    expect(again.document).toEqual({ error: { code: "INVALID_INPUT", message: expect.stringContaining('Token "taken-1" already exists') as string } });
    const after = await counts();
    expect(after).toEqual({ tokens: before.tokens, events: before.events + 2 });
  });
});

describe("hotel tokens list", () => {
  it("shows names, roles, created and last-used times, never a secret", async () => {
    const token = await add("listed-1", "--role", "readonly");
    const { code, document } = await json("tokens", "list");
    expect(code).toBe(0);
    const tokens = document.tokens as Record<string, unknown>[];
    const listed = tokens.find((t) => t.name === "listed-1");
    expect(listed).toEqual({ name: "listed-1", role: "readonly", createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string, lastUsedAt: null });
    expect(tokens.map((t) => t.name)).toEqual([...tokens.map((t) => String(t.name))].sort());
    for (const entry of tokens) expect(Object.keys(entry).sort()).toEqual(["createdAt", "lastUsedAt", "name", "role"]);
    const human = await hotel("tokens", "list");
    expect(human.stdout).toMatch(/^NAME +ROLE +CREATED +LAST USED\n/);
    expect(human.stdout).toMatch(/listed-1 +readonly +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +never/);
    for (const text of [JSON.stringify(document), human.stdout]) {
      expect(text).not.toContain(secretOf(token));
      expect(text).not.toContain(token.slice(4, 20));
    }
  });
});

describe("hotel tokens revoke", () => {
  it("deletes the token (it no longer verifies) and appends a token_revoke event; the name can be used again", async () => {
    const token = await add("gone-1");
    expect(await verifyToken(main, token)).toBeDefined();
    const { code, document } = await json("tokens", "revoke", "gone-1");
    expect(code).toBe(0);
    // The verification above was its first use.
    expect(document).toEqual({ revoked: { name: "gone-1", role: "frontdesk", createdAt: expect.any(String) as string, lastUsedAt: expect.any(String) as string } });
    expect(await verifyToken(main, token)).toBeUndefined();
    expect(await db.query(`SELECT 1 FROM api_tokens WHERE name = 'gone-1'`)).toEqual([]);
    const events = await db.query(`SELECT operation, actor, before, after FROM events WHERE coalesce(after, before)->>'token' = 'gone-1' ORDER BY id`);
    expect(events).toEqual([
      { operation: "token_add", actor: "ops", before: null, after: { token: "gone-1", role: "frontdesk" } },
      { operation: "token_revoke", actor: "ops", before: { token: "gone-1", role: "frontdesk" }, after: null },
    ]);
    const reused = await add("gone-1");
    expect(await verifyToken(main, reused)).toEqual({ name: "gone-1", role: "frontdesk" });
    expect(await verifyToken(main, token)).toBeUndefined();
  });

  it("an unknown name exits 4, a bad name 65; neither writes anything", async () => {
    const before = await counts();
    const unknown = await json("tokens", "revoke", "never-added");
    expect(unknown).toMatchObject({ code: 4, document: { error: { code: "NOT_FOUND", message: expect.stringContaining('No token named "never-added"') as string } } });
    expect((await json("tokens", "revoke", "")).code).toBe(65);
    expect((await json("tokens", "revoke", "bad\u001bname")).code).toBe(65);
    expect(await counts()).toEqual(before);
  });
});

describe("tokens belong to a property", () => {
  it("a token of one property is neither listed, revocable nor valid in another; an unknown property exits 4", async () => {
    expect((await hotel("properties", "add", "lisbon")).code).toBe(0);
    const token = await add("shared-name", "--property", "lisbon");
    await add("shared-name");
    const lisbon = await json("tokens", "list", "--property", "lisbon");
    expect(lisbon.document).toEqual({ tokens: [expect.objectContaining({ name: "shared-name" })] });
    expect(await verifyToken({ ...main, property: "lisbon" }, token)).toEqual({ name: "shared-name", role: "frontdesk" });
    expect(await verifyToken(main, token)).toBeUndefined();
    expect((await json("tokens", "revoke", "shared-name", "--property", "lisbon")).code).toBe(0);
    expect((await json("tokens", "list")).document.tokens).toContainEqual(expect.objectContaining({ name: "shared-name" }));
    expect((await json("tokens", "add", "x", "--property", "atlantis")).code).toBe(4);
    expect((await json("tokens", "list", "--property", "atlantis")).code).toBe(4);
  });
});
