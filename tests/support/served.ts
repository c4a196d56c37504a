import type { ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { spawnCli, type CliResult } from "./cli.js";

/** `hotel serve --json` as its own process, with its event lines and stderr collected. */
export interface Served {
  child: ChildProcess;
  url: string;
  events: Record<string, unknown>[];
  stderr(): string;
  /** SIGTERM, then the exit. */
  stop(): Promise<CliResult>;
}

export async function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<Served> {
  const { child, done } = spawnCli(["serve", "--port", "0", "--json", ...args], { env, timeoutMs: 180_000 });
  const events: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout ?? process.stdin }).on("line", (text) => {
      const event = JSON.parse(text) as Record<string, unknown>;
      events.push(event);
      if (event.event === "listening") resolve(event);
    });
    void done.then((result) => reject(new Error(`hotel serve exited ${result.code} before listening: ${result.stderr}`)));
  });
  const url = String((await listening).url);
  return {
    child,
    url,
    events,
    stderr: () => stderr,
    stop() {
      child.kill("SIGTERM");
      return done;
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

export async function request(url: string, method = "GET", body?: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * A tmpfs of `size` on a new directory: a disk that can really fill up. Only
 * root may mount, and a container may forbid it: then `why` says so.
 */
export function mountTmpfs(dir: string, size: string, readOnly = false): { ok: true } | { ok: false; why: string } {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return { ok: false, why: "mounting a small file system needs root" };
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}${readOnly ? ",ro" : ""}`, "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status !== 0) return { ok: false, why: `mount -t tmpfs failed: ${(mounted.stderr || String(mounted.error)).trim()}` };
  return { ok: true };
}

export function unmount(dir: string): void {
  if (spawnSync("umount", [dir]).status !== 0) spawnSync("umount", ["-l", dir]);
  try {
    rmdirSync(dir);
  } catch {
    // still mounted (lazily unmounting) or already gone
  }
}

/** Fills the file system holding `file` to the last byte. */
export function fillDisk(file: string): void {
  spawnSync("dd", ["if=/dev/zero", `of=${file}`, "bs=1M"], { stdio: "ignore" });
  spawnSync("dd", ["if=/dev/zero", `of=${file}`, "bs=4k", "oflag=append", "conv=notrunc"], { stdio: "ignore" });
}
