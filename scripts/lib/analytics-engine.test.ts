/**
 * Cloudflare's Analytics Engine SQL API cannot be reached from here. The answers in
 * fixtures/analytics-engine/ are written by hand in its documented `FORMAT JSON` shape
 * (`meta`, `data`, `rows`, `rows_before_limit_at_least`; 64-bit integers quoted as strings)
 * and replayed by a local HTTP server standing in for api.cloudflare.com.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AnalyticsEngineError, AnalyticsEngineStatsSource, buildStatsQueries, parseAeResponse, statsFromAeRows } from "./analytics-engine.js";
import { histogramTotal } from "./stats.js";
import { sendJson, useTestServers } from "./test-server.js";

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "analytics-engine", `${name}.json`), "utf8"));
const ACCOUNT = "0123456789abcdef0123456789abcdef";

describe("buildStatsQueries", () => {
  const q = buildStatsQueries("flash_requests", 300);

  it("weights every count and mean by _sample_interval, never count()", () => {
    for (const sql of Object.values(q)) {
      expect(sql).toContain("_sample_interval");
      expect(sql).not.toMatch(/count\(\)/i);
      expect(sql).toContain("FROM flash_requests");
      expect(sql).toContain("timestamp > NOW() - INTERVAL '300' SECOND");
      expect(sql.trim().endsWith("FORMAT JSON")).toBe(true);
    }
    expect(q.counts).toContain("SUM(_sample_interval) AS requests");
    expect(q.counts).toContain("SUM(_sample_interval * double3) AS fallbacks");
    expect(q.latency).toContain("quantileExactWeighted(0.99)(double1, _sample_interval) AS p99");
    expect(q.predictions).toContain("SUM(_sample_interval * double2) AS sum_p");
    expect(q.predictions).toContain("floor(double2 * 20) AS bin");
  });

  it("refuses a dataset name that is not a plain identifier", () => {
    expect(() => buildStatsQueries("x; DROP TABLE y", 60)).toThrow(AnalyticsEngineError);
  });
});

describe("parsing recorded answers", () => {
  const rows = {
    counts: parseAeResponse(fixture("counts")),
    latency: parseAeResponse(fixture("latency")),
    predictions: parseAeResponse(fixture("predictions")),
  };
  const stats = statsFromAeRows(rows, 300, new Date("2026-04-20T12:00:00Z"));

  it("sums weighted counts per version, status class and cache result", () => {
    const green = stats.versions.green;
    expect(green.requests).toBe(500);
    expect(green.status).toEqual({ "2xx": 476, "4xx": 0, "5xx": 24 });
    expect(green.error_rate).toBeCloseTo(0.048, 10);
    expect(green.cache).toMatchObject({ hit: 352, miss: 118, bypass: 6 });
    expect(green.cache.hit_rate).toBeCloseTo(352 / 476, 10);
    expect(green.fallbacks).toBe(20);
    expect(green.verdicts).toEqual({ fail: 352, strong_fail: 118, pass: 6 });
    expect(stats.versions.blue.requests).toBe(10_000);
    expect(stats.versions.blue.status["5xx"]).toBe(12);
  });

  it("ignores other writers' versions in the same dataset", () => {
    expect(stats.versions.blue.requests + stats.versions.green.requests).toBe(10_500);
  });

  it("reads the latency quantiles", () => {
    expect(stats.versions.green.latency_ms).toMatchObject({ p50: 3.4, p95: 11.2, p99: 48.9 });
    expect(stats.versions.blue.latency_ms.p99).toBe(21.4);
  });

  it("rebuilds the 20-bin prediction histogram, mean and std from weighted sums", () => {
    const green = stats.versions.green;
    expect(green.predictions.histogram.bounds).toHaveLength(21);
    expect(green.predictions.histogram.counts[10]).toBe(470);
    expect(green.predictions.histogram.counts[19]).toBe(6); // probability 1.0 folds into the last bin
    expect(histogramTotal(green.predictions.histogram)).toBe(476);
    expect(green.predictions.count).toBe(476);
    const mean = 241 / 476;
    expect(green.predictions.mean).toBeCloseTo(mean, 10);
    expect(green.predictions.std).toBeCloseTo(Math.sqrt(123.5 / 476 - mean * mean), 10);
    expect(stats).toMatchObject({ window_seconds: 300, source: "analytics-engine", generated_at: "2026-04-20T12:00:00.000Z" });
  });

  it("gives empty versions for an empty answer", () => {
    const empty = statsFromAeRows({ counts: parseAeResponse(fixture("empty")), latency: [], predictions: [] }, 60);
    expect(empty.versions.green).toMatchObject({ requests: 0, error_rate: null, predictions: { count: 0, mean: null, std: null } });
    expect(empty.versions.green.latency_ms.p99).toBeNull();
  });

  it("says what is wrong with a malformed answer", () => {
    expect(() => parseAeResponse({ meta: [] }, "counts query")).toThrow(/counts query: the answer has no data array/);
    expect(() => parseAeResponse("oops")).toThrow(AnalyticsEngineError);
    expect(() => statsFromAeRows({ counts: [{ version: "green", requests: "many" }], latency: [], predictions: [] }, 60)).toThrow(/counts row 0\.requests: expected a number/);
    expect(() => statsFromAeRows({ counts: [{ requests: 1 }], latency: [], predictions: [] }, 60)).toThrow(/without a version/);
  });

  it("reads NaN quantiles (no samples) as null", () => {
    const s = statsFromAeRows({ counts: [], latency: [{ version: "green", p50: "nan", p95: null, p99: "nan" }], predictions: [] }, 60);
    expect(s.versions.green.latency_ms.p99).toBeNull();
  });
});

describe("AnalyticsEngineStatsSource over HTTP", () => {
  const serve = useTestServers();

  it("posts the three queries with the bearer token and folds the answers", async () => {
    const server = await serve((req, res) => {
      const body = req.body;
      const name = body.includes("quantileExactWeighted") ? "latency" : body.includes("sum_p") ? "predictions" : "counts";
      sendJson(res, 200, fixture(name));
    });
    const source = new AnalyticsEngineStatsSource({ accountId: ACCOUNT, apiToken: "secret-token", apiBase: server.url });
    const stats = await source.getStats(120);
    expect(stats.versions.green.requests).toBe(500);
    expect(stats.versions.green.latency_ms.p99).toBe(48.9);
    expect(server.requests).toHaveLength(3);
    for (const r of server.requests) {
      expect(r.method).toBe("POST");
      expect(r.url).toBe(`/accounts/${ACCOUNT}/analytics_engine/sql`);
      expect(r.headers.authorization).toBe("Bearer secret-token");
      expect(r.body).toContain("INTERVAL '120' SECOND");
    }
  });

  it("explains a refused token", async () => {
    const server = await serve((_req, res) => sendJson(res, 403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] }));
    const source = new AnalyticsEngineStatsSource({ accountId: ACCOUNT, apiToken: "t", apiBase: server.url });
    await expect(source.getStats(60)).rejects.toThrow(/Account Analytics: Read/);
  });

  it("reports a failed query with Cloudflare's message", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(422, { "content-type": "text/plain" });
      res.end("unknown column: blob9");
    });
    const source = new AnalyticsEngineStatsSource({ accountId: ACCOUNT, apiToken: "t", apiBase: server.url });
    await expect(source.getStats(60)).rejects.toThrow(/query failed \(422\): unknown column: blob9/);
  });

  it("says Cloudflare is out of reach when it is", async () => {
    const source = new AnalyticsEngineStatsSource({ accountId: ACCOUNT, apiToken: "t", apiBase: "http://127.0.0.1:9", timeoutMs: 2000 });
    await expect(source.getStats(60)).rejects.toThrow(/cannot reach the Analytics Engine SQL API/);
  });

  it("checks the account id and token up front", () => {
    expect(() => new AnalyticsEngineStatsSource({ accountId: "abc", apiToken: "t" })).toThrow(/32-character account id/);
    expect(() => new AnalyticsEngineStatsSource({ accountId: ACCOUNT, apiToken: "" })).toThrow(/CLOUDFLARE_API_TOKEN/);
  });
});
