/**
 * Cache keys for predictions: a hash of the model's sha256 and the canonical form of the
 * validated features. Canonical form (core/encoding.ts) sorts keys and uses canonical spellings,
 * so `{"funding_stage":"Series A","x":1}` and `{"x":1,"funding_stage":"series_a"}` share a key,
 * while a new model (another sha256) never reads the old model's answers.
 */

import { canonicalizeFeatures, type FeatureValues } from "../../../core/encoding.js";
import { sha256Hex } from "../../../core/sha256.js";

/** Bump the version when the cached value's shape changes, so old entries are simply not found. */
export const DEFAULT_CACHE_NAMESPACE = "flash:prediction:v1";

export interface CacheKeyOptions {
  readonly namespace?: string;
}

export function buildPredictionCacheKey(
  modelSha256: string,
  values: FeatureValues,
  options: CacheKeyOptions = {},
): string {
  if (!/^[0-9a-f]{64}$/i.test(modelSha256)) {
    throw new TypeError(`buildPredictionCacheKey: modelSha256 must be 64 hex characters, got ${JSON.stringify(modelSha256)}`);
  }
  const namespace = options.namespace ?? DEFAULT_CACHE_NAMESPACE;
  // NUL cannot appear in a hex digest, so model and features cannot run into each other.
  return `${namespace}:${sha256Hex(`${modelSha256.toLowerCase()}\u0000${canonicalizeFeatures(values)}`)}`;
}

/**
 * Fields of a /predict answer that are fresh on every request and so never cached: the id, the
 * clock, the timing and where the answer came from.
 */
export const PER_REQUEST_FIELDS: readonly string[] = ["prediction_id", "timestamp", "processing_time_ms", "cache"];

/** A copy of `prediction` without the per-request fields: what the cache stores. */
export function toCacheablePrediction<T extends Readonly<Record<string, unknown>>>(
  prediction: T,
  perRequestFields: readonly string[] = PER_REQUEST_FIELDS,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(prediction)) if (!perRequestFields.includes(key)) copy[key] = value;
  return copy;
}
