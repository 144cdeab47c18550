/**
 * The prediction cache: `getPredictionCache(env)` gives the isolate's cache (Redis through
 * Upstash when UPSTASH_REDIS_REST_URL/TOKEN are set, else a bounded in-isolate LRU).
 *
 * Module-level state, on purpose: besides the ONNX session, the isolate keeps one cache instance,
 * because the in-isolate LRU and the circuit breaker are only useful if they outlive a request.
 * It is rebuilt when the cache settings change (a new deployment gets a new isolate anyway).
 */

import { readCacheConfig, type CacheConfig, type CacheEnv } from "./cache-config.js";
import { MemoryPredictionCache } from "./memory-cache.js";
import type { CachedPrediction, PredictionCache } from "./prediction-cache.js";
import { UpstashPredictionCache } from "./upstash-cache.js";

export * from "./prediction-cache.js";
export { buildPredictionCacheKey, buildPredictionCacheKeys, toCacheablePrediction, PER_REQUEST_FIELDS, DEFAULT_CACHE_NAMESPACE } from "./cache-key.js";
export { readCacheConfig, type CacheConfig, type CacheEnv } from "./cache-config.js";
export { MemoryPredictionCache, type MemoryPredictionCacheOptions } from "./memory-cache.js";
export { UpstashPredictionCache, type UpstashPredictionCacheOptions } from "./upstash-cache.js";
export { CircuitBreaker, type BreakerState, type BreakerSnapshot } from "./circuit-breaker.js";
export { getOrCompute, getOrComputeMany, type CacheAsideResult, type WaitUntil } from "./cache-aside.js";

export function createPredictionCache(config: CacheConfig): PredictionCache<CachedPrediction> {
  if (config.backend === "upstash" && config.url && config.token) {
    return new UpstashPredictionCache({
      url: config.url,
      token: config.token,
      ttlSeconds: config.ttlSeconds,
      timeoutMs: config.timeoutMs,
      breakerFailures: config.breakerFailures,
      breakerCooldownMs: config.breakerCooldownMs,
    });
  }
  return new MemoryPredictionCache({ ttlSeconds: config.ttlSeconds, maxEntries: config.memoryMaxEntries });
}

let current: { readonly signature: string; readonly cache: PredictionCache<CachedPrediction> } | undefined;

export interface GetPredictionCacheOptions {
  /** Where configuration warnings go (once per cache instance); console.warn by default. */
  readonly warn?: (message: string) => void;
}

/** Which cache an env object got last time: workerd hands every request the same env object. */
const byEnv = new WeakMap<object, PredictionCache<CachedPrediction>>();

/** The isolate's cache for these settings (created on first use, reused afterwards). */
export function getPredictionCache(env: CacheEnv, options: GetPredictionCacheOptions = {}): PredictionCache<CachedPrediction> {
  const known = byEnv.get(env);
  if (known !== undefined && known === current?.cache) return known;
  const cache = resolvePredictionCache(env, options);
  byEnv.set(env, cache);
  return cache;
}

function resolvePredictionCache(env: CacheEnv, options: GetPredictionCacheOptions): PredictionCache<CachedPrediction> {
  const { config, warnings } = readCacheConfig(env);
  const signature = JSON.stringify({ config, warnings });
  if (current?.signature === signature) return current.cache;
  const warn = options.warn ?? ((message: string) => console.warn(`cache: ${message}`));
  for (const warning of warnings) warn(warning);
  current = { signature, cache: createPredictionCache(config) };
  return current.cache;
}
