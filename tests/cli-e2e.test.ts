import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sourceHash } from "../scripts/source-hash.mjs";
import { cleanEnv, ROOT, runCli } from "./support/cli.js";
import { createTier, useTestDatabase } from "./support/db.js";

// The built CLI as a user runs it (bin/hotel.js -> dist/): what needs a real
// process. The commands' logic is tested in-process (tests/cli.test.ts).

const db = useTestDatabase();
const scratch = mkdtempSync(path.join(tmpdir(), "hotel-e2e-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the built CLI with every module it imports recorded; returns the result and the module URLs. */
async function traced(args: string[]): Promise<{ code: number | null; stdout: string; modules: string[] }> {
  const trace = path.join(scratch, `trace-${args.join("_").replace(/\W/g, "")}.txt`);
  writeFileSync(trace, "");
  const result = await runCli(args, {
    env: cleanEnv({ HOTEL_TRACE_IMPORTS: trace }),
    nodeArgs: ["--import", path.join(ROOT, "tests", "support", "trace-imports.mjs")],
  });
  return { code: result.code, stdout: result.stdout, modules: readFileSync(trace, "utf8").split("\n").filter(Boolean) };
}

const HEAVY = [/\/node_modules\/pg\//, /\/node_modules\/@prisma\//, /\/node_modules\/@clack\//, /\/node_modules\/ora\//, /\/dist\/database-[^/]+\.js$/];

describe("the built CLI", () => {
  it.each([["--version"], ["--help"], ["book", "--help"], ["stress", "--help"], ["suites", "add", "--help"]])(
    "%s loads no Prisma, pg, prompt or spinner module",
    async (...args) => {
      const { code, stdout, modules } = await traced(args);
      expect(code).toBe(0);
      expect(stdout).not.toBe("");
      // The trace works: it saw the bundle itself and commander.
      expect(modules.some((url) => url.endsWith("/dist/cli.js"))).toBe(true);
      expect(modules.some((url) => url.includes("/node_modules/commander/"))).toBe(true);
      for (const heavy of HEAVY) expect(modules.filter((url) => heavy.test(url))).toEqual([]);
    },
  );

  it("books and prints one human line, exit 0; a usage error exits 64 with one line on stderr", async () => {
    await createTier(db, "e2e", 1, "E");
    const booked = await runCli(["--database-url", db.url, "book", "--tier", "e2e", "--check-in", "2031-01-05", "--nights", "1", "--guest", "Spawned"]);
    expect(booked.code, booked.stderr).toBe(0);
    expect(booked.stdout).toMatch(/^Booked: #\d+ suite E001 \(e2e\) for Spawned, 2031-01-05 to 2031-01-06 \(1 night\), confirmed\n$/);
    expect(await db.query(`SELECT guest_name, status FROM bookings`)).toEqual([{ guest_name: "Spawned", status: "confirmed" }]);
    const usage = await runCli(["--database-url", db.url, "book", "--tier", "e2e"]);
    expect(usage.code).toBe(64);
    expect(usage.stdout).toBe("");
    expect(usage.stderr).toBe("error: --check-in, --check-out (or --nights) and --guest are required when not running interactively\n");
  });

  it("the source hash that marks a stale dist/ changes with any source file", () => {
    const tree = mkdtempSync(path.join(scratch, "tree-"));
    const file = path.join(tree, "src", "a.ts");
    for (const dir of ["src/generated", "prisma"]) mkdirSync(path.join(tree, dir), { recursive: true });
    writeFileSync(file, "export const a = 1;\n");
    writeFileSync(path.join(tree, "prisma", "schema.prisma"), "model A {}\n");
    const before = sourceHash(tree);
    writeFileSync(path.join(tree, "src", "generated", "client.ts"), "generated\n");
    expect(sourceHash(tree)).toBe(before);
    writeFileSync(file, "export const a = 2;\n");
    expect(sourceHash(tree)).not.toBe(before);
    // And the built dist/ is the tree's (else every spawned test would have refused to run).
    expect(readFileSync(path.join(ROOT, "dist", "source-hash"), "utf8").trim()).toBe(sourceHash(ROOT));
  });
});

