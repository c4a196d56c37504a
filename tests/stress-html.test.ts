import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPage } from "./support/chromium.js";
import { createTestDatabase, type TestDatabase } from "./support/db.js";
import { runInProcess } from "./support/in-process.js";

// `hotel stress --html`: the report is one file that a real browser renders
// with no network, charts drawn and no error on the console.

let testDb: TestDatabase;
let dir: string;
beforeAll(async () => {
  testDb = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), "hotel-html-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await testDb?.drop();
});

describe("hotel stress --html", () => {
  it("writes a self-contained report that a headless browser renders without errors", async () => {
    const file = path.join(dir, "report.html");
    // In-process: what is proven is the file it writes, not the process. A few
    // connections carry this rate; the open model's default of 100 would make
    // the server set up 100 sessions for nothing.
    const result = await runInProcess(["stress", "--rate", "300", "--duration", "1.5s", "--concurrency", "8", "--html", file, "--json", "--database-url", testDb.url]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ files: { html: file }, ok: true });
    const html = readFileSync(file, "utf8");
    // Nothing to fetch: no external script, stylesheet or image.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    for (const heading of ["Settings", "Results", "Invariants", "Latency over time", "Throughput over time", "Latency histogram by outcome", "Machine"]) expect(html).toContain(heading);

    const page = await loadPage(
      file,
      "document.body.getAttribute('data-charts') !== null",
      `({ charts: document.body.getAttribute('data-charts'),
          canvases: [...document.querySelectorAll('[data-chart] canvas')].map((c) => c.width > 0 && c.height > 0),
          legends: document.querySelectorAll('[data-chart] .u-legend').length,
          invariantRows: document.querySelectorAll('table')[2].rows.length })`,
    );
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.value).toEqual({ charts: "3", canvases: [true, true, true], legends: 3, invariantRows: 5 });
    expect(existsSync(page.screenshot)).toBe(true);
    expect(page.screenshot.startsWith(tmpdir())).toBe(true);
    rmSync(path.dirname(page.screenshot), { recursive: true, force: true });
  });
});
