/**
 * Helpers for the API's tests inside workerd: requests against the deployed entry point (SELF,
 * the bundled model) or against an app built around another model (createApp + app.fetch).
 */

import { SELF, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { Model } from "../../core/predict.js";
import { FEATURE_COUNT } from "../../core/schema.js";
import { createApp } from "../../worker/src/app.js";
import worker from "../../worker/src/index.js";
import onnx from "../../models/default/model.onnx";
import card from "../../models/default/MODEL_CARD.md";
import manifest from "../../models/default/manifest.json";
import { ModelService, type CreateModel, type ModelBundle } from "../../worker/src/model/model-service.js";

export const BASE = "https://flash.test";

export function postJson(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
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
  const ctx = createExecutionContext();
  const request = new Request(`${BASE}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The committed model's files, without loading onnxruntime (tests with stand-in models stay fast). */
export const committedBundle: ModelBundle = { onnx, manifest, card };

/** A stand-in model: every row gets `probability` (or what `score` says), and calls are counted. */
export class StubModel implements Model {
  readonly calls: number[] = [];
  constructor(private readonly score: (row: Float32Array) => number = () => 0.3) {}
  async predict(features: Float32Array, rows: number): Promise<Float32Array> {
    this.calls.push(rows);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = this.score(features.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT));
    return out;
  }
}

/** An app around `bundle` (default: the real bundled manifest and bytes) and a model factory. */
export function createTestApp(options: { bundle?: ModelBundle; createModel: CreateModel }) {
  const models = new ModelService(options.bundle ?? committedBundle, { createModel: options.createModel });
  const app = createApp({ models });
  return {
    models,
    async fetch(path: string, init: RequestInit = {}, vars: Partial<Env> = {}): Promise<Response> {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${BASE}${path}`, init), { ...env, ...vars }, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    },
    post(path: string, body: unknown, vars: Partial<Env> = {}): Promise<Response> {
      return this.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, vars);
    },
  };
}
