import type { IncomingMessage } from "node:http";
import { HttpError } from "./errors.js";

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/**
 * An oversized body is still read (and thrown away) up to this many bytes
 * before the 413 goes out: closing a socket with unread input makes the kernel
 * send a RST, and the client may then lose the 413 itself. Beyond it the
 * connection is closed at once.
 */
const DISCARD_LIMIT_BYTES = 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** 415 unless the request says it carries JSON (application/json or application/*+json, UTF-8). */
export function assertJsonContentType(req: IncomingMessage): void {
  const header = req.headers["content-type"];
  const [type = "", ...params] = (header ?? "").split(";").map((part) => part.trim().toLowerCase());
  const charset = params.find((param) => param.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
  const isJson = type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  if (!isJson || (charset !== undefined && charset !== "utf-8" && charset !== "utf8")) {
    const got = header === undefined ? "no Content-Type" : `"${header.slice(0, 100)}"`;
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `Send the body as JSON with Content-Type: application/json (got ${got})`, {
      headers: { "Accept-Post": "application/json" },
    });
  }
}

export const payloadTooLarge = (limit: number, closeConnection: boolean): HttpError =>
  new HttpError(413, "PAYLOAD_TOO_LARGE", `Request body is over the limit of ${limit} bytes`, { closeConnection });

/** Reads the whole body, refusing more than `limit` bytes with 413. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  const tooLarge = (closeConnection: boolean): HttpError => payloadTooLarge(limit, closeConnection);
  if (declared > DISCARD_LIMIT_BYTES) {
    req.resume();
    throw tooLarge(true);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_LIMIT_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooLarge(true));
      } else if (size <= limit) {
        chunks.push(chunk);
      } else {
        chunks.length = 0;
      }
    });
    req.once("end", () => (size > limit ? reject(tooLarge(false)) : resolve(Buffer.concat(chunks, size))));
    req.once("error", reject);
    // A client that goes away mid-body: nobody is left to answer.
    req.once("close", () => {
      if (!req.complete) reject(new Error("the client closed the connection before sending the whole body"));
    });
  });
}

/** Parses a body as one JSON object; 400 for anything else. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw new HttpError(400, "INVALID_INPUT", "Request body is empty: send a JSON object");
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpError(400, "INVALID_INPUT", "Request body is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, "INVALID_INPUT", `Request body is not valid JSON: ${reason.slice(0, 200)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "INVALID_INPUT", `Request body must be a JSON object, got ${Array.isArray(value) ? "an array" : String(value === null ? "null" : typeof value)}`);
  }
  return value as Record<string, unknown>;
}
