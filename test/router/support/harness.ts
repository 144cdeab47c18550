/**
 * Inside workerd: router instances ("isolates", each with its own RouterRuntime) in front of
 * the real API deployments, helpers for admin calls and /predict bodies.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env as baseEnv } from "cloudflare:workers";
import { createRouterApp } from "../../../router/src/app";
import type { DataPoint } from "../../../router/src/core/analytics";
import { RouterRuntime, type RouterRuntimeOptions } from "../../../router/src/runtime";
import { TEST_API_KEY, TEST_SECRETS } from "./constants";

export const BASE = "https://router.test";
export const ADMIN_TOKEN = TEST_SECRETS.ADMIN_TOKEN;
export const TESTER_TOKEN = TEST_SECRETS.TESTER_TOKENS.split(",")[0]!;

export interface TestEnvOptions {
  /** Route GREEN to the deployment that answers every /predict with 500 after 400 ms. */
  readonly brokenGreen?: boolean;
  /** Router vars to override (FALLBACK_ENABLED, UPSTREAM_TIMEOUT_MS, SPLIT_CACHE_MS, ...). */
  readonly vars?: Readonly<Record<string, string>>;
  /** An Analytics Engine binding, or null for none. */
  readonly analytics?: AnalyticsEngineDataset | null;
}

/**
 * A Durable Object namespace whose object names carry a prefix: every testEnv() gets its own
 * split and metrics objects, so tests cannot see each other's state (they share one runtime).
 */
function scoped(ns: DurableObjectNamespace, prefix: string): DurableObjectNamespace {
  return {
    idFromName: (name: string) => ns.idFromName(`${prefix}/${name}`),
    get: (id: DurableObjectId) => ns.get(id),
  } as unknown as DurableObjectNamespace;
}

/** Router bindings with fresh Durable Objects; isolates built on the same env share them. */
export function testEnv(options: TestEnvOptions = {}): Env {
  const bindings = baseEnv as unknown as Env & { GREEN_BROKEN: Fetcher };
  const scope = crypto.randomUUID();
  const out: Record<string, unknown> = {
    ...bindings,
    SPLIT_CONTROL: scoped(bindings.SPLIT_CONTROL as unknown as DurableObjectNamespace, scope),
    VERSION_METRICS: scoped(bindings.VERSION_METRICS as unknown as DurableObjectNamespace, scope),
    ...options.vars,
  };
  if (options.brokenGreen) out.GREEN = bindings.GREEN_BROKEN;
  if (options.analytics !== undefined) out.ANALYTICS = options.analytics ?? undefined;
  return out as unknown as Env;
}

/** One router isolate: its own split cache and metrics buffer, the shared Durable Objects. */
export class Isolate {
  readonly runtime: RouterRuntime;
  private readonly app: ReturnType<typeof createRouterApp>;

  constructor(
    readonly env: Env = testEnv(),
    runtimeOptions: RouterRuntimeOptions = {},
  ) {
    this.runtime = new RouterRuntime(runtimeOptions);
    this.app = createRouterApp(this.runtime);
  }

  /** One request; returns once its background work (flush, shadow) has finished too. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const ctx = createExecutionContext();
    const response = await this.app.fetch(new Request(`${BASE}${path}`, init), this.env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  /** Without waiting for the background work: what a client experiences. */
  async fetchNoWait(path: string, init: RequestInit = {}): Promise<{ response: Response; ctx: ExecutionContext }> {
    const ctx = createExecutionContext();
    const response = await this.app.fetch(new Request(`${BASE}${path}`, init), this.env, ctx);
    return { response, ctx };
  }

  admin(method: string, path: string, body?: unknown, token: string = ADMIN_TOKEN): Promise<Response> {
    return this.fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  }

  async adminJson<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.admin(method, path, body);
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Sets the split through the admin API. */
  setSplit(candidate_percent: number, extra: Record<string, unknown> = {}): Promise<any> {
    return this.adminJson("PUT", "/admin/split", { candidate_percent, reason: "test", ...extra });
  }

  predict(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch("/predict", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  }
}

/** A valid /predict body; different `i` give different startups (and predictions). */
export function startup(i: number): Record<string, unknown> {
  return {
    total_capital_raised_usd: 250_000 + (i % 97) * 150_000,
    funding_stage: ["pre_seed", "seed", "series_a", "series_b"][i % 4],
    runway_months: 3 + (i % 31),
    founders_count: 1 + (i % 4),
  };
}

/** An Analytics Engine binding that keeps what it is given (the real one cannot run here). */
export class RecordingAnalytics implements AnalyticsEngineDataset {
  readonly points: DataPoint[] = [];
  writeDataPoint(event?: AnalyticsEngineDataPoint): void {
    this.points.push({
      blobs: (event?.blobs ?? []).map((b) => (b === null ? "" : typeof b === "string" ? b : new TextDecoder().decode(b as ArrayBuffer))),
      doubles: [...(event?.doubles ?? [])],
      indexes: (event?.indexes ?? []).map((i) => (i === null ? "" : typeof i === "string" ? i : new TextDecoder().decode(i as ArrayBuffer))),
    });
  }
}
