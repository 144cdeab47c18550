/**
 * From validated startups to predictions: the one place every /predict and /predict/batch
 * answer is computed, through the prediction cache.
 *
 * Each startup's key is a hash of the served model's sha256 and its canonical validated features
 * (worker/src/cache/cache-key.ts), so key order and spelling variants share an entry and a new
 * model never reads an old model's answers. The whole batch is looked up in one round trip; only
 * the misses are predicted, in ONE model run; what was computed is written back with
 * `ctx.waitUntil`, off the response path. What is cached is a `PredictionCore`: per-request
 * fields (id, timestamp, timing, unknown-field warnings, cache status) are added by the routes.
 *
 * Not cacheable (fault injection is on): the cache is neither read nor written and every answer
 * is a BYPASS, so an injected answer can never be served later as a real one.
 */

import type { Context } from "hono";
import type { FeatureValues } from "../../core/encoding.js";
import { predictStartups, type PredictionContext, type PredictionCore, type PredictionEngine } from "../../core/predict.js";
import type { AppEnv } from "./app-env.js";
import {
  buildPredictionCacheKeys,
  getOrComputeMany,
  type CacheBypassReason,
  type CacheStatus,
  type CachedPrediction,
  type PredictionCache,
  type WaitUntil,
} from "./cache/index.js";

export type { CacheStatus } from "./cache/index.js";

export interface ResolvedPrediction {
  readonly core: PredictionCore;
  /** The core's JSON (serialised once, and the very text the cache stores or returned). */
  readonly json: string;
  readonly cache: CacheStatus;
  readonly bypassReason?: CacheBypassReason | "faults";
}

export interface ResolvePredictionsOptions {
  readonly engine: PredictionEngine;
  readonly context: PredictionContext;
  readonly cache: PredictionCache<CachedPrediction>;
  /** False under fault injection: such answers must never reach (or come from) a cache. */
  readonly cacheable: boolean;
}

/** `ctx.waitUntil` of the request; without an execution context (some tests) the write just runs. */
export function waitUntilOf(c: Context<AppEnv>): WaitUntil {
  let ctx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  return ctx ? (promise) => ctx.waitUntil(promise) : (promise) => void promise.catch(() => undefined);
}

export async function resolvePredictions(
  c: Context<AppEnv>,
  items: readonly FeatureValues[],
  options: ResolvePredictionsOptions,
): Promise<ResolvedPrediction[]> {
  const { engine, context } = options;
  if (!options.cacheable) {
    const cores = await predictStartups(engine, context, items);
    return cores.map((core) => ({ core, json: JSON.stringify(core), cache: "BYPASS", bypassReason: "faults" }));
  }
  const keys = await buildPredictionCacheKeys(context.model.sha256, items);
  const results = await getOrComputeMany(
    options.cache,
    keys,
    async (positions) => (await predictStartups(engine, context, positions.map((i) => items[i]!))) as unknown as CachedPrediction[],
    waitUntilOf(c),
  );
  return results.map((r) => ({
    core: r.value as unknown as PredictionCore,
    json: r.text,
    cache: r.cache,
    ...(r.bypassReason ? { bypassReason: r.bypassReason } : {}),
  }));
}
