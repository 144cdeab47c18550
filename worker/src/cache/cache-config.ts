/**
 * Cache settings from the Worker's vars and secrets. Pure: invalid values fall back to the
 * default and come back as warnings for the caller to log once, so a typo in a var degrades
 * the cache's tuning instead of failing requests.
 *
 *   UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN  Redis (both set), else the in-isolate LRU
 *   CACHE_TTL_SECONDS          default 86400 (24 h)
 *   CACHE_TIMEOUT_MS           per Redis round trip, default 50
 *   CACHE_BREAKER_FAILURES     failures in a row that open the breaker, default 5
 *   CACHE_BREAKER_COOLDOWN_MS  how long an open breaker skips Redis, default 10000
 *   CACHE_MEMORY_MAX_ENTRIES   bound of the in-isolate LRU, default 5000
 */

import {
  DEFAULT_BREAKER_COOLDOWN_MS,
  DEFAULT_BREAKER_FAILURES,
  DEFAULT_CACHE_TIMEOUT_MS,
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_MEMORY_MAX_ENTRIES,
  type CacheBackend,
} from "./prediction-cache.js";

type VarValue = string | number | undefined;

export interface CacheEnv {
  readonly UPSTASH_REDIS_REST_URL?: string;
  readonly UPSTASH_REDIS_REST_TOKEN?: string;
  readonly CACHE_TTL_SECONDS?: VarValue;
  readonly CACHE_TIMEOUT_MS?: VarValue;
  readonly CACHE_BREAKER_FAILURES?: VarValue;
  readonly CACHE_BREAKER_COOLDOWN_MS?: VarValue;
  readonly CACHE_MEMORY_MAX_ENTRIES?: VarValue;
}

export interface CacheConfig {
  readonly backend: CacheBackend;
  readonly url: string | undefined;
  readonly token: string | undefined;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  readonly breakerFailures: number;
  readonly breakerCooldownMs: number;
  readonly memoryMaxEntries: number;
}

export interface ReadCacheConfigResult {
  readonly config: CacheConfig;
  readonly warnings: readonly string[];
}

function readInteger(
  env: CacheEnv,
  name: keyof CacheEnv,
  fallback: number,
  min: number,
  max: number,
  warnings: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    warnings.push(`${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}; using ${fallback}`);
    return fallback;
  }
  return value;
}

export function readCacheConfig(env: CacheEnv): ReadCacheConfigResult {
  const warnings: string[] = [];
  const url = env.UPSTASH_REDIS_REST_URL?.trim() || undefined;
  const token = env.UPSTASH_REDIS_REST_TOKEN?.trim() || undefined;
  let backend: CacheBackend = "memory";
  if (url && token) {
    if (/^https?:\/\/\S+$/.test(url)) backend = "upstash";
    else warnings.push("UPSTASH_REDIS_REST_URL must start with https:// (or http:// locally); using the in-isolate cache");
  } else if (url || token) {
    const missing = url ? "UPSTASH_REDIS_REST_TOKEN" : "UPSTASH_REDIS_REST_URL";
    warnings.push(`${missing} is not set (the other one is); using the in-isolate cache`);
  }
  const config: CacheConfig = {
    backend,
    url: backend === "upstash" ? url : undefined,
    token: backend === "upstash" ? token : undefined,
    ttlSeconds: readInteger(env, "CACHE_TTL_SECONDS", DEFAULT_CACHE_TTL_SECONDS, 1, 365 * 24 * 3600, warnings),
    timeoutMs: readInteger(env, "CACHE_TIMEOUT_MS", DEFAULT_CACHE_TIMEOUT_MS, 1, 60_000, warnings),
    breakerFailures: readInteger(env, "CACHE_BREAKER_FAILURES", DEFAULT_BREAKER_FAILURES, 1, 1_000, warnings),
    breakerCooldownMs: readInteger(env, "CACHE_BREAKER_COOLDOWN_MS", DEFAULT_BREAKER_COOLDOWN_MS, 0, 3_600_000, warnings),
    memoryMaxEntries: readInteger(env, "CACHE_MEMORY_MAX_ENTRIES", DEFAULT_MEMORY_MAX_ENTRIES, 1, 1_000_000, warnings),
  };
  return { config, warnings };
}
