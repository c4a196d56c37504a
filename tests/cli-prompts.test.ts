import { beforeAll, describe, expect, it } from "vitest";
import { createTier, useTestDatabase } from "./support/db.js";
import { CANCEL, runInProcess, scriptedPrompter } from "./support/in-process.js";
import { KEY, runInTerminal } from "./support/terminal.js";
import { cleanEnv } from "./support/cli.js";

// `hotel book` asks for what is missing only when a person is at a terminal:
// the logic in-process with a scripted prompter, then the real thing through
// a pseudo-terminal driving the built CLI.

const db = useTestDatabase();
const NOW = new Date(2031, 9, 1, 9, 30); // 2031-10-01, local time

const bookings = (guest: string) =>
  db.query<{ suite: string; check_in: string; check_out: string }>(
    `SELECT s.number AS suite, to_char(b.check_in, 'YYYY-MM-DD') AS check_in, to_char(b.check_out, 'YYYY-MM-DD') AS check_out
       FROM bookings b JOIN suites s ON s.id = b.suite_id WHERE b.guest_name = $1 ORDER BY b.id`,
    [guest],
  );

beforeAll(async () => {
  await createTier(db, "garden", 2, "G");
  await createTier(db, "loft", 1, "L");
  // The loft is taken on 2031-10-02: full for any stay over that night.
  await db.query(`INSERT INTO bookings (property_id, suite_id, tier_id, guest_name, check_in, check_out) SELECT 1, id, tier_id, 'Taken', '2031-10-02', '2031-10-03' FROM suites WHERE number = 'L001'`);
});

describe("book on a terminal asks for missing values (in-process)", () => {
  const interactive = (args: string[], answers: (string | typeof CANCEL)[]) => {
    const prompter = scriptedPrompter(answers);
    const result = runInProcess(["--database-url", db.url, "book", ...args], { tty: true, prompter, now: NOW, env: { NO_COLOR: "1" } });
    return { prompter, result };
  };

  it("asks the dates (check-in defaults to today), the tier with each tier's free suites for the stay, and the guest", async () => {
    const { prompter, result } = interactive([], ["", "2031-10-03", "garden", "Ada Prompted"]);
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Booked: #\d+ suite G001 \(garden\) for Ada Prompted, 2031-10-01 to 2031-10-03 \(2 nights\)/);
    expect(prompter.asked.map((q) => [q.message, q.initial])).toEqual([
      ["Check-in (YYYY-MM-DD)", "2031-10-01"],
      ["Check-out (YYYY-MM-DD)", "2031-10-02"],
      ["Tier (free suites 2031-10-01 to 2031-10-03)", undefined],
      ["Guest name", undefined],
    ]);
    expect(prompter.asked[2]?.choices).toEqual([
      { label: "garden  2 of 2 free", disabled: false },
      { label: "loft    full (1 suites)", disabled: true },
    ]);
    expect(await bookings("Ada Prompted")).toEqual([{ suite: "G001", check_in: "2031-10-01", check_out: "2031-10-03" }]);
  });

  it("asks only for what is missing, and refuses bad answers with the flags' own messages until one is good", async () => {
    const { prompter, result } = interactive(["--tier", "garden", "--nights", "1"], ["2031-02-30", "tomorrow", "2031-10-05", "   ", "Grace Asked"]);
    expect((await result).code).toBe(0);
    expect(prompter.asked.map((q) => q.message)).toEqual(["Check-in (YYYY-MM-DD)", "Guest name"]);
    expect(prompter.asked[0]?.rejected).toEqual(["check-in 2031-02-30 does not exist in the calendar", 'check-in "tomorrow" is not a date: use YYYY-MM-DD']);
    expect(prompter.asked[1]?.rejected).toEqual(["guest name must not be empty"]);
    expect(await bookings("Grace Asked")).toEqual([{ suite: "G001", check_in: "2031-10-05", check_out: "2031-10-06" }]);
  });

  it("a check-out not after check-in is refused at the prompt", async () => {
    const { prompter, result } = interactive(["--tier", "garden", "--check-in", "2031-11-10", "--guest", "Out"], ["2031-11-10", "2031-11-12"]);
    expect((await result).code).toBe(0);
    expect(prompter.asked[0]?.rejected).toEqual(["check-out 2031-11-10 must be after check-in 2031-11-10"]);
    expect(await bookings("Out")).toEqual([{ suite: "G001", check_in: "2031-11-10", check_out: "2031-11-12" }]);
  });

  it("a bad flag is refused (65) before anything is asked", async () => {
    const { prompter, result } = interactive(["--check-in", "2031-13-01"], []);
    expect((await result).code).toBe(65);
    expect(prompter.asked).toEqual([]);
  });

  it("cancelling a prompt exits 130 and books nothing", async () => {
    const before = await db.query(`SELECT count(*)::int AS n FROM bookings`);
    const { result } = interactive(["--check-in", "2031-12-01", "--nights", "1"], ["garden", CANCEL]);
    const { code, stdout, stderr } = await result;
    expect(code).toBe(130);
    expect(stdout).toBe("");
    expect(stderr).toBe("error: Cancelled at the prompt: nothing was written\n");
    expect(await db.query(`SELECT count(*)::int AS n FROM bookings`)).toEqual(before);
  });

  it("when no tier has a free suite for the stay, says so (exit 3) instead of offering none", async () => {
    await db.query(`UPDATE suites SET active = false WHERE number LIKE 'G%'`);
    try {
      const { prompter, result } = interactive(["--check-in", "2031-10-02", "--nights", "1", "--guest", "Nobody"], []);
      const { code, stderr } = await result;
      expect(code).toBe(3);
      expect(stderr).toBe("error: No tier has a suite free from 2031-10-02 to 2031-10-03\n");
      expect(prompter.asked).toEqual([]);
    } finally {
      await db.query(`UPDATE suites SET active = true WHERE number LIKE 'G%'`);
    }
  });

  it.each([
    ["without a terminal", { tty: false, env: {} }, []],
    ["with --json", { tty: true, env: { NO_COLOR: "1" } }, ["--json"]],
    ["with --no-input", { tty: true, env: { NO_COLOR: "1" } }, ["--no-input"]],
    ["with CI set", { tty: true, env: { NO_COLOR: "1", CI: "true" } }, []],
  ] as const)("never asks %s: exit 64 naming the missing flags", async (_label, io, extra) => {
    const prompter = scriptedPrompter([]);
    const result = await runInProcess(["--database-url", db.url, ...extra, "book", "--check-in", "2031-10-20"], { ...io, prompter, now: NOW });
    expect(result.code).toBe(64);
    expect(prompter.asked).toEqual([]);
    const message = "--tier, --check-out (or --nights) and --guest are required when not running interactively";
    if ((extra as readonly string[]).includes("--json")) expect(JSON.parse(result.stdout)).toEqual({ error: { code: "USAGE", message } });
    else expect(result.stderr).toBe(`error: ${message}\n`);
  });
});

describe("book in a real terminal (pty, the built CLI)", () => {
  const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ TERM: "xterm-256color", ...extra });

  it("answers the prompts with the keyboard and books what was chosen", async () => {
    const result = runInTerminal(
      ["--database-url", db.url, "book", "--check-in", "2031-10-08"],
      [
        { expect: "Check-out \\(YYYY-MM-DD\\)[\\s\\S]*2031-10-09", send: `2031-10-10${KEY.enter}` },
        { expect: "garden\\s+2 of 2 free[\\s\\S]*loft\\s+1 of 1 free", send: `${KEY.down}${KEY.enter}` },
        { expect: "Guest name", send: `Tess Terminal${KEY.enter}` },
      ],
      { env: env() },
    );
    expect(result.failedStep, result.output).toBeNull();
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Booked: #\d+ suite L001 \(loft\) for Tess Terminal, 2031-10-08 to 2031-10-10 \(2 nights\), confirmed/);
    expect(await bookings("Tess Terminal")).toEqual([{ suite: "L001", check_in: "2031-10-08", check_out: "2031-10-10" }]);
  });

  it("Ctrl-C at a prompt exits 130 and writes nothing", async () => {
    const before = await db.query(`SELECT count(*)::int AS n FROM bookings`);
    const result = runInTerminal(["--database-url", db.url, "book", "--check-in", "2031-10-15", "--nights", "1"], [{ expect: "garden\\s+2 of 2 free", send: KEY.ctrlC }], { env: env() });
    expect(result.failedStep, result.output).toBeNull();
    expect(result.code, result.output).toBe(130);
    expect(result.output).toContain("Cancelled at the prompt: nothing was written");
    expect(await db.query(`SELECT count(*)::int AS n FROM bookings`)).toEqual(before);
  });

  // --json and --no-input are proven on a terminal in-process above; one real
  // terminal shows that a real process's terminal detection does not bypass them.
  it("on a terminal, CI=1 still never prompts: exit 64 naming the flags", () => {
    const result = runInTerminal(["--database-url", db.url, "book", "--tier", "garden", "--check-in", "2031-10-20", "--nights", "1"], [], { env: env({ CI: "1" }) });
    expect(result.code, result.output).toBe(64);
    expect(result.output).toContain("--guest is required when not running interactively");
    expect(result.output).not.toContain("Guest name");
  });
});

describe("hold, change and move ask too (in-process)", () => {
  const run = (args: string[], answers: (string | typeof CANCEL)[]) => {
    const prompter = scriptedPrompter(answers);
    return { prompter, result: runInProcess(["--database-url", db.url, ...args], { tty: true, prompter, now: NOW, env: { NO_COLOR: "1" } }) };
  };
  const idOf = (stdout: string): string => /#(\d+)/.exec(stdout)?.[1] ?? "";

  it("hold asks like book and holds what was chosen", async () => {
    const { prompter, result } = run(["hold", "--check-in", "2031-12-20", "--nights", "1", "--ttl", "5m"], ["garden", "Hilda Held"]);
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Held until \S+Z: #\d+ suite G00\d \(garden\) for Hilda Held, 2031-12-20 to 2031-12-21 \(1 night\), held/);
    expect(prompter.asked.map((q) => q.message)).toEqual(["Tier (free suites 2031-12-20 to 2031-12-21)", "Guest name"]);
  });

  it("change with no date flag asks the new dates, defaulting to the current ones", async () => {
    const made = await runInProcess(["--database-url", db.url, "book", "--tier", "garden", "--check-in", "2031-12-01", "--nights", "2", "--guest", "Chang"]);
    const id = idOf(made.stdout);
    const { prompter, result } = run(["change", id], ["", "2031-12-05"]);
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Changed: #\d+ suite G00\d \(garden\) for Chang, 2031-12-01 to 2031-12-05 \(4 nights\)/);
    expect(prompter.asked.map((q) => [q.message, q.initial])).toEqual([
      ["New check-in (now 2031-12-01) (YYYY-MM-DD)", "2031-12-01"],
      ["New check-out (now 2031-12-03) (YYYY-MM-DD)", "2031-12-03"],
    ]);
    expect(await bookings("Chang")).toEqual([{ suite: expect.stringMatching(/^G00/), check_in: "2031-12-01", check_out: "2031-12-05" }]);
  });

  it("move with neither --suite nor --tier asks the tier, showing each tier's free suites for the stay", async () => {
    const made = await runInProcess(["--database-url", db.url, "book", "--tier", "garden", "--check-in", "2031-12-10", "--nights", "1", "--guest", "Mover"]);
    const { prompter, result } = run(["move", idOf(made.stdout)], ["loft"]);
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Moved: #\d+ suite L001 \(loft\) for Mover/);
    expect(prompter.asked[0]?.message).toMatch(/^Move #\d+ \(garden, 2031-12-10 to 2031-12-11\) to tier$/);
    expect(await bookings("Mover")).toEqual([{ suite: "L001", check_in: "2031-12-10", check_out: "2031-12-11" }]);
  });

  it("never asks without a terminal: change and move exit 64 naming what is missing", async () => {
    const change = await runInProcess(["--database-url", db.url, "change", "1"], { now: NOW });
    expect(change).toMatchObject({ code: 64, stderr: "error: --check-in, --check-out or --nights is required when not running interactively\n" });
    const move = await runInProcess(["--database-url", db.url, "move", "1", "--json"], { tty: true, now: NOW, env: { NO_COLOR: "1" } });
    expect(move.code).toBe(64);
    expect(JSON.parse(move.stdout)).toEqual({ error: { code: "USAGE", message: "--suite or --tier is required when not running interactively" } });
  });
});

describe("change in a real terminal (pty, the built CLI)", () => {
  it("asks the new dates, and Ctrl-C at the second leaves the booking as it was", async () => {
    const made = await runInProcess(["--database-url", db.url, "book", "--tier", "garden", "--check-in", "2031-12-15", "--nights", "1", "--guest", "Tty Change"]);
    const id = /#(\d+)/.exec(made.stdout)?.[1] ?? "";
    const env = cleanEnv({ TERM: "xterm-256color" });
    const cancelled = runInTerminal(["--database-url", db.url, "change", id], [
      { expect: "New check-in \\(now 2031-12-15\\)", send: KEY.enter },
      { expect: "New check-out \\(now 2031-12-16\\)", send: KEY.ctrlC },
    ], { env });
    expect(cancelled.failedStep, cancelled.output).toBeNull();
    expect(cancelled.code, cancelled.output).toBe(130);
    expect(await bookings("Tty Change")).toEqual([{ suite: expect.any(String), check_in: "2031-12-15", check_out: "2031-12-16" }]);
    const changed = runInTerminal(["--database-url", db.url, "change", id], [
      { expect: "New check-in \\(now 2031-12-15\\)", send: KEY.enter },
      { expect: "New check-out \\(now 2031-12-16\\)", send: `2031-12-18${KEY.enter}` },
    ], { env });
    expect(changed.failedStep, changed.output).toBeNull();
    expect(changed.code, changed.output).toBe(0);
    expect(await bookings("Tty Change")).toEqual([{ suite: expect.any(String), check_in: "2031-12-15", check_out: "2031-12-18" }]);
  });
});
