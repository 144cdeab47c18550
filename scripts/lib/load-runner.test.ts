import { describe, expect, it } from "vitest";
import { canonicalizeFeatures, validateFeatures } from "../../core/encoding.js";
import { checkV1Criteria, percentile, runLoad, summarizeLoad, type RequestResult } from "./load-runner.js";
import { formatLoadReport, progressBar } from "./loadtest-report.js";
import { RequestMix } from "./request-mix.js";
import { sendJson, useTestServers } from "./test-server.js";

describe("RequestMix", () => {
  it("sends only valid startups (unknown extra fields aside) in the v1 spellings", () => {
    const mix = new RequestMix({ seed: 1, repeatShare: 0, poolSize: 10, clients: 50 });
    const kinds = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const r = mix.next();
      kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
      const { issues, unknownFields } = validateFeatures(r.body);
      expect(issues).toEqual([]);
      expect(unknownFields.every((f) => f === "hq_location")).toBe(true);
    }
    expect(kinds.get("synthetic")!).toBeGreaterThan(1500);
    expect(kinds.get("v1-sparse")!).toBeGreaterThan(100);
    expect(kinds.get("extra-field")!).toBeGreaterThan(50);
  });

  it("repeats bodies at the configured share, from a pool of the configured size", () => {
    const mix = new RequestMix({ seed: 2, repeatShare: 0.8, poolSize: 50, clients: 10 });
    const seen = new Set<string>();
    let repeats = 0;
    let unseenRepeats = 0;
    const pool = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const r = mix.next();
      const key = canonicalizeFeatures(validateFeatures(r.body).values) + JSON.stringify(r.body.hq_location ?? "");
      if (r.repeat) {
        repeats += 1;
        pool.add(key);
        if (!seen.has(key)) unseenRepeats += 1;
      } else {
        expect(seen.has(key)).toBe(false); // fresh bodies are new
      }
      seen.add(key);
    }
    expect(repeats / 5000).toBeGreaterThan(0.77);
    expect(repeats / 5000).toBeLessThan(0.83);
    expect(pool.size).toBeLessThanOrEqual(50);
    expect(unseenRepeats).toBeLessThanOrEqual(50);
  });

  it("is reproducible for a seed and spreads clients", () => {
    const a = new RequestMix({ seed: 7, repeatShare: 0.5, poolSize: 5, clients: 100 });
    const b = new RequestMix({ seed: 7, repeatShare: 0.5, poolSize: 5, clients: 100 });
    const clients = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const x = a.next();
      expect(b.next()).toEqual(x);
      clients.add(x.clientId);
    }
    expect(clients.size).toBeGreaterThan(90);
  });
});

function result(over: Partial<RequestResult>): RequestResult {
  return { sent_at: 0, at: 0, status: 200, latency_ms: 5, cache: "MISS", probability: 0.5, version: "blue", fallback_from: null, repeat: false, ...over };
}

describe("summarizeLoad and the v1 criteria", () => {
  it("uses nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile([], 0.5)).toBeNull();
  });

  it("summarizes latency, errors, cache, predictions and versions", () => {
    const results = [
      ...Array.from({ length: 97 }, (_, i) => result({ latency_ms: i + 1, cache: i < 75 ? "HIT" : "MISS", probability: 0.02 + (i / 100) * 0.96 })),
      result({ status: 500, latency_ms: 300, version: "green", cache: null, probability: null, error: "boom" }),
      result({ status: 0, latency_ms: 2000, version: null, cache: null, probability: null, error: "ECONNRESET" }),
      result({ fallback_from: "green", latency_ms: 98 }),
    ];
    const s = summarizeLoad(results, 2000);
    expect(s).toMatchObject({ requests: 100, ok: 98, errors: 2, error_rate: 0.02, fallbacks: 1, requests_per_second: 50 });
    expect(s.status).toEqual({ "200": 98, "500": 1, network: 1 });
    expect(s.versions).toEqual({ blue: 98, green: 1 });
    expect(s.latency_ms.max).toBe(2000);
    expect(s.latency_ms.p99).toBe(300);
    expect(s.cache.hit).toBe(75);
    expect(s.cache.hit_rate).toBeCloseTo(75 / 98, 10);
    expect(s.predictions.min).toBeCloseTo(0.02, 10);
    expect(s.first_errors).toEqual(["500: boom", "network: ECONNRESET"]);
    const c = checkV1Criteria(s);
    expect(c.map((x) => [x.name, x.met])).toEqual([
      ["latency p99", false],
      ["error rate", false],
      ["cache hit rate", true],
      ["prediction range", true],
    ]);
  });

  it("marks every criterion met on a good run, and prints the report", () => {
    const results = Array.from({ length: 1000 }, (_, i) => result({ latency_ms: 2 + (i % 50), cache: i % 10 < 8 ? "HIT" : "MISS", probability: (i % 100) / 99 }));
    const s = summarizeLoad(results, 1000);
    const c = checkV1Criteria(s);
    expect(c.every((x) => x.met)).toBe(true);
    const text = formatLoadReport(s, c);
    expect(text).toContain("latency p50 / p95 / p99");
    expect(text).toContain("hit rate 80.0%");
    expect(text).toMatch(/prediction range\s+spans 0-100%.*0\.0% - 100\.0%\s+met/);
    expect(text).not.toContain("NOT MET");
  });

  it("draws a progress bar", () => {
    expect(progressBar(0, 10, 10)).toBe("[..........]   0%");
    expect(progressBar(5, 10, 10)).toBe("[#####.....]  50%");
    expect(progressBar(12, 10, 10)).toBe("[##########] 100%");
  });
});

describe("runLoad over HTTP", () => {
  const serve = useTestServers();

  it("sends the requested number of POST /predict with the key and client ids, at the concurrency", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await serve(async (req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      sendJson(res, 200, { success_probability: 0.25 }, { "x-cache": "MISS", "x-flash-version": "green" });
    });
    const mix = new RequestMix({ seed: 3, repeatShare: 0.5, poolSize: 5, clients: 20 });
    const progress: number[] = [];
    const { results } = await runLoad({ url: server.url, apiKey: "k1", concurrency: 4, requests: 40, mix, onResult: (_r, done) => progress.push(done) });
    expect(results).toHaveLength(40);
    expect(progress.at(-1)).toBe(40);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(server.requests.every((r) => r.method === "POST" && r.url === "/predict" && r.headers.authorization === "Bearer k1" && String(r.headers["x-client-id"]).startsWith("loadtest-client-"))).toBe(true);
    expect(results.every((r) => r.probability === 0.25 && r.cache === "MISS" && r.version === "green")).toBe(true);
  });

  it("runs for a duration at a paced rate", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}, { "x-flash-probability": "0.4" }));
    const mix = new RequestMix({ seed: 4, repeatShare: 0, poolSize: 1, clients: 1 });
    const t0 = performance.now();
    const { results } = await runLoad({ url: server.url, concurrency: 3, durationMs: 600, ratePerSecond: 50, mix });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(590);
    // paced: never more than rate x duration (+1 for the request at t=0); a busy machine may send fewer
    expect(results.length).toBeGreaterThan(5);
    expect(results.length).toBeLessThanOrEqual(31);
    expect(results[0]!.probability).toBe(0.4);
  });

  it("records refused connections as network errors", async () => {
    const mix = new RequestMix({ seed: 5, repeatShare: 0, poolSize: 1, clients: 1 });
    const { results } = await runLoad({ url: "http://127.0.0.1:9", concurrency: 2, requests: 4, mix, timeoutMs: 1000 });
    expect(results.every((r) => r.status === 0 && r.error)).toBe(true);
  });
});
