/**
 * Predictions cached in Redis through `@upstash/redis` (its Workers entry), over the Upstash REST
 * protocol: Upstash in production, redis-server behind tools/upstash-bridge locally and in tests.
 *
 * Fail open, always: each call has a time budget (default 50 ms) and a circuit breaker; a slow,
 * failing or unreachable Redis turns into `{ status: "BYPASS", reason }`, never an exception.
 * The client is built with `retry: false` (its default retries with back-off would blow the
 * budget), `automaticDeserialization: false` (we parse, so a corrupt entry is a miss, not a
 * crash) and no auto-pipelining (see below).
 */

import { Redis } from "@upstash/redis/cloudflare";
import { CircuitBreaker, type BreakerSnapshot } from "./circuit-breaker.js";
import {
  DEFAULT_BREAKER_COOLDOWN_MS,
  DEFAULT_BREAKER_FAILURES,
  DEFAULT_CACHE_TIMEOUT_MS,
  DEFAULT_CACHE_TTL_SECONDS,
  readCachedText,
  serializeEntry,
  type CacheBypassReason,
  type CacheEntry,
  type CacheLookup,
  type CacheWriteResult,
  type CachedPrediction,
  type PredictionCache,
} from "./prediction-cache.js";

export interface UpstashPredictionCacheOptions {
  readonly url: string;
  readonly token: string;
  readonly ttlSeconds?: number;
  /** Budget for one Redis round trip (ms); slower is a BYPASS with reason "timeout". */
  readonly timeoutMs?: number;
  readonly breakerFailures?: number;
  readonly breakerCooldownMs?: number;
  readonly now?: () => number;
}

type Attempt<R> = { ok: true; value: R } | { ok: false; reason: CacheBypassReason; detail?: string };

const TIMED_OUT = Symbol("timed out");

/** A short, secret-free description: Upstash errors quote the whole command (keys and values). */
function describeError(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.split(", command was:")[0]!.slice(0, 200);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

export class UpstashPredictionCache<T = CachedPrediction> implements PredictionCache<T> {
  readonly backend = "upstash" as const;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  private readonly redis: Redis;
  private readonly breaker: CircuitBreaker;

  constructor(options: UpstashPredictionCacheOptions) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS;
    this.breaker = new CircuitBreaker({
      failureThreshold: options.breakerFailures ?? DEFAULT_BREAKER_FAILURES,
      cooldownMs: options.breakerCooldownMs ?? DEFAULT_BREAKER_COOLDOWN_MS,
      now: options.now,
    });
    const timeoutMs = this.timeoutMs;
    this.redis = new Redis({
      url: options.url,
      token: options.token,
      retry: false,
      automaticDeserialization: false,
      enableTelemetry: false,
      // Auto-pipelining would batch commands of concurrent requests into one fetch owned by one
      // of them; workerd does not let a request wait on another request's I/O. We batch ourselves.
      enableAutoPipelining: false,
      // Cancels the fetch itself when the budget is spent; a fresh signal for every request.
      signal: () => AbortSignal.timeout(timeoutMs),
    });
  }

  /** Breaker state, for /health and tests. */
  get breakerState(): BreakerSnapshot {
    return this.breaker.snapshot();
  }

  async get(key: string): Promise<CacheLookup<T>> {
    const [lookup] = await this.getMany([key]);
    return lookup!;
  }

  async getMany(keys: readonly string[]): Promise<CacheLookup<T>[]> {
    if (keys.length === 0) return [];
    const attempt = await this.attempt(() => this.redis.mget<(string | null)[]>(...keys));
    if (!attempt.ok) {
      const bypass = { status: "BYPASS", reason: attempt.reason, detail: attempt.detail } as const;
      return keys.map(() => bypass);
    }
    const values = attempt.value;
    if (!Array.isArray(values) || values.length !== keys.length) {
      return keys.map(() => ({ status: "BYPASS", reason: "error", detail: "MGET answered an unexpected shape" }) as const);
    }
    return values.map((text) => readCachedText<T>(text));
  }

  async set(key: string, value: T, text?: string): Promise<CacheWriteResult> {
    const attempt = await this.attempt(() => this.redis.set(key, serializeEntry({ key, value, text }), { ex: this.ttlSeconds }));
    return attempt.ok ? { status: "STORED", count: 1 } : { status: "BYPASS", reason: attempt.reason, detail: attempt.detail };
  }

  async setMany(entries: readonly CacheEntry<T>[]): Promise<CacheWriteResult> {
    if (entries.length === 0) return { status: "STORED", count: 0 };
    const attempt = await this.attempt(() => {
      const pipeline = this.redis.pipeline();
      for (const entry of entries) pipeline.set(entry.key, serializeEntry(entry), { ex: this.ttlSeconds });
      return pipeline.exec();
    });
    return attempt.ok
      ? { status: "STORED", count: entries.length }
      : { status: "BYPASS", reason: attempt.reason, detail: attempt.detail };
  }

  /** One Redis round trip under the breaker and the time budget; never throws. */
  private async attempt<R>(operation: () => Promise<R>): Promise<Attempt<R>> {
    if (!this.breaker.tryAcquire()) return { ok: false, reason: "circuit_open" };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const pending = Promise.resolve().then(operation);
      // The losing promise may still reject after the budget: keep that from going unhandled.
      pending.catch(() => {});
      const budget = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), this.timeoutMs);
      });
      const value = await Promise.race([pending, budget]);
      if (value === TIMED_OUT) {
        this.breaker.recordFailure();
        return { ok: false, reason: "timeout", detail: `no answer within ${this.timeoutMs} ms` };
      }
      this.breaker.recordSuccess();
      return { ok: true, value };
    } catch (error) {
      this.breaker.recordFailure();
      return isAbort(error)
        ? { ok: false, reason: "timeout", detail: `no answer within ${this.timeoutMs} ms` }
        : { ok: false, reason: "error", detail: describeError(error) };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
