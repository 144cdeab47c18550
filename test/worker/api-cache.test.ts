/**
 * The prediction cache on the API's routes, inside workerd, against a real redis-server behind
 * the Upstash REST bridge (the test setup's shared Redis, and a private one this file stops,
 * starts and pauses). The Worker picks Redis exactly as deployed: from UPSTASH_REDIS_REST_URL and
 * UPSTASH_REDIS_REST_TOKEN in its env (getPredictionCache).
 *
 * Stand-in models get a bundle of their own sha256 (see bundleForModel), so their answers never
 * share keys with the real model's in the run's shared Redis.
 */

import { Redis } from "@upstash/redis/cloudflare";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ModelManifest } from "../../core/manifest.js";
import { parseStartup } from "../../core/requests.js";
import { buildPredictionCacheKey } from "../../worker/src/cache/index.js";
import type { ModelBundle } from "../../worker/src/model/model-service.js";
import { sharedUpstashEnv, startPrivateRedis, type PrivateRedis } from "../support/redis-control.js";
import { BASE, StubModel, committedBundle, createTestApp, fetchDirect, readJson, withAuth, defaultManifest as manifest } from "./api-helpers.js";

const PER_REQUEST = ["prediction_id", "timestamp", "processing_time_ms", "cache"] as const;
/** Generous per-call budget: this machine is shared and loaded; the 50 ms default is tested in cache-upstash.test.ts. */
const SHARED = { ...sharedUpstashEnv(), CACHE_TIMEOUT_MS: "2000" };
const redis = new Redis({ url: SHARED.UPSTASH_REDIS_REST_URL, token: SHARED.UPSTASH_REDIS_REST_TOKEN });

/** A startup no other test (or earlier run against a live Redis) has sent. */
function freshStartup(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { total_capital_raised_usd: 1_000_000 + Math.floor(Math.random() * 1e9), funding_stage: "seed", runway_months: 14, ...extra };
}

function withoutPerRequestFields(body: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...body };
  for (const field of PER_REQUEST) delete copy[field];
  return copy;
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The committed bundle with `tag` appended to the ONNX bytes (as an unknown protobuf field,
 * number 1000, which every reader skips) and a manifest that matches: another, valid model file.
 */
async function bundleForModel(tag: string): Promise<ModelBundle> {
  const text = new TextEncoder().encode(tag);
  if (text.length > 127) throw new Error("tag too long for a one-byte length");
  const extra = new Uint8Array([0xc2, 0x3e, text.length, ...text]);
  const bytes = new Uint8Array(committedBundle.onnx.byteLength + extra.length);
  bytes.set(new Uint8Array(committedBundle.onnx));
  bytes.set(extra, committedBundle.onnx.byteLength);
  const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
  const base = committedBundle.manifest as ModelManifest;
  return { ...committedBundle, onnx: bytes.buffer, manifest: { ...base, version: sha256.slice(0, 12), onnx: { ...base.onnx, sha256, bytes: bytes.length } } };
}

function cacheKey(modelSha256: string, body: Record<string, unknown>): string {
  const parsed = parseStartup(body);
  if (!parsed.ok) throw new Error("test startup is invalid");
  return buildPredictionCacheKey(modelSha256, parsed.value.values);
}

/** An app around a stand-in model with its own sha256, using the Worker's own cache choice. */
async function stubApp(tag: string, score = (row: Float32Array) => 0.2 + 0.5 * (Number.isNaN(row[3]!) ? 0 : Math.min(1, row[3]! / 120))) {
  const model = new StubModel(score);
  const bundle = await bundleForModel(tag);
  const app = createTestApp({ bundle, createModel: async () => model, cache: "isolate" });
  return { app, model, sha256: (bundle.manifest as ModelManifest).onnx.sha256 };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("POST /predict through the cache (the deployed entry point, real model, shared Redis)", () => {
  function predict(body: unknown, vars: Record<string, unknown> = SHARED) {
    return fetchDirect(new Request(`${BASE}/predict`, { method: "POST", headers: withAuth({ "content-type": "application/json" }), body: JSON.stringify(body) }), vars);
  }

  it("MISS, then HIT with the same answer apart from id, timestamp and timing; stored without them, with the 24 h TTL", async () => {
    const startup = freshStartup({ sector: "saas", burn_multiple: 3 });
    const first = await predict(startup);
    const second = await predict(startup);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.headers.get("X-Cache"), second.headers.get("X-Cache")]).toEqual(["MISS", "HIT"]);
    const a = await readJson(first);
    const b = await readJson(second);
    expect([a.cache, b.cache]).toEqual(["MISS", "HIT"]);
    expect(b.prediction_id).not.toBe(a.prediction_id);
    expect(Date.parse(b.timestamp)).toBeGreaterThanOrEqual(Date.parse(a.timestamp));
    expect(typeof b.processing_time_ms).toBe("number");
    expect(withoutPerRequestFields(b)).toEqual(withoutPerRequestFields(a));
    expect(second.headers.get("X-Flash-Probability")).toBe(first.headers.get("X-Flash-Probability"));

    const key = cacheKey(manifest.onnx.sha256, startup);
    const stored = (await redis.get<Record<string, unknown>>(key))!;
    expect(stored).not.toBeNull();
    for (const field of PER_REQUEST) expect(stored).not.toHaveProperty(field);
    expect(stored.success_probability).toBe(a.success_probability);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });

  it("honours CACHE_TTL_SECONDS", async () => {
    const startup = freshStartup();
    expect((await predict(startup, { ...SHARED, CACHE_TTL_SECONDS: "120" })).headers.get("X-Cache")).toBe("MISS");
    const ttl = await redis.ttl(cacheKey(manifest.onnx.sha256, startup));
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it("without Upstash settings, uses the embedded in-isolate cache (MISS, then HIT), writing nothing to Redis", async () => {
    const startup = freshStartup();
    const noRedis = { UPSTASH_REDIS_REST_URL: "", UPSTASH_REDIS_REST_TOKEN: "" };
    expect((await predict(startup, noRedis)).headers.get("X-Cache")).toBe("MISS");
    expect((await predict(startup, noRedis)).headers.get("X-Cache")).toBe("HIT");
    expect(await redis.get(cacheKey(manifest.onnx.sha256, startup))).toBeNull();
  });

  it("/health says which cache serves: Redis with the Upstash settings, else the embedded one", async () => {
    const health = async (vars: Record<string, unknown>) => (await readJson(await fetchDirect(new Request(`${BASE}/health`), vars))).cache;
    expect(await health(SHARED)).toEqual({ backend: "redis", ttl_seconds: 86_400, breaker: "closed" });
    expect(await health({ UPSTASH_REDIS_REST_URL: "", UPSTASH_REDIS_REST_TOKEN: "" })).toEqual({ backend: "memory", ttl_seconds: 86_400 });
  });
});

describe("cache keys on the routes (shared Redis)", () => {
  it("key order and spelling variants of the same startup HIT; per-request warnings stay per request", async () => {
    const { app } = await stubApp("variants");
    const capital = 2_000_000 + Math.floor(Math.random() * 1e9);
    const first = await app.post("/predict", { funding_stage: "Series A", sector: "SaaS", has_debt: "yes", total_capital_raised_usd: capital, runway_months: 12 }, SHARED);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    const variants = [
      { runway_months: 12.0, total_capital_raised_usd: capital, has_debt: true, sector: "saas", funding_stage: "series_a" },
      { has_debt: 1, funding_stage: "series-a", sector: " SAAS ", total_capital_raised_usd: capital, runway_months: 12, startup_name: "Acme" },
      { sector: "saas", funding_stage: "A", total_capital_raised_usd: capital, runway_months: 12, has_debt: "TRUE", hq_location: "Berlin", founders_count: null },
    ];
    const base = withoutPerRequestFields(await readJson(first));
    for (const variant of variants) {
      const res = await app.post("/predict", variant, SHARED);
      expect(res.headers.get("X-Cache"), JSON.stringify(variant)).toBe("HIT");
      const body = await readJson(res);
      const unknown = body.warnings.filter((w: { code: string }) => w.code === "unknown_field").map((w: { field: string }) => w.field);
      expect(unknown).toEqual("hq_location" in variant ? ["hq_location"] : []);
      const dataWarnings = body.warnings.filter((w: { code: string }) => w.code !== "unknown_field");
      expect({ ...withoutPerRequestFields(body), warnings: dataWarnings }).toEqual(base);
    }
    // A different value is a different startup.
    expect((await app.post("/predict", { ...variants[0], runway_months: 13 }, SHARED)).headers.get("X-Cache")).toBe("MISS");
  });

  it("a new model (another sha256) never reads the old model's answers: another key, a MISS", async () => {
    const old = await stubApp("model-a", () => 0.2);
    const next = await stubApp("model-b", () => 0.8);
    expect(old.sha256).not.toBe(next.sha256);
    const startup = freshStartup();
    expect((await old.app.post("/predict", startup, SHARED)).headers.get("X-Cache")).toBe("MISS");
    expect((await old.app.post("/predict", startup, SHARED)).headers.get("X-Cache")).toBe("HIT");
    const res = await next.app.post("/predict", startup, SHARED);
    expect(res.headers.get("X-Cache")).toBe("MISS");
    const body = await readJson(res);
    expect(body.model.sha256).toBe(next.sha256);
    expect(body.success_probability).not.toBe((await readJson(await old.app.post("/predict", startup, SHARED))).success_probability);
    expect(cacheKey(old.sha256, startup)).not.toBe(cacheKey(next.sha256, startup));
    expect(await redis.exists(cacheKey(old.sha256, startup), cacheKey(next.sha256, startup))).toBe(2);
  });

  it("fault injection neither reads nor writes the cache (BYPASS), so it cannot poison it", async () => {
    const { app } = await stubApp("faults");
    const startup = freshStartup();
    for (const fault of [{ FAULT_CONSTANT_PROBABILITY: "0.9" }, { FAULT_LATENCY_MS: "1" }]) {
      const res = await app.post("/predict", startup, { ...SHARED, ...fault });
      expect(res.status).toBe(200);
      expect(res.headers.get("X-Cache")).toBe("BYPASS");
      expect((await readJson(res)).cache).toBe("BYPASS");
    }
    const batch = await app.post("/predict/batch", [startup], { ...SHARED, FAULT_CONSTANT_PROBABILITY: "0.9" });
    expect(batch.headers.get("X-Cache")).toBe("BYPASS");
    const clean = await app.post("/predict", startup, SHARED);
    expect(clean.headers.get("X-Cache")).toBe("MISS");
    expect((await readJson(clean)).success_probability).not.toBe(0.9);
    expect((await app.post("/predict", startup, { ...SHARED, FAULT_CONSTANT_PROBABILITY: "0.9" })).headers.get("X-Cache")).toBe("BYPASS");
  });

  it("/scenarios is not cached and says so", async () => {
    const { app } = await stubApp("scenarios");
    const res = await app.post("/scenarios", { base: freshStartup(), scenarios: [{ name: "longer runway", changes: { runway_months: 30 } }] }, SHARED);
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Cache")).toBe("BYPASS");
    expect((await readJson(res)).cache).toBe("BYPASS");
  });
});

describe("POST /predict/batch through the cache (shared Redis)", () => {
  it("one MGET for the whole batch, the misses in ONE model run, one pipelined write", async () => {
    const { app, model } = await stubApp("batch");
    const startups = Array.from({ length: 8 }, (_, i) => freshStartup({ runway_months: 3 + i }));
    for (const s of startups.slice(0, 3)) expect((await app.post("/predict", s, SHARED)).headers.get("X-Cache")).toBe("MISS");
    const runsBefore = model.calls.length;

    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const body = { startups: [...startups, { runway_months: -1 }] };
    const res = await app.post("/predict/batch", body, SHARED);
    expect(res.status).toBe(200);
    const batch = await readJson(res);
    expect(batch.results.map((r: { prediction?: { cache: string }; status: number }) => r.prediction?.cache ?? r.status)).toEqual([
      "HIT", "HIT", "HIT", "MISS", "MISS", "MISS", "MISS", "MISS", 422,
    ]);
    expect(res.headers.get("X-Cache")).toBe("MISS");
    expect(batch.cache).toBe("MISS");
    expect(model.calls.length - runsBefore).toBe(1);
    const redisCalls = fetchSpy.mock.calls.map(([url, init]) => ({ url: String(url), command: JSON.parse(String(init?.body)) }));
    expect(redisCalls).toHaveLength(2);
    expect(redisCalls[0]!.command[0]).toBe("mget");
    expect(redisCalls[0]!.command).toHaveLength(1 + 8);
    expect(redisCalls[1]!.url).toMatch(/\/pipeline$/);
    expect(redisCalls[1]!.command).toHaveLength(5);

    fetchSpy.mockClear();
    const again = await app.post("/predict/batch", body, SHARED);
    expect(again.headers.get("X-Cache")).toBe("HIT");
    const hits = (await readJson(again)).results.filter((r: { prediction?: { cache: string } }) => r.prediction?.cache === "HIT");
    expect(hits).toHaveLength(8);
    expect(model.calls.length - runsBefore).toBe(1);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    // Each item of a HIT batch is the same answer /predict gives, with fresh per-request fields.
    const single = await readJson(await app.post("/predict", startups[5], SHARED));
    expect(withoutPerRequestFields(hits[5].prediction)).toEqual(withoutPerRequestFields(single));
    expect(hits[5].prediction.prediction_id).not.toBe(single.prediction_id);
  });
});

describe("a Redis that goes away (a private redis-server for this file)", () => {
  let privateRedis: PrivateRedis;
  let vars: Record<string, string>;

  beforeAll(async () => {
    privateRedis = await startPrivateRedis();
    vars = { ...privateRedis.env, CACHE_TIMEOUT_MS: "250", CACHE_BREAKER_FAILURES: "3", CACHE_BREAKER_COOLDOWN_MS: "300" };
  });

  afterAll(async () => {
    await privateRedis?.dispose();
  });

  /** Requests until one is not a BYPASS (the breaker lets a trial through after its cool-down). */
  async function untilNotBypass(send: () => Promise<Response>, what: string): Promise<Response> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await send();
      expect(res.status).toBe(200);
      if (res.headers.get("X-Cache") !== "BYPASS") return res;
      if (Date.now() > deadline) throw new Error(`${what}: still BYPASS after 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** An app on the private Redis and a startup it has cached (MISS, then HIT) while Redis was up. */
  async function appWithCachedStartup(tag: string) {
    const { app } = await stubApp(tag);
    const known = freshStartup();
    expect((await app.post("/predict", known, vars)).headers.get("X-Cache")).toBe("MISS");
    expect((await app.post("/predict", known, vars)).headers.get("X-Cache")).toBe("HIT");
    return { app, known };
  }

  it("stopped in the middle: every request still 200 with BYPASS; back: MISS, then HIT again", async () => {
    const { app, known } = await appWithCachedStartup("redis-stop");

    await privateRedis.control("stop");
    const answers: { status: number; cache: string | null; body: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const res = i % 3 === 2 ? await app.post("/predict/batch", [known, freshStartup()], vars) : await app.post("/predict", i % 2 ? known : freshStartup(), vars);
      const body = await readJson(res);
      answers.push({ status: res.status, cache: res.headers.get("X-Cache"), body: String(body.cache) });
    }
    expect(answers.every((a) => a.status === 200 && a.cache === "BYPASS" && a.body === "BYPASS"), JSON.stringify(answers)).toBe(true);

    await privateRedis.control("start");
    // After the breaker's cool-down the next request tries Redis again. A restarted redis-server
    // without persistence is empty: the first answer is a MISS that stores, the next a HIT.
    const back = await untilNotBypass(() => app.post("/predict", known, vars), "after start");
    expect(back.headers.get("X-Cache")).toBe("MISS");
    expect((await app.post("/predict", known, vars)).headers.get("X-Cache")).toBe("HIT");
  });

  it("hung (paused) in the middle: answers within the time budget as BYPASS; resumed: HIT from what it held", async () => {
    const { app, known } = await appWithCachedStartup("redis-pause");

    await privateRedis.control("pause");
    try {
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const res = await app.post("/predict", i % 2 ? known : freshStartup(), vars);
        expect(res.status).toBe(200);
        expect(res.headers.get("X-Cache")).toBe("BYPASS");
        // The 250 ms budget, then the breaker: never the bridge's own timeout.
        expect(Date.now() - started).toBeLessThan(2_000);
      }
    } finally {
      await privateRedis.control("resume");
    }
    const back = await untilNotBypass(() => app.post("/predict", known, vars), "after resume");
    expect(back.headers.get("X-Cache")).toBe("HIT");
  });
});
