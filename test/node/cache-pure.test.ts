import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateFeatures } from "../../core/encoding.js";
import { buildPredictionCacheKey, buildPredictionCacheKeys, toCacheablePrediction, DEFAULT_CACHE_NAMESPACE } from "../../worker/src/cache/cache-key.js";
import { CircuitBreaker } from "../../worker/src/cache/circuit-breaker.js";
import { LruCache } from "../../worker/src/cache/lru.js";
import { MemoryPredictionCache } from "../../worker/src/cache/memory-cache.js";
import { readCacheConfig } from "../../worker/src/cache/cache-config.js";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("buildPredictionCacheKey", () => {
  const values = (input: Record<string, unknown>) => validateFeatures(input).values;

  it("is the same for the same startup however the client spelled and ordered it", () => {
    const a = values({ funding_stage: "Series A", total_capital_raised_usd: 1_000_000, has_debt: "yes" });
    const b = values({ has_debt: true, total_capital_raised_usd: 1e6, funding_stage: "series_a" });
    expect(buildPredictionCacheKey(SHA_A, a)).toBe(buildPredictionCacheKey(SHA_A, b));
  });

  it("differs for another model, another value, or another namespace", () => {
    const v = values({ total_capital_raised_usd: 1_000_000 });
    const key = buildPredictionCacheKey(SHA_A, v);
    expect(buildPredictionCacheKey(SHA_B, v)).not.toBe(key);
    expect(buildPredictionCacheKey(SHA_A, values({ total_capital_raised_usd: 1_000_001 }))).not.toBe(key);
    expect(buildPredictionCacheKey(SHA_A, v, { namespace: "other" })).not.toBe(key);
  });

  it("treats -0 and 0 as one value and an absent feature differently from any value", () => {
    expect(buildPredictionCacheKey(SHA_A, values({ total_capital_raised_usd: -0 }))).toBe(
      buildPredictionCacheKey(SHA_A, values({ total_capital_raised_usd: 0 })),
    );
    expect(buildPredictionCacheKey(SHA_A, values({}))).not.toBe(
      buildPredictionCacheKey(SHA_A, values({ total_capital_raised_usd: 0 })),
    );
  });

  it("has the form namespace:sha256 and refuses a model hash that is not one", () => {
    expect(buildPredictionCacheKey(SHA_A, {})).toMatch(new RegExp(`^${DEFAULT_CACHE_NAMESPACE}:[0-9a-f]{64}$`));
    expect(buildPredictionCacheKey(SHA_A.toUpperCase(), {})).toBe(buildPredictionCacheKey(SHA_A, {}));
    expect(() => buildPredictionCacheKey("", {})).toThrow(/64 hex/);
    expect(() => buildPredictionCacheKey("xyz", {})).toThrow(/64 hex/);
  });

  it("buildPredictionCacheKeys (native SHA-256, the request path) gives exactly the same keys", async () => {
    const items = [values({}), values({ total_capital_raised_usd: 1_000_000, funding_stage: "seed" }), values({ sector: "SaaS", runway_months: 7.5 })];
    expect(await buildPredictionCacheKeys(SHA_A, items)).toEqual(items.map((v) => buildPredictionCacheKey(SHA_A, v)));
    expect(await buildPredictionCacheKeys(SHA_B.toUpperCase(), items, { namespace: "other" })).toEqual(items.map((v) => buildPredictionCacheKey(SHA_B, v, { namespace: "other" })));
    await expect(buildPredictionCacheKeys("", items)).rejects.toThrow(/64 hex/);
  });
});

describe("toCacheablePrediction", () => {
  it("drops the per-request fields and keeps the rest", () => {
    const stored = toCacheablePrediction({
      prediction_id: "p1",
      timestamp: "2026-01-01T00:00:00Z",
      processing_time_ms: 1.2,
      cache: "MISS",
      success_probability: 0.42,
      verdict: "FAIL",
    });
    expect(stored).toEqual({ success_probability: 0.42, verdict: "FAIL" });
  });
});

describe("CircuitBreaker", () => {
  it("opens after N failures in a row, skips calls for the cool-down, then lets one trial through", () => {
    const c = clock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, now: c.now });
    for (let i = 0; i < 2; i++) {
      expect(breaker.tryAcquire()).toBe(true);
      breaker.recordFailure();
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    expect(breaker.tryAcquire()).toBe(false);
    c.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    c.advance(1);
    expect(breaker.state).toBe("half_open");
    expect(breaker.tryAcquire()).toBe(true);
    // Only one trial at a time.
    expect(breaker.tryAcquire()).toBe(false);
    breaker.recordSuccess();
    expect(breaker.state).toBe("closed");
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0, opened: 1 });
  });

  it("lets a new trial start when the last one never reported back (a cancelled request)", () => {
    const c = clock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100, trialTimeoutMs: 2_000, now: c.now });
    breaker.recordFailure();
    c.advance(100);
    expect(breaker.tryAcquire()).toBe(true); // this trial is lost
    c.advance(1_999);
    expect(breaker.tryAcquire()).toBe(false);
    c.advance(1);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe("closed");
  });

  it("a success resets the count of failures in a row", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000 });
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed");
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
  });

  it("a failed trial opens it again for a full cool-down", () => {
    const c = clock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 500, now: c.now });
    breaker.recordFailure();
    c.advance(500);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    expect(breaker.snapshot().retryAt).toBe(c.now() + 500);
    c.advance(499);
    expect(breaker.tryAcquire()).toBe(false);
    c.advance(1);
    expect(breaker.tryAcquire()).toBe(true);
  });
});

describe("LruCache", () => {
  it("behaves like a plain recency list under any sequence of gets, sets and deletes (bounded by entries and bytes)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 7 }), size: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const lru = new LruCache<number>({ maxEntries: 4, maxBytes: 12, sizeOf: (v) => v });
        let model: { key: string; size: number }[] = []; // least recent first
        for (const o of ops) {
          const key = `k${o.key}`;
          if (o.kind === "set") {
            lru.set(key, o.size, 1_000);
            model = model.filter((e) => e.key !== key).concat({ key, size: o.size });
            while (model.length > 4 || model.reduce((s, e) => s + e.size, 0) > 12) model.shift();
          } else if (o.kind === "get") {
            const want = model.find((e) => e.key === key);
            expect(lru.get(key)).toBe(want?.size);
            if (want) model = model.filter((e) => e.key !== key).concat(want);
          } else {
            expect(lru.delete(key)).toBe(model.some((e) => e.key === key));
            model = model.filter((e) => e.key !== key);
          }
          expect(lru.keys()).toEqual(model.map((e) => e.key));
          expect(lru.totalBytes).toBe(model.reduce((s, e) => s + e.size, 0));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never holds more than maxEntries and evicts the least recently used", () => {
    const lru = new LruCache<number>({ maxEntries: 3 });
    lru.set("a", 1, 1_000);
    lru.set("b", 2, 1_000);
    lru.set("c", 3, 1_000);
    expect(lru.get("a")).toBe(1); // a is now the most recent
    lru.set("d", 4, 1_000);
    expect(lru.size).toBe(3);
    expect(lru.get("b")).toBeUndefined();
    expect([lru.get("a"), lru.get("c"), lru.get("d")]).toEqual([1, 3, 4]);
    for (let i = 0; i < 1_000; i++) lru.set(`k${i}`, i, 1_000);
    expect(lru.size).toBe(3);
  });

  it("keeps the byte total under maxBytes and refuses a value larger than the bound", () => {
    const lru = new LruCache<string>({ maxEntries: 100, maxBytes: 10, sizeOf: (s) => s.length });
    lru.set("a", "aaaa", 1_000);
    lru.set("b", "bbbb", 1_000);
    lru.set("c", "cccc", 1_000);
    expect(lru.totalBytes).toBeLessThanOrEqual(10);
    expect(lru.get("a")).toBeUndefined();
    expect(lru.set("huge", "x".repeat(11), 1_000)).toBe(false);
    expect(lru.get("huge")).toBeUndefined();
    lru.set("b", "b", 1_000); // replacing an entry adjusts the total
    expect(lru.totalBytes).toBe(5);
  });

  it("expires entries after their TTL", () => {
    const c = clock();
    const lru = new LruCache<number>({ maxEntries: 10, now: c.now });
    lru.set("a", 1, 100);
    expect(lru.ttl("a")).toBe(100);
    c.advance(99);
    expect(lru.get("a")).toBe(1);
    c.advance(1);
    expect(lru.get("a")).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});

describe("MemoryPredictionCache", () => {
  it("MISS, then HIT with an equal but fresh object, and TTL from the settings", async () => {
    const c = clock();
    const cache = new MemoryPredictionCache({ ttlSeconds: 60, now: c.now });
    expect(await cache.get("k")).toEqual({ status: "MISS" });
    expect(await cache.set("k", { p: 0.5 })).toEqual({ status: "STORED", count: 1 });
    const hit = await cache.get("k");
    expect(hit).toEqual({ status: "HIT", value: { p: 0.5 }, text: '{"p":0.5}' });
    if (hit.status === "HIT") (hit.value as Record<string, unknown>).prediction_id = "mutated";
    expect(await cache.get("k")).toEqual({ status: "HIT", value: { p: 0.5 }, text: '{"p":0.5}' });
    expect(cache.ttl("k")).toBe(60);
    c.advance(60_000);
    expect(await cache.get("k")).toEqual({ status: "MISS" });
  });

  it("batch get and set keep the order of the keys", async () => {
    const cache = new MemoryPredictionCache();
    await cache.setMany([
      { key: "a", value: { n: 1 } },
      { key: "c", value: { n: 3 } },
    ]);
    expect(await cache.getMany(["a", "b", "c"])).toEqual([
      { status: "HIT", value: { n: 1 }, text: '{"n":1}' },
      { status: "MISS" },
      { status: "HIT", value: { n: 3 }, text: '{"n":3}' },
    ]);
  });

  it("stores the JSON a caller already has, as is, and hands it back with the HIT", async () => {
    const cache = new MemoryPredictionCache();
    await cache.set("k", { n: 1 }, '{ "n": 1 }');
    expect(await cache.get("k")).toEqual({ status: "HIT", value: { n: 1 }, text: '{ "n": 1 }' });
  });

  it("stays within its entry bound under many writes", async () => {
    const cache = new MemoryPredictionCache({ maxEntries: 50 });
    for (let i = 0; i < 500; i++) await cache.set(`k${i}`, { i });
    expect(cache.size).toBe(50);
    expect(await cache.get("k0")).toEqual({ status: "MISS" });
    expect(await cache.get("k499")).toEqual({ status: "HIT", value: { i: 499 }, text: '{"i":499}' });
  });
});

describe("readCacheConfig", () => {
  it("uses the in-isolate cache and the documented defaults with nothing set", () => {
    const { config, warnings } = readCacheConfig({});
    expect(config).toMatchObject({
      backend: "memory",
      ttlSeconds: 86_400,
      timeoutMs: 50,
      breakerFailures: 5,
      breakerCooldownMs: 10_000,
      memoryMaxEntries: 5_000,
    });
    expect(warnings).toEqual([]);
  });

  it("uses Upstash when both URL and token are set, and reads the tunables (strings or numbers)", () => {
    const { config } = readCacheConfig({
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8800",
      UPSTASH_REDIS_REST_TOKEN: "t",
      CACHE_TTL_SECONDS: "3600",
      CACHE_TIMEOUT_MS: 20,
    });
    expect(config).toMatchObject({ backend: "upstash", url: "http://127.0.0.1:8800", token: "t", ttlSeconds: 3600, timeoutMs: 20 });
  });

  it("falls back with a warning on half a Redis configuration or a bad number", () => {
    const half = readCacheConfig({ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" });
    expect(half.config.backend).toBe("memory");
    expect(half.warnings.join()).toMatch(/UPSTASH_REDIS_REST_TOKEN is not set/);
    const bad = readCacheConfig({ CACHE_TTL_SECONDS: "1 day", CACHE_TIMEOUT_MS: "-5" });
    expect(bad.config.ttlSeconds).toBe(86_400);
    expect(bad.config.timeoutMs).toBe(50);
    expect(bad.warnings).toHaveLength(2);
  });
});
