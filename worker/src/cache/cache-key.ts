/**
 * Cache keys for predictions: a hash of the model's sha256 and the canonical form of the
 * validated features. Canonical form (core/encoding.ts) sorts keys and uses canonical spellings,
 * so `{"funding_stage":"Series A","x":1}` and `{"x":1,"funding_stage":"series_a"}` share a key,
 * while a new model (another sha256) never reads the old model's answers.
 */

import { canonicalizeFeatures, type FeatureValues } from "../../../core/encoding.js";
import { sha256Hex, toHex } from "../../../core/sha256.js";

/** Bump the version when the cached value's shape changes, so old entries are simply not found. */
export const DEFAULT_CACHE_NAMESPACE = "flash:prediction:v1";

export interface CacheKeyOptions {
  readonly namespace?: string;
}

function keyMaterial(modelSha256: string, values: FeatureValues): string {
  if (!/^[0-9a-f]{64}$/i.test(modelSha256)) {
    throw new TypeError(`buildPredictionCacheKey: modelSha256 must be 64 hex characters, got ${JSON.stringify(modelSha256)}`);
  }
  // NUL cannot appear in a hex digest, so model and features cannot run into each other.
  return `${modelSha256.toLowerCase()}\u0000${canonicalizeFeatures(values)}`;
}

export function buildPredictionCacheKey(
  modelSha256: string,
  values: FeatureValues,
  options: CacheKeyOptions = {},
): string {
  return `${options.namespace ?? DEFAULT_CACHE_NAMESPACE}:${sha256Hex(keyMaterial(modelSha256, values))}`;
}

const encoder = new TextEncoder();

/**
 * The same keys as buildPredictionCacheKey, hashed by the runtime's native SHA-256
 * (crypto.subtle): on the request path that is several times cheaper than hashing in JavaScript.
 */
export async function buildPredictionCacheKeys(
  modelSha256: string,
  items: readonly FeatureValues[],
  options: CacheKeyOptions = {},
): Promise<string[]> {
  const namespace = options.namespace ?? DEFAULT_CACHE_NAMESPACE;
  return Promise.all(
    items.map(async (values) => {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(keyMaterial(modelSha256, values))));
      return `${namespace}:${toHex(digest)}`;
    }),
  );
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
