/**
 * From validated startups to predictions: the one place every /predict and /predict/batch
 * answer is computed, and the seam where the prediction cache plugs in.
 *
 * Today: no cache, everything is computed in one model run and marked BYPASS. With the cache
 * (worker/src/cache), this function becomes: build each item's key from the model's sha256 and
 * the canonical features, one getMany for the batch, predict only the misses (still one model
 * run), and write the misses back with `ctx.waitUntil(cache.setMany(...))`, never awaiting it.
 * What is cached is a `PredictionCore`: per-request fields (id, timestamp, timing, unknown-field
 * warnings, cache status) are added after this function, by the routes.
 */

import type { Context } from "hono";
import type { FeatureValues } from "../../core/encoding.js";
import { predictStartups, type Model, type PredictionContext, type PredictionCore } from "../../core/predict.js";
import type { AppEnv } from "./app-env.js";

export type CacheStatus = "HIT" | "MISS" | "BYPASS";

export interface ResolvedPrediction {
  readonly core: PredictionCore;
  readonly cache: CacheStatus;
}

export interface ResolvePredictionsOptions {
  readonly model: Model;
  readonly context: PredictionContext;
  /** False under fault injection (constant probability): such answers must never be cached. */
  readonly cacheable: boolean;
}

export async function resolvePredictions(
  _c: Context<AppEnv>,
  items: readonly FeatureValues[],
  options: ResolvePredictionsOptions,
): Promise<ResolvedPrediction[]> {
  const cores = await predictStartups(options.model, options.context, items);
  return cores.map((core) => ({ core, cache: "BYPASS" }));
}
