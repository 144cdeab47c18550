/**
 * A small client for the router's admin API (docs/router.md): the split, its history, rollback,
 * promote and per-version stats. Every failure becomes an `AdminApiError` whose message says
 * what went wrong and how to fix it.
 */

import { ContractError, parseHistory, parseSplit, parseStatsResponse, type Split, type SplitChange, type StatsSnapshot } from "./stats.js";

export interface SetSplitRequest {
  candidate_percent: number;
  shadow_percent?: number;
  reason: string;
  expected_revision?: number;
}

/** What the rollout needs from the router's control plane. */
export interface AdminApi {
  getSplit(): Promise<Split>;
  setSplit(request: SetSplitRequest): Promise<Split>;
  rollback(reason: string): Promise<Split>;
  promote(reason: string): Promise<Split>;
  history(limit?: number): Promise<SplitChange[]>;
}

export type AdminErrorKind = "unreachable" | "auth" | "conflict" | "bad-request" | "not-found" | "server" | "contract" | "timeout";

export class AdminApiError extends Error {
  override name = "AdminApiError";
  constructor(
    message: string,
    readonly kind: AdminErrorKind,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface AdminClientOptions {
  /** The router's base URL, e.g. http://localhost:8787 */
  baseUrl: string;
  token: string;
  /** Recorded by the router as who changed the split. */
  actor?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class AdminClient implements AdminApi {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly actor: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: AdminClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.actor = options.actor ?? "flash-scripts";
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async getSplit(): Promise<Split> {
    return this.parseSplitAnswer(await this.request("GET", "/admin/split"), "/admin/split");
  }

  async setSplit(request: SetSplitRequest): Promise<Split> {
    return this.parseSplitAnswer(await this.request("PUT", "/admin/split", { ...request, updated_by: this.actor }), "/admin/split");
  }

  async rollback(reason: string): Promise<Split> {
    return this.parseSplitAnswer(await this.request("POST", "/admin/rollback", { reason, updated_by: this.actor }), "/admin/rollback");
  }

  async promote(reason: string): Promise<Split> {
    return this.parseSplitAnswer(await this.request("POST", "/admin/promote", { reason, updated_by: this.actor }), "/admin/promote");
  }

  async history(limit = 100): Promise<SplitChange[]> {
    const body = await this.request("GET", `/admin/history?limit=${Math.min(100, Math.max(1, Math.round(limit)))}`);
    try {
      return parseHistory(body);
    } catch (error) {
      throw contractError(error, `${this.baseUrl}/admin/history`);
    }
  }

  private parseSplitAnswer(body: unknown, path: string): Split {
    try {
      return parseSplit(unwrap(body, "split"));
    } catch (error) {
      throw contractError(error, `${this.baseUrl}${path}`);
    }
  }

  /** `GET /admin/stats?window=N`: the router's per-version figures over the last N seconds. */
  async stats(windowSeconds: number): Promise<StatsSnapshot> {
    const body = await this.request("GET", `/admin/stats?window=${Math.max(1, Math.round(windowSeconds))}`);
    try {
      return parseStatsResponse(body, "router");
    } catch (error) {
      throw contractError(error, `${this.baseUrl}/admin/stats`);
    }
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: "application/json",
      "x-flash-actor": this.actor,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
        throw new AdminApiError(`${method} ${url} timed out after ${this.timeoutMs} ms: is the router overloaded or the URL wrong?`, "timeout");
      }
      throw new AdminApiError(
        `cannot reach the router at ${this.baseUrl} (${cause}). Start the local stack with \`npm start\`, or set FLASH_ROUTER_URL (or --router) to the router's URL.`,
        "unreachable",
      );
    }
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined) {
        throw new AdminApiError(`${method} ${url} answered ${response.status} without JSON: is ${this.baseUrl} the router?`, "contract", response.status);
      }
      return json;
    }
    const detail = errorDetail(json, text);
    switch (response.status) {
      case 401:
      case 403:
        throw new AdminApiError(
          `the router refused the admin token (${response.status}${detail ? `: ${detail}` : ""}). Set ADMIN_TOKEN (or --admin-token) to the router's admin token; locally it is ADMIN_TOKEN in .dev.vars.example.`,
          "auth",
          response.status,
        );
      case 404:
        throw new AdminApiError(`${method} ${url} answered 404: is FLASH_ROUTER_URL the router (not the API)?${detail ? ` (${detail})` : ""}`, "not-found", 404);
      case 409:
        throw new AdminApiError(`the split changed under us (409${detail ? `: ${detail}` : ""}): someone else changed it; read it again with \`npm run status\``, "conflict", 409);
      default:
        if (response.status >= 400 && response.status < 500) {
          throw new AdminApiError(`${method} ${url} was rejected (${response.status}${detail ? `: ${detail}` : ""})`, "bad-request", response.status);
        }
        throw new AdminApiError(`${method} ${url} failed on the router (${response.status}${detail ? `: ${detail}` : ""}); check the router's logs (wrangler tail)`, "server", response.status);
    }
  }
}

/** Admin answers may be the object itself or wrap it (`{split: {...}}`). */
function unwrap(body: unknown, key: string): unknown {
  if (typeof body === "object" && body !== null && key in body) return (body as Record<string, unknown>)[key];
  return body;
}

function errorDetail(json: unknown, text: string): string {
  if (typeof json === "object" && json !== null) {
    const j = json as Record<string, unknown>;
    const message = j.message ?? j.error ?? j.detail;
    if (typeof message === "string") return message;
    if (typeof message === "object" && message !== null) return JSON.stringify(message);
  }
  return text.slice(0, 200).trim();
}

function contractError(error: unknown, where: string): Error {
  if (error instanceof ContractError) {
    return new AdminApiError(`${where} answered an unexpected shape: ${error.message}. Are the router and scripts from the same version?`, "contract");
  }
  return error instanceof Error ? error : new Error(String(error));
}
