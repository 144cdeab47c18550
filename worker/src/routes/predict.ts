/**
 * POST /predict and POST /predict/batch. Both validate every field, look every valid startup up
 * in the prediction cache (one round trip for a whole batch), predict the misses in one model
 * run (resolvePredictions) and answer with the headers the router reads. `X-Cache` and the
 * body's `cache` say HIT, MISS or BYPASS; id, timestamp and timing are fresh on every answer.
 */

import { Hono } from "hono";
import type { PredictionCore } from "../../../core/predict.js";
import { parseBatch, parseStartup, type ParsedStartup } from "../../../core/requests.js";
import type { Warning } from "../../../core/warnings.js";
import type { AppDeps, AppEnv } from "../app-env.js";
import { buildErrorBody } from "../errors.js";
import { MAX_BATCH_BODY_BYTES } from "../http/read-json.js";
import { resolvePredictions, type CacheStatus } from "../prediction-flow.js";
import { elapsedMs, prepareServing, readValidBody } from "../serving.js";

export interface PredictionBody extends Omit<PredictionCore, "warnings"> {
  readonly prediction_id: string;
  readonly warnings: readonly Warning[];
  readonly cache: CacheStatus;
  readonly processing_time_ms: number;
  readonly timestamp: string;
}

function buildPredictionBody(
  core: PredictionCore,
  requestWarnings: readonly Warning[],
  cache: CacheStatus,
  startedAt: number,
): PredictionBody {
  return {
    prediction_id: crypto.randomUUID(),
    ...core,
    warnings: requestWarnings.length > 0 ? [...requestWarnings, ...core.warnings] : core.warnings,
    cache,
    processing_time_ms: elapsedMs(startedAt),
    timestamp: new Date().toISOString(),
  };
}

/** All HIT, all MISS or all BYPASS says so; a mix is MISS (something was computed). */
function summariseCache(statuses: readonly CacheStatus[]): CacheStatus {
  const first = statuses[0] ?? "BYPASS";
  return statuses.every((s) => s === first) ? first : "MISS";
}

export function createPredictRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post("/predict", async (c) => {
    const startedAt = performance.now();
    const startup = await readValidBody(c, parseStartup);
    const serving = await prepareServing(c, deps);
    const [resolved] = await resolvePredictions(c, [startup.values], {
      engine: serving.loaded,
      context: serving.context,
      cache: serving.cache,
      cacheable: serving.cacheable,
    });
    const body = buildPredictionBody(resolved!.core, startup.warnings, resolved!.cache, startedAt);
    return c.json(body, 200, {
      "X-Cache": body.cache,
      "X-Flash-Probability": String(Math.round(body.success_probability * 1e6) / 1e6),
      "X-Flash-Verdict": body.verdict_code,
      "X-Flash-Model-Version": body.model.version,
      "X-Flash-Prediction-Id": body.prediction_id,
      // "trees" while onnxruntime starts in a fresh isolate (same file, same probabilities).
      "X-Flash-Engine": serving.loaded.engine(),
    });
  });

  routes.post("/predict/batch", async (c) => {
    const startedAt = performance.now();
    const items = await readValidBody(c, parseBatch, MAX_BATCH_BODY_BYTES);
    const serving = await prepareServing(c, deps);
    const valid = items.flatMap((item, index) => (item.ok ? [{ index, startup: item.value as ParsedStartup }] : []));
    const resolved = await resolvePredictions(
      c,
      valid.map((v) => v.startup.values),
      { engine: serving.loaded, context: serving.context, cache: serving.cache, cacheable: serving.cacheable },
    );
    const byIndex = new Map(valid.map((v, k) => [v.index, { startup: v.startup, resolved: resolved[k]! }]));
    const results = items.map((item, index) => {
      if (!item.ok) {
        const message = `${item.issues.length} problem${item.issues.length === 1 ? "" : "s"} with startups[${index}]`;
        return { index, status: 422, error: buildErrorBody(422, "invalid_request", message, item.issues).error };
      }
      const { startup, resolved: r } = byIndex.get(index)!;
      return { index, status: 200, prediction: buildPredictionBody(r.core, startup.warnings, r.cache, startedAt) };
    });
    const model = serving.context.model;
    const cache = summariseCache(resolved.map((r) => r.cache));
    return c.json(
      {
        count: results.length,
        succeeded: valid.length,
        failed: results.length - valid.length,
        results,
        model,
        cache,
        processing_time_ms: elapsedMs(startedAt),
        timestamp: new Date().toISOString(),
      },
      200,
      { "X-Cache": cache, "X-Flash-Model-Version": model.version, "X-Flash-Engine": serving.loaded.engine() },
    );
  });

  return routes;
}
