/**
 * What every prediction route does before it predicts: apply injected faults (outside
 * production), make sure the model is loaded and is the one this deployment must serve, pick
 * the prediction context (the constant-probability fault swaps the calibration) and the cache.
 */

import type { Context } from "hono";
import { createPredictionContext, type PredictionContext } from "../../core/predict.js";
import type { ParseOptions, ParseResult } from "../../core/requests.js";
import type { AppDeps, AppEnv } from "./app-env.js";
import { UpstashPredictionCache, getPredictionCache, type CachedPrediction, type PredictionCache } from "./cache/index.js";
import { createClientError, createValidationError } from "./errors.js";
import { applyFaults, readFaultConfig } from "./faults.js";
import { MAX_BODY_BYTES, readJsonBody } from "./http/read-json.js";
import type { LoadedModel } from "./model/model-service.js";
import { deferAfterResponse } from "./middleware/after-response.js";

export interface Serving {
  readonly loaded: LoadedModel;
  readonly context: PredictionContext;
  /** The cache for this request's env (the isolate's, unless the app was given another). */
  readonly cache: PredictionCache<CachedPrediction>;
  /**
   * False while any fault switch is on: a fault-injected colour neither serves cached answers nor
   * stores its own (blue and green serving the same model share Redis entries, so a constant
   * probability would otherwise poison the healthy colour's answers). Never false in production.
   */
  readonly cacheable: boolean;
}

export async function prepareServing(c: Context<AppEnv>, deps: AppDeps): Promise<Serving> {
  const faults = readFaultConfig(c.env);
  await applyFaults(faults);
  const loaded = await deps.models.load(c.env.FLASH_MODEL_VERSION ?? "", { defer: (task) => deferAfterResponse(c, task) });
  const cache = selectCache(c, deps);
  const constant = faults?.constantProbability;
  const context = constant === undefined ? loaded.context : createPredictionContext(loaded.manifest, { constantProbability: constant });
  return { loaded, context, cache, cacheable: faults === undefined };
}

/** The prediction cache for this request: the app's own when it was given one, else the isolate's. */
export function selectCache(c: Context<AppEnv>, deps: AppDeps): PredictionCache<CachedPrediction> {
  return deps.cache ? deps.cache(c.env) : getPredictionCache(c.env);
}

/** What /health says about the cache: which backend, its TTL, and the Redis breaker's state. */
export function describeCache(cache: PredictionCache<CachedPrediction>): Record<string, unknown> {
  const breaker = cache instanceof UpstashPredictionCache ? cache.breakerState : undefined;
  return {
    backend: cache.backend === "upstash" ? "redis" : "memory",
    ttl_seconds: cache.ttlSeconds,
    ...(breaker ? { breaker: breaker.state } : {}),
  };
}

/** The request's JSON body checked by `parse` (honouring ?strict), or the 4xx that says why not. */
export async function readValidBody<T>(
  c: Context<AppEnv>,
  parse: (input: unknown, options: ParseOptions) => ParseResult<T>,
  limit = MAX_BODY_BYTES,
): Promise<T> {
  const strict = readStrictParameter(c);
  const parsed = parse(await readJsonBody(c.req.raw, limit), { strict });
  if (!parsed.ok) throw createValidationError(parsed.issues);
  return parsed.value;
}

/** `?strict=true|false|1|0` (absent = false); anything else is a 400 naming the parameter. */
export function readStrictParameter(c: Context<AppEnv>): boolean {
  const raw = c.req.query("strict");
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw createClientError(400, "invalid_parameter", `strict must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`, [
    { field: "strict", rule: "boolean", message: "must be true or false" },
  ]);
}

export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}
