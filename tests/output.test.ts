import { describe, expect, it } from "vitest";
import { EXIT, Output, type Streams } from "../src/cli/output.js";
import { HotelError } from "../src/core/errors.js";

/** In-memory streams that claim to be (or not be) a terminal. */
function streams(options: { tty: boolean; columns?: number; env?: NodeJS.ProcessEnv }): Streams & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (sink: string[]) =>
    ({ isTTY: options.tty, columns: options.columns ?? 80, write: (text: string) => sink.push(text) }) as unknown as NodeJS.WriteStream;
  return { stdout: stream(out), stderr: stream(err), env: options.env ?? {}, out, err };
}

describe("output policy", () => {
  it.each([
    ["a terminal", { tty: true }, {}, 1],
    ["a pipe", { tty: false }, {}, 0],
    ["a terminal with NO_COLOR=1", { tty: true, env: { NO_COLOR: "1" } }, {}, 0],
    ["a terminal with an empty NO_COLOR (no-color.org: ignored)", { tty: true, env: { NO_COLOR: "" } }, {}, 1],
    ["TERM=dumb", { tty: true, env: { TERM: "dumb" } }, {}, 0],
    ["--no-color", { tty: true }, { color: false }, 0],
    ["--json", { tty: true }, { json: true }, 0],
  ] as const)("colours on %s: level %i", (_label, streamOptions, flags, level) => {
    expect(new Output(flags, streams(streamOptions)).color.level).toBe(level);
  });

  it("shows progress only on a terminal with a width, never with --json or --quiet", () => {
    expect(new Output({}, streams({ tty: true })).interactive).toBe(true);
    expect(new Output({}, streams({ tty: true, columns: 0 })).interactive).toBe(false);
    expect(new Output({ json: true }, streams({ tty: true })).interactive).toBe(false);
    expect(new Output({ quiet: true }, streams({ tty: true })).interactive).toBe(false);
  });

  it("with --json prints one document on stdout for a failure, password redacted, and returns its exit code", () => {
    const io = streams({ tty: false });
    const code = new Output({ json: true }, io).failure(new HotelError("DB_UNAVAILABLE", "no route to postgresql://app:hunter2@db:5432/hotel"));
    expect(code).toBe(EXIT.DB_UNAVAILABLE);
    expect(io.err).toEqual([]);
    expect(io.out).toHaveLength(1);
    expect(JSON.parse(io.out[0] as string)).toEqual({ error: { code: "DB_UNAVAILABLE", message: "no route to postgresql://app:***@db:5432/hotel" } });
  });

  it("in human mode prints one line on stderr and nothing on stdout", () => {
    const io = streams({ tty: false });
    new Output({}, io).failure(new HotelError("INVALID_INPUT", "check-in 2031-02-30\ndoes not exist"));
    expect(io.out).toEqual([]);
    expect(io.err.join("")).toBe("error: check-in 2031-02-30 does not exist\n");
  });

  it("debug lines appear with --verbose or DEBUG=hotel, on stderr, redacted", () => {
    const quiet = streams({ tty: false });
    new Output({}, quiet).debug("x");
    expect(quiet.err).toEqual([]);
    const debug = streams({ tty: false, env: { DEBUG: "other,hotel" } });
    new Output({}, debug).debug("connecting to postgres://u:pw@h/db");
    expect(debug.err).toEqual(["hotel: connecting to postgres://u:***@h/db\n"]);
  });
});
