import { describe, expect, it } from "vitest";
import { MetricsBuffer } from "./metrics-buffer";
import {
  bucketStart,
  emptyAggregate,
  meanAndStd,
  parseCacheHeader,
  parseModelVersionHeader,
  parseProbabilityHeader,
  parseVerdictHeader,
  recordRequest,
  recordShadow,
  statusClassOf,
  sumAggregates,
  toVersionStats,
  type RequestSample,
} from "./stats";

const sample = (over: Partial<RequestSample> = {}): RequestSample => ({
  status: 200,
  latencyMs: 5,
  cache: "miss",
  probability: 0.5,
  verdict: "conditional_pass",
  fellBack: false,
  ...over,
});

describe("model versions", () => {
  it("counts answers per model version across buckets, and names the one behind most of them", () => {
    const a = emptyAggregate();
    const b = emptyAggregate();
    for (let i = 0; i < 3; i++) recordRequest(a, sample({ modelVersion: "aaaaaaaaaaaa" }));
    for (let i = 0; i < 5; i++) recordRequest(b, sample({ modelVersion: "bbbbbbbbbbbb" }));
    recordRequest(b, sample({ modelVersion: null, status: 503 }));
    // An aggregate stored before model versions were recorded has no `models` at all.
    const old = emptyAggregate();
    delete old.models;
    recordRequest(old, sample());
    const stats = toVersionStats(sumAggregates([a, b, old]));
    expect(stats.model_versions).toEqual({ aaaaaaaaaaaa: 3, bbbbbbbbbbbb: 5 });
    expect(stats.model_version).toBe("bbbbbbbbbbbb");
    expect(toVersionStats(emptyAggregate())).toMatchObject({ model_version: null, model_versions: {} });
  });

  it("takes only registry-shaped versions from the header, so a header cannot mint label values", () => {
    expect(parseModelVersionHeader(" a778a0a4d58a ")).toBe("a778a0a4d58a");
    expect(parseModelVersionHeader("v2.rc-1")).toBe("v2.rc-1");
    for (const bad of [null, "", "A778", 'x"}', "a".repeat(65), "../x"]) expect(parseModelVersionHeader(bad)).toBeNull();
  });
});

describe("stats arithmetic", () => {
  it("counts status classes, error rate, cache hit rate and verdicts", () => {
    const agg = emptyAggregate();
    for (let i = 0; i < 90; i++) recordRequest(agg, sample({ cache: i < 72 ? "hit" : "miss" }));
    for (let i = 0; i < 7; i++) recordRequest(agg, sample({ status: 422, cache: null, probability: null, verdict: null }));
    for (let i = 0; i < 3; i++) recordRequest(agg, sample({ status: 503, cache: null, probability: null, verdict: null, fellBack: true }));
    const stats = toVersionStats(agg);
    expect(stats.requests).toBe(100);
    expect(stats.status).toEqual({ "2xx": 90, "4xx": 7, "5xx": 3 });
    expect(stats.error_rate).toBe(0.03);
    expect(stats.fallbacks).toBe(3);
    expect(stats.cache).toEqual({ hit: 72, miss: 18, bypass: 0, hit_rate: 0.8 });
    expect(stats.verdicts).toMatchObject({ conditional_pass: 90, strong_pass: 0, fail: 0 });
    expect(stats.predictions.count).toBe(90);
  });

  it("computes prediction mean and std equal to the exact values", () => {
    const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 1000);
    const agg = emptyAggregate();
    for (const p of values) recordRequest(agg, sample({ probability: p }));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const stats = toVersionStats(agg);
    expect(stats.predictions.mean).toBeCloseTo(mean, 10);
    expect(stats.predictions.std).toBeCloseTo(std, 10);
    expect(stats.predictions.histogram.bounds).toHaveLength(21);
    expect(stats.predictions.histogram.counts).toHaveLength(20);
    expect(stats.predictions.histogram.counts.reduce((a, b) => a + b, 0)).toBe(1000);
    // 1000 evenly spread values: 50 per bin (the le rule puts 0 and each edge in the bin below).
    expect(new Set(stats.predictions.histogram.counts.slice(1, 19))).toEqual(new Set([50]));
  });

  it("reads percentiles from the latency histogram within 5% of the exact ones", () => {
    const latencies = Array.from({ length: 5000 }, (_, i) => 1 + ((i * 104729) % 5000) / 25);
    const agg = emptyAggregate();
    for (const l of latencies) recordRequest(agg, sample({ latencyMs: l }));
    const sorted = [...latencies].sort((a, b) => a - b);
    const stats = toVersionStats(agg);
    for (const [q, got] of [[0.5, stats.latency_ms.p50], [0.95, stats.latency_ms.p95], [0.99, stats.latency_ms.p99]] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(got! - exact) / exact).toBeLessThanOrEqual(0.05);
    }
    expect(stats.latency_ms.histogram.counts).toHaveLength(stats.latency_ms.histogram.bounds.length - 1);
  });

  it("adds up: recording in parts and merging equals recording everything once", () => {
    const all = emptyAggregate();
    const parts = [emptyAggregate(), emptyAggregate(), emptyAggregate()];
    for (let i = 0; i < 300; i++) {
      const s = sample({ status: i % 17 === 0 ? 500 : 200, latencyMs: (i % 50) + 0.5, probability: (i % 100) / 100, cache: i % 3 === 0 ? "hit" : "bypass" });
      recordRequest(all, s);
      recordRequest(parts[i % 3]!, s);
      if (i % 10 === 0) {
        recordShadow(all, { absDiff: i / 1000, verdictChanged: i % 20 === 0 });
        recordShadow(parts[i % 3]!, { absDiff: i / 1000, verdictChanged: i % 20 === 0 });
      }
    }
    const merged = sumAggregates(parts);
    expect(merged.latency.counts).toEqual(all.latency.counts);
    expect(merged.predictions.counts).toEqual(all.predictions.counts);
    expect(merged.requests).toBe(all.requests);
    expect(merged.shadow.comparisons).toBe(all.shadow.comparisons);
    expect(merged.shadow.max_abs_diff).toBe(all.shadow.max_abs_diff);
    expect(toVersionStats(merged).latency_ms).toEqual(toVersionStats(all).latency_ms);
    expect(toVersionStats(merged).predictions.mean).toBeCloseTo(toVersionStats(all).predictions.mean!, 12);
  });

  it("summarises shadow differences", () => {
    const agg = emptyAggregate();
    recordShadow(agg, { absDiff: 0.1, verdictChanged: false });
    recordShadow(agg, { absDiff: -0.3, verdictChanged: true });
    expect(toVersionStats(agg).shadow).toEqual({ comparisons: 2, mean_abs_diff: 0.2, max_abs_diff: 0.3, verdict_changes: 1 });
  });

  it("reports no data as null, not as zero", () => {
    const stats = toVersionStats(emptyAggregate());
    expect(stats.error_rate).toBeNull();
    expect(stats.latency_ms.p50).toBeNull();
    expect(stats.cache.hit_rate).toBeNull();
    expect(stats.predictions.mean).toBeNull();
    expect(stats.shadow.mean_abs_diff).toBeNull();
    expect(stats.shadow.max_abs_diff).toBeNull();
    expect(meanAndStd(0, 0, 0)).toEqual({ mean: null, std: null });
  });

  it("parses the API's headers strictly", () => {
    expect(statusClassOf(204)).toBe("2xx");
    expect(statusClassOf(404)).toBe("4xx");
    expect(statusClassOf(504)).toBe("5xx");
    expect(parseCacheHeader("HIT")).toBe("hit");
    expect(parseCacheHeader("miss")).toBe("miss");
    expect(parseCacheHeader("STALE")).toBeNull();
    expect(parseProbabilityHeader("0.8125")).toBe(0.8125);
    expect(parseProbabilityHeader("1.5")).toBeNull();
    expect(parseProbabilityHeader("abc")).toBeNull();
    expect(parseProbabilityHeader("")).toBeNull();
    expect(parseVerdictHeader("STRONG PASS")).toBe("strong_pass");
    expect(parseVerdictHeader("conditional_fail")).toBe("conditional_fail");
    expect(parseVerdictHeader("<script>")).toBe("other");
  });
});

describe("the isolate's metrics buffer", () => {
  it("groups by version and 10-second bucket, drains, and takes data back after a failed send", () => {
    const buffer = new MetricsBuffer();
    const t = 1_700_000_000_000;
    buffer.record("blue", t, sample());
    buffer.record("blue", t + 9_000, sample());
    buffer.record("blue", t + 10_000, sample());
    buffer.record("green", t, sample({ status: 500 }));
    buffer.recordShadow("green", t, { absDiff: 0.2, verdictChanged: true });
    const taken = buffer.take();
    expect(buffer.isEmpty).toBe(true);
    // t is a multiple of 10 s: t and t + 9 s share a bucket, t + 10 s starts the next.
    expect(taken.blue!.map((b) => [b.start, b.aggregate.requests])).toEqual([
      [t, 2],
      [t + 10_000, 1],
    ]);
    expect(taken.green![0]!.aggregate.shadow.comparisons).toBe(1);
    buffer.record("blue", t, sample());
    buffer.restore(taken);
    const again = buffer.take();
    const blueTotal = again.blue!.reduce((n, b) => n + b.aggregate.requests, 0);
    expect(blueTotal).toBe(4);
  });

  it("bucketStart floors to 10 s", () => {
    expect(bucketStart(1_000_009_999)).toBe(1_000_000_000);
    expect(bucketStart(1_000_010_000)).toBe(1_000_010_000);
  });
});

