/**
 * Cache-aside for the prediction routes, so /predict and /predict/batch use the cache the same
 * way: look up, compute only what missed, store what was computed off the response path
 * (`waitUntil`), and say for every answer where it came from (HIT, MISS or BYPASS).
 *
 * Every result carries its value's JSON (`text`): the stored text of a HIT, or the one
 * serialisation of a computed value that is also what gets stored, so an answer built from it
 * serialises nothing again.
 *
 * Stored values never carry per-request fields (toCacheablePrediction). After a BYPASS nothing
 * is written: Redis just failed or is being skipped, and a write would only add load to it.
 * Errors of `compute` are the caller's (the model failed): they propagate; cache trouble never does.
 */

import { toCacheablePrediction } from "./cache-key.js";
import type { CacheBypassReason, CacheEntry, CacheStatus, CachedPrediction, PredictionCache } from "./prediction-cache.js";

export type WaitUntil = (promise: Promise<unknown>) => void;

export interface CacheAsideResult<T> {
  /** The prediction without per-request fields (fresh from `compute` or from the cache). */
  readonly value: T;
  /** JSON.stringify(value), or the stored text it was parsed from. */
  readonly text: string;
  readonly cache: CacheStatus;
  /** Why the cache was bypassed, for logs and metrics. */
  readonly bypassReason?: CacheBypassReason;
}

export async function getOrCompute<T extends CachedPrediction>(
  cache: PredictionCache<CachedPrediction>,
  key: string,
  compute: () => Promise<T> | T,
  waitUntil: WaitUntil,
): Promise<CacheAsideResult<CachedPrediction>> {
  const [result] = await getOrComputeMany(cache, [key], async () => [await compute()], waitUntil);
  return result!;
}

/**
 * For a batch: one lookup round trip for all keys, one `computeMissing` call for the positions
 * that were not HITs (so the model runs once, on just those rows), one write round trip for the
 * MISSes. `computeMissing` gets the positions (indexes into `keys`) and returns one prediction
 * per position, in that order.
 */
export async function getOrComputeMany<T extends CachedPrediction>(
  cache: PredictionCache<CachedPrediction>,
  keys: readonly string[],
  computeMissing: (positions: readonly number[]) => Promise<readonly T[]> | readonly T[],
  waitUntil: WaitUntil,
): Promise<CacheAsideResult<CachedPrediction>[]> {
  if (keys.length === 0) return [];
  const lookups = await cache.getMany(keys);
  const missing = lookups.flatMap((lookup, i) => (lookup.status === "HIT" ? [] : [i]));
  const computed = missing.length > 0 ? await computeMissing(missing) : [];
  if (computed.length !== missing.length) {
    throw new Error(`getOrComputeMany: computeMissing returned ${computed.length} predictions for ${missing.length} positions`);
  }
  const results: CacheAsideResult<CachedPrediction>[] = new Array(keys.length);
  const toStore: CacheEntry<CachedPrediction>[] = [];
  missing.forEach((position, j) => {
    const value = toCacheablePrediction(computed[j]!);
    const text = JSON.stringify(value);
    const lookup = lookups[position]!;
    if (lookup.status === "BYPASS") {
      results[position] = { value, text, cache: "BYPASS", bypassReason: lookup.reason };
    } else {
      results[position] = { value, text, cache: "MISS" };
      toStore.push({ key: keys[position]!, value, text });
    }
  });
  lookups.forEach((lookup, i) => {
    if (lookup.status === "HIT") results[i] = { value: lookup.value, text: lookup.text, cache: "HIT" };
  });
  if (toStore.length > 0) {
    const [one] = toStore;
    waitUntil(toStore.length === 1 ? cache.set(one!.key, one!.value, one!.text) : cache.setMany(toStore));
  }
  return results;
}
