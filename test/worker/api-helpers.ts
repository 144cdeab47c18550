/**
 * Helpers for the API's tests inside workerd: requests against the deployed entry point (SELF,
 * the bundled model) or against an app built around another model (createApp + app.fetch).
 *
 * Every helper sends the development key (`Authorization: Bearer ${env.FLASH_DEV_API_KEY}`) unless
 * the request sets its own Authorization. The test env gets that key from .dev.vars.example
 * through vitest.config.ts, the same file `npm start` reads.
 */

import { SELF, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { createRowExplainer } from "../../core/explain.js";
import type { Model } from "../../core/predict.js";
import { FEATURE_COUNT } from "../../core/schema.js";
import { createApp } from "../../worker/src/app.js";
import { MemoryPredictionCache, type CachedPrediction, type PredictionCache } from "../../worker/src/cache/index.js";
import type { ModelManifest } from "../../core/manifest.js";
import worker, { model as defaultModel } from "../../models/default.js";
import { ModelService, type CreateModel, type ModelBundle } from "../../worker/src/model/model-service.js";

export const BASE = "https://flash.test";

/** The development key of the test env (.dev.vars.example's FLASH_DEV_API_KEY). */
export const DEV_API_KEY: string = (env as unknown as { FLASH_DEV_API_KEY?: string }).FLASH_DEV_API_KEY ?? "";
if (!DEV_API_KEY) throw new Error("FLASH_DEV_API_KEY is missing from the test env: vitest.config.ts reads it from .dev.vars.example");

export const AUTH: Readonly<Record<string, string>> = { authorization: `Bearer ${DEV_API_KEY}` };

/** `headers` with the development key added, unless they carry an Authorization already. */
export function withAuth(headers: HeadersInit | undefined): Headers {
  const out = new Headers(headers);
  if (!out.has("authorization")) out.set("authorization", AUTH.authorization!);
  return out;
}

export function postJson(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  const headers = withAuth(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return SELF.fetch(`${BASE}${path}`, {
    method: "POST",
    ...init,
    headers,
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

/** Any request to the deployed entry point, with the development key unless init says otherwise. */
export function fetchApi(path: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { ...init, headers: withAuth(init.headers) });
}

export async function readJson<T = any>(res: Response): Promise<T> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as T;
}

/**
 * POST to the deployed entry point's fetch handler directly (same isolate, no HTTP hop): for
 * tests that send thousands of requests.
 */
export async function postDirect(path: string, body: unknown): Promise<Response> {
  const request = new Request(`${BASE}${path}`, { method: "POST", headers: withAuth({ "content-type": "application/json" }), body: JSON.stringify(body) });
  return fetchDirect(request);
}

/**
 * Any request to the deployed entry point's fetch handler (same isolate, no HTTP hop), with env
 * vars added or replaced (e.g. UPSTASH_REDIS_REST_URL/TOKEN of the test run's Redis), waiting for
 * its `ctx.waitUntil` work (cache writes) before answering.
 */
export async function fetchDirect(request: Request, vars: Readonly<Record<string, unknown>> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The committed model's files, without loading onnxruntime (tests with stand-in models stay fast). */
/** The default model's files (models/default.ts points at its version), as the Worker bundles them. */
export const committedBundle: ModelBundle = defaultModel;

/** The default model's manifest, typed. */
export const defaultManifest = defaultModel.manifest as ModelManifest;

/** A stand-in model: every row gets `probability` (or what `score` says), and calls are counted. */
export class StubModel implements Model {
  readonly calls: number[] = [];
  /** Its pillar scores and factors: the variants scored through the same `score` (not counted in `calls`). */
  readonly explainer = createRowExplainer((features, rows) => this.scoreRows(features, rows));
  constructor(private readonly score: (row: Float32Array) => number = () => 0.3) {}
  async predict(features: Float32Array, rows: number): Promise<Float32Array> {
    this.calls.push(rows);
    return this.scoreRows(features, rows);
  }
  private scoreRows(features: Float32Array, rows: number): Float32Array {
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = this.score(features.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT));
    return out;
  }
}

export interface TestAppOptions {
  /** Default: the real bundled manifest and bytes. */
  readonly bundle?: ModelBundle;
  readonly createModel: CreateModel;
  /** "eager" by default: every answer waits for the model (stand-ins included); "deferred" as the Worker. */
  readonly start?: "eager" | "deferred";
  /**
   * The app's prediction cache. Default: a fresh in-isolate cache of this app's own, so stand-in
   * models (which share the real model's sha256) never answer from each other's entries.
   * Pass `"isolate"` for the Worker's own choice (`getPredictionCache(env)`: Redis when the env
   * has UPSTASH_REDIS_REST_URL/TOKEN).
   */
  readonly cache?: "isolate" | ((env: Env) => PredictionCache<CachedPrediction>);
  /** Vars over the test env for every request (e.g. REQUEST_LOGS "true" where a test reads the log). */
  readonly vars?: Partial<Env>;
}

/** An app around `bundle` and a model factory, called with the development key by default. */
export function createTestApp(options: TestAppOptions) {
  const models = new ModelService(options.bundle ?? committedBundle, {
    createModel: options.createModel,
    // A stand-in model explains itself; a real one (onnxruntime) is explained by its trees.
    explainWith: (model) => (model instanceof StubModel ? model.explainer : undefined),
    start: options.start ?? "eager",
  });
  const own = new MemoryPredictionCache();
  const cache = options.cache === "isolate" ? undefined : (options.cache ?? (() => own));
  const app = createApp({ models, ...(cache ? { cache } : {}) });
  return {
    models,
    async fetch(path: string, init: RequestInit = {}, vars: Partial<Env> = {}): Promise<Response> {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers: withAuth(init.headers) }), { ...env, ...options.vars, ...vars }, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    },
    post(path: string, body: unknown, vars: Partial<Env> = {}, headers: Record<string, string> = {}): Promise<Response> {
      return this.fetch(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }, vars);
    },
  };
}
