/**
 * Where predictions are cached. Two backends share this interface: Redis through Upstash's REST
 * protocol (upstash-cache.ts) and a bounded in-isolate LRU (memory-cache.ts), the default when
 * no Redis is configured.
 *
 * Every method fails open: nothing here throws; a backend problem comes back as
 * `{ status: "BYPASS", reason }` and the caller computes the prediction as if it had missed.
 */

export type CacheStatus = "HIT" | "MISS" | "BYPASS";

/** timeout: the backend was slower than the per-call budget; error: it failed or answered
 * nonsense; circuit_open: recent failures, so it was not asked at all. */
export type CacheBypassReason = "timeout" | "error" | "circuit_open";

export type CacheLookup<T> =
  /** `text` is the stored JSON of `value`: an answer can be built from it without serialising again. */
  | { readonly status: "HIT"; readonly value: T; readonly text: string }
  | { readonly status: "MISS" }
  | { readonly status: "BYPASS"; readonly reason: CacheBypassReason; readonly detail?: string };

export type CacheWriteResult =
  | { readonly status: "STORED"; readonly count: number }
  | { readonly status: "BYPASS"; readonly reason: CacheBypassReason; readonly detail?: string };

export interface CacheEntry<T> {
  readonly key: string;
  readonly value: T;
  /** JSON.stringify(value), when the caller already has it (it is stored as is). */
  readonly text?: string;
}

/** A cached prediction: the /predict answer without its per-request fields (JSON-serialisable). */
export type CachedPrediction = Readonly<Record<string, unknown>>;

export type CacheBackend = "upstash" | "memory";

export interface PredictionCache<T = CachedPrediction> {
  readonly backend: CacheBackend;
  readonly ttlSeconds: number;
  get(key: string): Promise<CacheLookup<T>>;
  /** One round trip for the whole batch (MGET); results in the order of `keys`. */
  getMany(keys: readonly string[]): Promise<CacheLookup<T>[]>;
  /**
   * Meant to run off the response path: `ctx.waitUntil(cache.set(key, value))`. `text`, when
   * given, is JSON.stringify(value), stored as is.
   */
  set(key: string, value: T, text?: string): Promise<CacheWriteResult>;
  /** One round trip for the whole batch (a pipeline of SET ... EX). */
  setMany(entries: readonly CacheEntry<T>[]): Promise<CacheWriteResult>;
}

export const DEFAULT_CACHE_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_CACHE_TIMEOUT_MS = 50;
export const DEFAULT_BREAKER_FAILURES = 5;
export const DEFAULT_BREAKER_COOLDOWN_MS = 10_000;
export const DEFAULT_MEMORY_MAX_ENTRIES = 5_000;
export const DEFAULT_MEMORY_MAX_BYTES = 16 * 1024 * 1024;

/** Parse a stored JSON value; undefined when it is not a JSON object (treated as a miss). */
export function parseCachedJson<T>(text: string): T | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/** A stored text as a lookup: a HIT carrying the text, or a MISS when it is not a JSON object. */
export function readCachedText<T>(text: string | null | undefined): CacheLookup<T> {
  const value = typeof text === "string" ? parseCachedJson<T>(text) : undefined;
  return value === undefined ? { status: "MISS" } : { status: "HIT", value, text: text! };
}

/** What a backend stores for an entry: the caller's JSON when it gave one. */
export function serializeEntry<T>(entry: CacheEntry<T>): string {
  return entry.text ?? JSON.stringify(entry.value);
}
