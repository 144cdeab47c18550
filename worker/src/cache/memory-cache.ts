/**
 * The embedded default: a bounded LRU inside the isolate, so the local stack caches with nothing
 * installed. Each isolate has its own (Cloudflare runs many), so in production its hit rate is
 * lower than a shared Redis; it never fails, so it never answers BYPASS.
 *
 * Values are kept as JSON text: every HIT is a fresh object (a caller that adds per-request
 * fields cannot change what the next request reads) and the byte bound is exact enough.
 */

import { LruCache } from "./lru.js";
import {
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_MEMORY_MAX_BYTES,
  DEFAULT_MEMORY_MAX_ENTRIES,
  readCachedText,
  serializeEntry,
  type CacheEntry,
  type CacheLookup,
  type CacheWriteResult,
  type CachedPrediction,
  type PredictionCache,
} from "./prediction-cache.js";

export interface MemoryPredictionCacheOptions {
  readonly ttlSeconds?: number;
  readonly maxEntries?: number;
  readonly maxBytes?: number;
  readonly now?: () => number;
}

export class MemoryPredictionCache<T = CachedPrediction> implements PredictionCache<T> {
  readonly backend = "memory" as const;
  readonly ttlSeconds: number;
  private readonly lru: LruCache<string>;

  constructor(options: MemoryPredictionCacheOptions = {}) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
    this.lru = new LruCache<string>({
      maxEntries: options.maxEntries ?? DEFAULT_MEMORY_MAX_ENTRIES,
      maxBytes: options.maxBytes ?? DEFAULT_MEMORY_MAX_BYTES,
      // UTF-16 in V8: two bytes a character is the honest upper bound for these strings.
      sizeOf: (text) => text.length * 2 + 64,
      now: options.now,
    });
  }

  /** Entries held now (for /health and tests). */
  get size(): number {
    return this.lru.size;
  }

  /** Remaining TTL of a key in seconds (tests and diagnostics). */
  ttl(key: string): number | undefined {
    const ms = this.lru.ttl(key);
    return ms === undefined ? undefined : Math.ceil(ms / 1000);
  }

  async get(key: string): Promise<CacheLookup<T>> {
    return this.lookup(key);
  }

  async getMany(keys: readonly string[]): Promise<CacheLookup<T>[]> {
    return keys.map((key) => this.lookup(key));
  }

  async set(key: string, value: T, text?: string): Promise<CacheWriteResult> {
    return this.setMany([{ key, value, text }]);
  }

  async setMany(entries: readonly CacheEntry<T>[]): Promise<CacheWriteResult> {
    let count = 0;
    for (const entry of entries) {
      if (this.lru.set(entry.key, serializeEntry(entry), this.ttlSeconds * 1000)) count++;
    }
    return { status: "STORED", count };
  }

  private lookup(key: string): CacheLookup<T> {
    return readCachedText<T>(this.lru.get(key));
  }
}
