import { closeSync, openSync, writeSync } from "node:fs";
import { redactSecrets } from "../db/url.js";
import { outcomeClass, REFUSAL_CODE, type RequestResult } from "./results.js";

/**
 * `--out FILE`: one JSON line per request as it finishes, times in ms since
 * the load started. Lines are gathered into 64 KB blocks written straight to
 * the file, so memory stays flat however many requests the run sends:
 *
 *   {"i":17,"operation":"book","outcome":"refused","code":"NO_AVAILABILITY","status":409,
 *    "scheduled":12.5,"started":12.51,"ended":15.02,"latencyMs":2.52,"serviceMs":2.51,
 *    "lockWaitMs":1.9,"late":false}
 *
 * `code` is there for refusals (NO_AVAILABILITY, CONFLICT, INVALID_STATE,
 * HOLD_EXPIRED); `lockWaitMs` is null when not measured (over
 * HTTP); `message` is there for errors.
 */

const BLOCK_BYTES = 65_536;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export class NdjsonWriter {
  private readonly fd: number;
  private buffer = "";

  /** Creates (or truncates) the file now. */
  constructor(
    file: string,
    private readonly origin: () => number,
  ) {
    this.fd = openSync(file, "w", 0o644);
  }

  write(result: RequestResult): void {
    const zero = this.origin();
    const line: Record<string, unknown> = {
      i: result.index,
      operation: result.operation,
      outcome: outcomeClass(result.outcome),
      ...(REFUSAL_CODE[result.outcome] === undefined ? {} : { code: REFUSAL_CODE[result.outcome] }),
      status: result.status,
      scheduled: round3(result.scheduledAt - zero),
      started: round3(result.startedAt - zero),
      ended: round3(result.endedAt - zero),
      latencyMs: round3(result.endedAt - result.scheduledAt),
      serviceMs: round3(result.endedAt - result.startedAt),
      lockWaitMs: Number.isFinite(result.lockWaitMs) ? round3(result.lockWaitMs) : null,
      late: result.late,
      ...(result.message === undefined ? {} : { message: redactSecrets(result.message) }),
    };
    this.buffer += `${JSON.stringify(line)}\n`;
    if (this.buffer.length >= BLOCK_BYTES) this.flush();
  }

  flush(): void {
    if (this.buffer === "") return;
    writeSync(this.fd, this.buffer);
    this.buffer = "";
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
