/**
 * The prediction cache inside workerd against a real redis-server (through the Upstash REST
 * bridge started by the test setup): hits and misses, keys, TTL, one round trip per batch, and
 * fail-open when Redis is stopped, hung, or comes back.
 */

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Redis } from "@upstash/redis/cloudflare";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { validateFeatures } from "../../core/encoding.js";
import {
  UpstashPredictionCache,
  MemoryPredictionCache,
  buildPredictionCacheKey,
  getPredictionCache,
  toCacheablePrediction,
} from "../../worker/src/cache/index.js";
import { sharedUpstashEnv, startPrivateRedis, type PrivateRedis } from "../support/redis-control.js";

const MODEL_A = "1".repeat(64);
const MODEL_B = "2".repeat(64);
let run = 0;

/** Features unique to this test run, so reruns against a live Redis never see old entries. */
function startup(extra: Record<string, unknown> = {}) {
  run++;
  return validateFeatures({
    total_capital_raised_usd: 1_000_000 + run + Math.floor(Math.random() * 1e6),
    funding_stage: "Seed",
    ...extra,
  }).values;
}

function prediction(p: number) {
  return {
    prediction_id: crypto.randomUUID(),
    timestamp: new Date().toISOString(),
    processing_time_ms: 1.5,
    success_probability: p,
    verdict: p >= 0.5 ? "CONDITIONAL PASS" : "FAIL",
    pillar_scores: { capital: 0.4, advantage: 0.5, market: 0.6, people: 0.7, product: 0.3 },
  };
}

describe("UpstashPredictionCache against the shared Redis", () => {
  const env = sharedUpstashEnv();
  const cache = new UpstashPredictionCache({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, ttlSeconds: 3_600, timeoutMs: 1_000 });
  const raw = new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("MISS, then a write through ctx.waitUntil, then HIT with the same body minus per-request fields", async () => {
    const key = buildPredictionCacheKey(MODEL_A, startup());
    expect(await cache.get(key)).toEqual({ status: "MISS" });
    const answer = prediction(0.61);
    const ctx = createExecutionContext();
    ctx.waitUntil(cache.set(key, toCacheablePrediction(answer)));
    await waitOnExecutionContext(ctx);
    const hit = await cache.get(key);
    expect(hit.status).toBe("HIT");
    const { prediction_id: _id, timestamp: _ts, processing_time_ms: _ms, ...stable } = answer;
    expect(hit).toEqual({ status: "HIT", value: stable, text: JSON.stringify(stable) });
  });

  it("keys the same startup under another model differently (a new model never reads old answers)", async () => {
    const features = startup();
    const keyA = buildPredictionCacheKey(MODEL_A, features);
    const keyB = buildPredictionCacheKey(MODEL_B, features);
    expect(keyA).not.toBe(keyB);
    await cache.set(keyA, toCacheablePrediction(prediction(0.2)));
    expect((await cache.get(keyA)).status).toBe("HIT");
    expect(await cache.get(keyB)).toEqual({ status: "MISS" });
  });

  it("stores with the configured TTL (SET ... EX) in Redis", async () => {
    const key = buildPredictionCacheKey(MODEL_A, startup());
    await cache.set(key, { success_probability: 0.3 });
    const ttl = await raw.ttl(key);
    expect(ttl).toBeGreaterThan(3_590);
    expect(ttl).toBeLessThanOrEqual(3_600);
    const daily = new UpstashPredictionCache({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
    const key2 = buildPredictionCacheKey(MODEL_A, startup());
    await daily.set(key2, { success_probability: 0.3 });
    expect(await raw.ttl(key2)).toBeGreaterThan(86_400 - 10);
  });

  it("reads and writes a whole batch in one round trip each (MGET, pipeline)", async () => {
    const keys = Array.from({ length: 25 }, () => buildPredictionCacheKey(MODEL_A, startup()));
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const stored = await cache.setMany(keys.filter((_, i) => i % 2 === 0).map((key, i) => ({ key, value: { n: i } })));
    expect(stored).toEqual({ status: "STORED", count: 13 });
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(String(fetchSpy.mock.calls[0]![0])).toMatch(/\/pipeline$/);
    fetchSpy.mockClear();
    const lookups = await cache.getMany(keys);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(fetchSpy.mock.calls[0]![1]!.body))[0]).toBe("mget");
    expect(lookups.map((l) => l.status)).toEqual(keys.map((_, i) => (i % 2 === 0 ? "HIT" : "MISS")));
    expect(lookups[2]).toEqual({ status: "HIT", value: { n: 1 }, text: '{"n":1}' });
  });

  it("treats a corrupt entry as a miss, not an error", async () => {
    const key = buildPredictionCacheKey(MODEL_A, startup());
    await raw.set(key, "{not json");
    expect(await cache.get(key)).toEqual({ status: "MISS" });
  });
});

describe("fail-open against a Redis that goes away (a private redis-server for this file)", () => {
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });

  afterAll(async () => {
    await redis?.dispose();
  });

  it("answers BYPASS while Redis is stopped, opens the breaker, and HITs again once Redis is back", async () => {
    const cache = new UpstashPredictionCache({
      url: redis.url,
      token: redis.token,
      timeoutMs: 500,
      breakerFailures: 3,
      breakerCooldownMs: 300,
    });
    const key = buildPredictionCacheKey(MODEL_A, startup());
    await cache.set(key, { success_probability: 0.7 });
    expect((await cache.get(key)).status).toBe("HIT");

    await redis.control("stop");
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const during = [];
    for (let i = 0; i < 6; i++) during.push(await cache.get(key));
    expect(during.slice(0, 3)).toEqual(Array(3).fill({ status: "BYPASS", reason: "error", detail: expect.stringMatching(/redis/i) }));
    // After 3 failures in a row the breaker is open: Redis is not even asked.
    expect(during.slice(3)).toEqual(Array(3).fill({ status: "BYPASS", reason: "circuit_open" }));
    expect(fetchSpy).toHaveBeenCalledTimes(3);
    expect(cache.breakerState.state).toBe("open");
    expect(await cache.set(key, { success_probability: 0.7 })).toEqual({ status: "BYPASS", reason: "circuit_open" });
    expect(await cache.getMany([key, key])).toEqual([
      { status: "BYPASS", reason: "circuit_open" },
      { status: "BYPASS", reason: "circuit_open" },
    ]);
    fetchSpy.mockRestore();

    await redis.control("start");
    await new Promise((r) => setTimeout(r, 350));
    // The trial call after the cool-down reaches the new, empty Redis: a MISS that closes the breaker.
    expect(await cache.get(key)).toEqual({ status: "MISS" });
    expect(cache.breakerState.state).toBe("closed");
    expect(await cache.set(key, { success_probability: 0.7 })).toEqual({ status: "STORED", count: 1 });
    expect(await cache.get(key)).toEqual({ status: "HIT", value: { success_probability: 0.7 }, text: '{"success_probability":0.7}' });
  });

  it("gives up on a hung Redis after the time budget with reason timeout", async () => {
    const cache = new UpstashPredictionCache({ url: redis.url, token: redis.token, timeoutMs: 50, breakerFailures: 2, breakerCooldownMs: 60_000 });
    const key = buildPredictionCacheKey(MODEL_A, startup());
    await redis.control("pause");
    try {
      const started = Date.now();
      const lookup = await cache.get(key);
      const elapsed = Date.now() - started;
      expect(lookup).toMatchObject({ status: "BYPASS", reason: "timeout" });
      // Functional bound, not a benchmark: the budget is 50 ms, nowhere near the bridge's 10 s.
      expect(elapsed).toBeLessThan(2_000);
      expect(await cache.set(key, { p: 1 })).toMatchObject({ status: "BYPASS", reason: "timeout" });
      expect(cache.breakerState.state).toBe("open");
    } finally {
      await redis.control("resume");
    }
  });

  it("answers BYPASS (never throws) when nothing listens at the URL at all", async () => {
    const cache = new UpstashPredictionCache({ url: "http://127.0.0.1:9", token: "x", timeoutMs: 500 });
    // (workerd logs each refused connection, caught or not: expect a few lines of noise here.)
    expect(await cache.get("k")).toMatchObject({ status: "BYPASS", reason: "error" });
  });
});

describe("getPredictionCache", () => {
  it("picks Upstash when URL and token are set, the in-isolate LRU otherwise, and reuses the instance", () => {
    const warn = vi.fn();
    const upstash = getPredictionCache(sharedUpstashEnv(), { warn });
    expect(upstash).toBeInstanceOf(UpstashPredictionCache);
    expect(getPredictionCache(sharedUpstashEnv(), { warn })).toBe(upstash);
    const memory = getPredictionCache({}, { warn });
    expect(memory).toBeInstanceOf(MemoryPredictionCache);
    expect(getPredictionCache({}, { warn })).toBe(memory);
    expect(warn).not.toHaveBeenCalled();
    getPredictionCache({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1" }, { warn });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/UPSTASH_REDIS_REST_TOKEN is not set/));
  });
});
