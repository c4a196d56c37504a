import type { ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { spawnCli, waitFor } from "./support/cli.js";
import { createTier, useTestDatabase } from "./support/db.js";
import { send } from "./support/http.js";
import { runInProcess } from "./support/in-process.js";

// `hotel serve`'s token rules end to end: the refusal to listen beyond
// loopback without a token (in-process), and no token in anything serve
// prints (the built CLI, `npm run build` first). The rules themselves are in
// tokens-serve.test.ts.

const db = useTestDatabase();
const started: ChildProcess[] = [];
// A failed test must not leave a server running.
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

const hotel = (...args: string[]) => runInProcess(["--database-url", db.url, ...args]);
const addToken = async (name: string, ...flags: string[]): Promise<string> => {
  const added = await hotel("tokens", "add", name, "--quiet", ...flags);
  expect(added.code, added.stderr).toBe(0);
  return added.stdout.trim();
};

interface Served {
  child: ChildProcess;
  /** Where to send requests: the bound port on 127.0.0.1. */
  url: string;
  listening: string;
  output(): string;
  exit: Promise<number | null>;
}

/** Starts `hotel serve --port 0` on this file's database; resolves once it listens. */
async function serve(...args: string[]): Promise<Served> {
  const { child, done } = spawnCli(["serve", "--port", "0", "--database-url", db.url, ...args]);
  started.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const exit = done.then(({ code }) => {
    exited = true;
    return code;
  });
  const listening = /listening.*?http:\/\/\S+?:(\d+)/;
  await waitFor(async () => exited || listening.test(output), 30_000, "hotel serve to listen");
  const match = listening.exec(output);
  if (!match) throw new Error(`hotel serve did not start: ${output}`);
  const line = output.split("\n").find((text) => listening.test(text)) ?? "";
  return { child, url: `http://127.0.0.1:${match[1]}`, listening: line, output: () => output, exit };
}

describe("hotel serve without any token (in-process: it never gets as far as listening)", () => {
  it("refuses --host beyond loopback with exit 78 and says to add a token first", async () => {
    // A property of its own: the other tests add tokens to main.
    expect((await hotel("properties", "add", "bare")).code).toBe(0);
    for (const host of ["0.0.0.0", "::", "192.0.2.10"]) {
      const result = await hotel("serve", "--host", host, "--port", "0", "--property", "bare");
      expect(result.code, `${host}: ${result.stderr}`).toBe(78);
      expect(result.stderr.trim().split("\n"), host).toHaveLength(1);
      expect(result.stderr).toContain("has no API token");
      expect(result.stderr).toContain("`hotel tokens add NAME`");
      expect(result.stdout).toBe("");
    }
    const json = await hotel("serve", "--host", "0.0.0.0", "--port", "0", "--property", "bare", "--json");
    expect(json.code).toBe(78);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: "CONFIG", message: expect.stringContaining("hotel tokens add NAME") as string } });
  });
});

describe("hotel serve with tokens (the built CLI)", () => {
  it("beyond loopback: a booking made with token desk-1 is desk-1's; after the last token is revoked every /api/ request is 401, never open", async () => {
    await createTier(db, "e2e", 2, "E");
    const desk = await addToken("desk-1");
    const served = await serve("--host", "0.0.0.0", "--json");
    try {
      expect(JSON.parse(served.listening)).toMatchObject({ event: "listening", host: "0.0.0.0", auth: "token" });
      const created = await send(`${served.url}/api/bookings`, "POST", {
        body: { suiteType: "e2e", checkIn: "2033-05-01", nights: 1, guestName: "Via token" },
        headers: { Authorization: `Bearer ${desk}` },
      });
      expect(created.status, created.text).toBe(201);
      const id = (created.json.booking as { id: number }).id;
      expect(await db.query(`SELECT operation, actor FROM events WHERE booking_id = $1`, [id])).toEqual([{ operation: "book", actor: "desk-1" }]);

      expect((await hotel("tokens", "revoke", "desk-1")).code).toBe(0);
      const revoked = await send(`${served.url}/api/bookings/${id}`, "GET", { headers: { Authorization: `Bearer ${desk}` } });
      expect(revoked.status).toBe(401);
      const anonymous = await send(`${served.url}/api/bookings`, "POST", { body: { suiteType: "e2e", checkIn: "2033-05-02", nights: 1, guestName: "Nobody" } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toBe('Bearer realm="hotel"');
      expect(await db.query(`SELECT 1 FROM bookings WHERE guest_name = 'Nobody'`)).toEqual([]);
      expect((await send(`${served.url}/healthz`, "GET")).status).toBe(200);
    } finally {
      served.child.kill("SIGTERM");
    }
    expect(await served.exit).toBe(0);
  });

  for (const mode of [["--json"], ["--verbose"]]) {
    it(`no token appears in anything serve prints (${mode.join(" ")}), after valid, invalid and malformed tokens`, async () => {
      const suffix = mode[0]!.replace(/-/g, "");
      const desk = await addToken(`logged-desk-${suffix}`);
      const audit = await addToken(`logged-audit-${suffix}`, "--role", "readonly");
      const served = await serve(...mode);
      const secrets = [desk, audit].flatMap((token) => [token, token.split("_").slice(2).join("_")]);
      try {
        const requests: [string, string, Record<string, string>][] = [
          ["GET", "/api/check", { Authorization: `Bearer ${desk}` }],
          ["POST", "/api/bookings", { Authorization: `Bearer ${audit}` }],
          ["GET", "/api/check", { Authorization: `Bearer ${desk}x` }],
          ["GET", "/api/check", { Authorization: `Basic ${Buffer.from(`user:${desk}`).toString("base64")}` }],
          ["GET", "/api/check", { Authorization: `Bearer ${desk} ${audit}` }],
          ["GET", "/api/check", { Authorization: `Bearer ${"A".repeat(4000)}${desk}` }],
          ["GET", `/api/check?access_token=${desk}`, {}],
          ["GET", `/api/${audit}`, { Authorization: `Bearer ${desk}` }],
          ["GET", "/api/no-such-route", { Authorization: `bearer ${audit}` }],
        ];
        const statuses = [];
        for (const [method, path, headers] of requests) statuses.push((await send(`${served.url}${path}`, method, { headers, body: method === "POST" ? {} : undefined })).status);
        expect(statuses).toEqual([200, 403, 401, 401, 401, 401, 401, 404, 404]);
        if (mode.includes("--json")) await waitFor(async () => served.output().split('"event":"request"').length > requests.length, 10_000, "every request's log line");
      } finally {
        served.child.kill("SIGTERM");
      }
      expect(await served.exit).toBe(0);
      const output = served.output();
      expect(output).toContain("stopped");
      for (const secret of secrets) expect(output).not.toContain(secret);
      if (mode.includes("--json")) expect(output).toContain('"path":"/api/check?access_token=htk_***"');
    });
  }
});
