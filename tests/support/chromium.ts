import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { pathToFileURL } from "node:url";

/**
 * Loads a page in a real headless Chromium (Debian's `chromium`; .ci/run
 * installs it) and reports what a person would see: the DevTools protocol
 * over --remote-debugging-pipe (JSON messages separated by NUL bytes on
 * file descriptors 3 and 4), a fresh profile in a temporary directory.
 */

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--remote-debugging-pipe",
];

export function chromiumBinary(): string {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter((file): file is string => Boolean(file));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  throw new Error("chromium is not installed: apt-get update && apt-get install -y chromium (.ci/run does this)");
}

export interface PageReport {
  /** Whatever `expression` evaluated to once `ready` held. */
  value: unknown;
  /** Console errors, uncaught exceptions and error log entries. */
  errors: string[];
  /** URLs the page asked for other than its own file. */
  requests: string[];
  /** A PNG of the page, in a temporary directory (never in the repository). */
  screenshot: string;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

export async function loadPage(file: string, ready: string, expression: string, timeoutMs = 30_000): Promise<PageReport> {
  const profile = mkdtempSync(path.join(tmpdir(), "hotel-chromium-"));
  // Its own process group: the browser's helpers (renderer, zygote, crashpad) end with it.
  const child = spawn(chromiumBinary(), [...FLAGS, `--user-data-dir=${profile}`, "about:blank"], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"], detached: true });
  child.stderr?.resume();
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve(result: Record<string, unknown>): void; reject(error: Error): void }>();
  const listeners: ((message: Message) => void)[] = [];
  let buffer = "";
  output.setEncoding("utf8");
  output.on("data", (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\0")) >= 0) {
      const message = JSON.parse(buffer.slice(0, end)) as Message;
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message.result ?? {});
      } else {
        for (const listener of listeners) listener(message);
      }
    }
  });
  let nextId = 0;
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const deadline = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const { targetId } = (await send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
    const { sessionId } = (await send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
    const errors: string[] = [];
    const requests: string[] = [];
    const pageUrl = pathToFileURL(file).href;
    let loaded: () => void = () => undefined;
    const load = new Promise<void>((resolve) => (loaded = resolve));
    listeners.push((message) => {
      if (message.sessionId !== sessionId || !message.params) return;
      const params = message.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- protocol events are untyped here
      if (message.method === "Page.loadEventFired") loaded();
      if (message.method === "Runtime.exceptionThrown") errors.push(`exception: ${params.exceptionDetails?.exception?.description ?? params.exceptionDetails?.text}`);
      if (message.method === "Runtime.consoleAPICalled" && (params.type === "error" || params.type === "assert")) errors.push(`console.${params.type}: ${JSON.stringify(params.args)}`);
      if (message.method === "Log.entryAdded" && params.entry?.level === "error") errors.push(`log: ${params.entry.text} ${params.entry.url ?? ""}`);
      if (message.method === "Network.requestWillBeSent" && params.request?.url !== pageUrl) requests.push(String(params.request?.url));
    });
    for (const domain of ["Runtime", "Log", "Page", "Network"]) await send(`${domain}.enable`, {}, sessionId);
    await send("Page.navigate", { url: pageUrl }, sessionId);
    await load;
    const evaluate = async (text: string): Promise<unknown> =>
      ((await send("Runtime.evaluate", { expression: text, returnByValue: true }, sessionId)) as { result?: { value?: unknown } }).result?.value;
    while (!(await evaluate(ready))) await new Promise((resolve) => setTimeout(resolve, 50));
    const value = await evaluate(expression);
    const { data } = (await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true }, sessionId)) as { data: string };
    const screenshot = path.join(mkdtempSync(path.join(tmpdir(), "hotel-screenshot-")), "report.png");
    writeFileSync(screenshot, Buffer.from(data, "base64"));
    await send("Browser.close").catch(() => undefined);
    return { value, errors, requests, screenshot };
  } finally {
    clearTimeout(deadline);
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
    // Chromium's helper processes may still be writing to the profile after the browser exits (ENOTEMPTY): end the group first.
    await endGroup(child.pid);
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}

/** Kills what is left of a process group and waits (up to 5 s) until none of it runs. */
async function endGroup(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const alive = (): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const deadline = Date.now() + 5000; alive() && Date.now() < deadline; ) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Gone between the check and the kill.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
