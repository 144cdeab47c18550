/**
 * The cache-aside flow the prediction routes use, inside workerd against the real Redis:
 * compute once, then HIT with the same body minus per-request fields; a batch computes only
 * its misses in one call; a Redis that is down costs a BYPASS, never an answer.
 */

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { validateFeatures } from "../../core/encoding.js";
import { buildPredictionCacheKey, getOrCompute, getOrComputeMany, MemoryPredictionCache, UpstashPredictionCache } from "../../worker/src/cache/index.js";
import { sharedUpstashEnv, startPrivateRedis, type PrivateRedis } from "../support/redis-control.js";

const MODEL = "3".repeat(64);

function key(extra: Record<string, unknown> = {}) {
  const values = validateFeatures({ total_capital_raised_usd: Math.floor(Math.random() * 1e9), ...extra }).values;
  return buildPredictionCacheKey(MODEL, values);
}

/** What a route's compute step returns: the prediction with its per-request fields. */
function answer(p: number) {
  return { prediction_id: crypto.randomUUID(), timestamp: new Date().toISOString(), processing_time_ms: 3.2, success_probability: p, verdict: "PASS" };
}

const env = sharedUpstashEnv();
const upstash = () => new UpstashPredictionCache({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, timeoutMs: 1_000 });

describe("getOrCompute", () => {
  for (const [name, make] of [
    ["Upstash", upstash],
    ["in-isolate", () => new MemoryPredictionCache()],
  ] as const) {
    it(`${name}: MISS computes and stores via waitUntil, then HIT without computing, bodies equal but per-request fields`, async () => {
      const cache = make();
      const k = key();
      const compute = vi.fn(async () => answer(0.7));
      const ctx = createExecutionContext();
      const first = await getOrCompute(cache, k, compute, (p) => ctx.waitUntil(p));
      await waitOnExecutionContext(ctx);
      const second = await getOrCompute(cache, k, compute, () => {
        throw new Error("a HIT writes nothing");
      });
      expect(compute).toHaveBeenCalledTimes(1);
      expect(first).toEqual({ value: { success_probability: 0.7, verdict: "PASS" }, text: '{"success_probability":0.7,"verdict":"PASS"}', cache: "MISS" });
      // The HIT hands back the very text the MISS serialised and stored.
      expect(second).toEqual({ value: first.value, text: first.text, cache: "HIT" });
    });
  }
});

describe("getOrComputeMany", () => {
  it("looks up the whole batch in one round trip, computes only the misses in one call, stores them in one", async () => {
    const cache = upstash();
    const keys = Array.from({ length: 6 }, () => key());
    await cache.setMany([0, 3].map((i) => ({ key: keys[i]!, value: { success_probability: i / 10 } })));
    const computeMissing = vi.fn(async (positions: readonly number[]) => positions.map((p) => answer(0.5 + p / 100)));
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const ctx = createExecutionContext();
    const results = await getOrComputeMany(cache, keys, computeMissing, (p) => ctx.waitUntil(p));
    await waitOnExecutionContext(ctx);
    expect(fetchSpy).toHaveBeenCalledTimes(2); // MGET + one pipeline of SETs
    fetchSpy.mockRestore();
    expect(computeMissing).toHaveBeenCalledTimes(1);
    expect(computeMissing).toHaveBeenCalledWith([1, 2, 4, 5]);
    expect(results.map((r) => r.cache)).toEqual(["HIT", "MISS", "MISS", "HIT", "MISS", "MISS"]);
    expect(results[0]!.value).toEqual({ success_probability: 0 });
    expect(results[2]!.value).toEqual({ success_probability: 0.52, verdict: "PASS" });
    const again = await getOrComputeMany(cache, keys, computeMissing, () => {});
    expect(again.every((r) => r.cache === "HIT")).toBe(true);
    expect(computeMissing).toHaveBeenCalledTimes(1);
  });

  it("refuses a compute step that returns the wrong number of predictions", async () => {
    await expect(getOrComputeMany(new MemoryPredictionCache(), ["a", "b"], async () => [answer(1)], () => {})).rejects.toThrow(/returned 1 predictions for 2/);
  });
});

describe("cache-aside while Redis is down", () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("answers every request (BYPASS, no write), then HITs again once Redis is back", async () => {
    const cache = new UpstashPredictionCache({ url: redis.url, token: redis.token, timeoutMs: 500, breakerFailures: 2, breakerCooldownMs: 200 });
    const k = key();
    await redis.control("stop");
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await getOrCompute(cache, k, async () => answer(0.3), (p) => writes.push(p));
      expect(result.cache).toBe("BYPASS");
      expect(result.value).toEqual({ success_probability: 0.3, verdict: "PASS" });
    }
    expect(writes).toEqual([]);
    await redis.control("start");
    await new Promise((r) => setTimeout(r, 250));
    const ctx = createExecutionContext();
    expect((await getOrCompute(cache, k, async () => answer(0.3), (p) => ctx.waitUntil(p))).cache).toBe("MISS");
    await waitOnExecutionContext(ctx);
    expect((await getOrCompute(cache, k, async () => answer(0.9), () => {})).cache).toBe("HIT");
  });
});
