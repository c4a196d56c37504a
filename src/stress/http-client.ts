import http from "node:http";
import https from "node:https";
import { HotelError } from "../core/errors.js";

/**
 * A small keep-alive JSON client for `hotel serve`: one agent per server with
 * as many sockets as requests in flight, so no request pays for a TCP
 * handshake once the run is warm. With an API token, every request carries
 * `Authorization: Bearer TOKEN`; the token is a secret and never appears in
 * a message of this client.
 */

const RESPONSE_LIMIT_BYTES = 1_048_576;
const REQUEST_TIMEOUT_MS = 120_000;

export interface JsonResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export class HttpClient {
  readonly base: string;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(
    base: string,
    sockets: number,
    private readonly token?: string,
  ) {
    this.base = base.replace(/\/+$/, "");
    const secure = this.base.startsWith("https:");
    this.transport = secure ? https : http;
    const options = { keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets };
    this.agent = secure ? new https.Agent(options) : new http.Agent(options);
  }

  /** Sends one request; resolves with any status, rejects only when no answer came. */
  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        `${this.base}${path}`,
        {
          method,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            Accept: "application/json",
            ...(this.token === undefined ? {} : { Authorization: `Bearer ${this.token}` }),
            ...(payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) }),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > RESPONSE_LIMIT_BYTES) res.destroy(new Error(`the answer of ${method} ${path} is over ${RESPONSE_LIMIT_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text === "" ? undefined : JSON.parse(text);
            } catch {
              // not JSON: handed on as text, the caller reports it
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${path} within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** GET that must answer 200 with JSON; anything else is a HotelError naming the server. */
  async getJson<T>(path: string): Promise<T> {
    let response: JsonResponse;
    try {
      response = await this.request("GET", path);
    } catch (error) {
      throw this.unreachable(error);
    }
    const refused = this.refusal(response);
    if (refused) throw refused;
    if (response.status !== 200) throw new HotelError("DB_UNAVAILABLE", `${this.base}${path} answered ${response.status}${describeError(response.body)}`);
    return response.body as T;
  }

  /**
   * 401 or 403: the server refused this client's credentials (none, a wrong
   * or revoked token, a read-only one). Nothing the run sends can succeed, so
   * it is a configuration problem (exit 78), not a failed request.
   */
  refusal(response: JsonResponse): HotelError | undefined {
    if (response.status === 401) {
      return new HotelError(
        "CONFIG",
        this.token === undefined
          ? `${this.base} requires an API token and none was sent (401): pass one with --token or HOTEL_TOKEN`
          : `${this.base} refused the API token (401: malformed, unknown to its property, or revoked): pass a valid one with --token or HOTEL_TOKEN`,
      );
    }
    if (response.status === 403) {
      return new HotelError("CONFIG", `${this.base} refused the API token (403: it is read-only): stress books, so it needs a frontdesk token`);
    }
    return undefined;
  }

  /** `text` with this client's token masked, for any message that quotes what came back. */
  redact(text: string): string {
    return this.token === undefined ? text : text.split(this.token).join("***");
  }

  unreachable(error: unknown): HotelError {
    const reason = this.redact(error instanceof Error ? error.message : String(error));
    return new HotelError("DB_UNAVAILABLE", `Cannot reach ${this.base}: ${reason} (is \`hotel serve\` running there?)`, { cause: error });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** ": CODE message" from a `{"error","code"}` body, for messages. */
export function describeError(body: unknown): string {
  if (typeof body !== "object" || body === null) return typeof body === "string" && body !== "" ? `: ${body.slice(0, 200)}` : "";
  const { error, code } = body as { error?: unknown; code?: unknown };
  const message = typeof error === "string" ? error : typeof error === "object" && error !== null ? String((error as { message?: unknown }).message ?? "") : "";
  return `: ${[code, message].filter((part) => typeof part === "string" && part !== "").join(" ")}`.replace(/: $/, "");
}
