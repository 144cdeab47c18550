import { describe, expect, it } from "vitest";
import { renderPrometheus, type MetricsSnapshot } from "./prometheus";
import { initialSplit } from "./split";
import { emptyAggregate, recordRequest, recordShadow } from "./stats";

export function exampleSnapshot(): MetricsSnapshot {
  const blue = emptyAggregate();
  const green = emptyAggregate();
  for (let i = 0; i < 100; i++) {
    recordRequest(blue, { status: i < 98 ? 200 : 503, latencyMs: 1 + i, cache: i % 4 === 0 ? "miss" : "hit", probability: i / 100, verdict: i < 50 ? "fail" : "pass", fellBack: i >= 98 });
  }
  recordRequest(green, { status: 200, latencyMs: 0.3, cache: "bypass", probability: 0.97, verdict: "strong_pass", fellBack: false });
  recordShadow(green, { absDiff: 0.02, verdictChanged: true });
  const split = { ...initialSplit(new Date("2026-01-01T00:00:00Z")).split, candidate_percent: 25, revision: 4 };
  return { totals: { blue, green }, recent: { blue, green: emptyAggregate() }, split, up: { blue: true, green: false }, models: { blue: "a778a0a4d58a", green: null } };
}

function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
}

describe("Prometheus rendering", () => {
  const text = renderPrometheus(exampleSnapshot());

  it("names each colour's model version in flash_model_info, and leaves out an unknown one", () => {
    expect(value(text, 'flash_model_info{version="blue",model_version="a778a0a4d58a"}')).toBe(1);
    expect(text).not.toMatch(/flash_model_info\{version="green"/);
  });

  it("exports every metric name of the contract with HELP and TYPE", () => {
    for (const [name, type] of [
      ["flash_requests_total", "counter"],
      ["flash_request_duration_seconds", "histogram"],
      ["flash_fallbacks_total", "counter"],
      ["flash_cache_requests_total", "counter"],
      ["flash_prediction_probability", "histogram"],
      ["flash_prediction_std", "gauge"],
      ["flash_prediction_mean", "gauge"],
      ["flash_verdicts_total", "counter"],
      ["flash_shadow_comparisons_total", "counter"],
      ["flash_shadow_verdict_changes_total", "counter"],
      ["flash_shadow_abs_diff", "histogram"],
      ["flash_split_candidate_percent", "gauge"],
      ["flash_split_revision", "gauge"],
      ["flash_split_info", "gauge"],
      ["flash_up", "gauge"],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      expect(text).toContain(`# HELP ${name} `);
    }
  });

  it("writes counters, cumulative buckets and gauges with the right values", () => {
    expect(value(text, 'flash_requests_total{version="blue",status_class="2xx"}')).toBe(98);
    expect(value(text, 'flash_requests_total{version="blue",status_class="5xx"}')).toBe(2);
    expect(value(text, 'flash_requests_total{version="green",status_class="4xx"}')).toBe(0);
    expect(value(text, 'flash_fallbacks_total{version="blue"}')).toBe(2);
    expect(value(text, 'flash_cache_requests_total{version="blue",result="hit"}')).toBe(75);
    // Latencies 1..100 ms: 10 of them are <= 10 ms, 50 are <= 50 ms, all are <= 100 ms.
    expect(value(text, 'flash_request_duration_seconds_bucket{version="blue",le="0.01"}')).toBe(10);
    expect(value(text, 'flash_request_duration_seconds_bucket{version="blue",le="0.05"}')).toBe(50);
    expect(value(text, 'flash_request_duration_seconds_bucket{version="blue",le="0.1"}')).toBe(100);
    expect(value(text, 'flash_request_duration_seconds_bucket{version="blue",le="+Inf"}')).toBe(100);
    expect(value(text, 'flash_request_duration_seconds_sum{version="blue"}')).toBeCloseTo(5.05, 9);
    expect(value(text, 'flash_request_duration_seconds_count{version="blue"}')).toBe(100);
    expect(value(text, 'flash_prediction_probability_bucket{version="blue",le="0.5"}')).toBe(51);
    expect(value(text, 'flash_prediction_probability_bucket{version="blue",le="1"}')).toBe(100);
    expect(value(text, 'flash_verdicts_total{version="blue",verdict="pass"}')).toBe(50);
    expect(value(text, 'flash_verdicts_total{version="green",verdict="conditional_fail"}')).toBe(0);
    expect(value(text, 'flash_prediction_mean{version="blue"}')).toBeCloseTo(0.495, 9);
    expect(text).not.toContain('flash_prediction_mean{version="green"}');
    expect(value(text, 'flash_shadow_comparisons_total{version="green"}')).toBe(1);
    expect(value(text, 'flash_shadow_abs_diff_bucket{version="green",le="0.025"}')).toBe(1);
    expect(value(text, 'flash_shadow_abs_diff_bucket{version="green",le="0.01"}')).toBe(0);
    expect(value(text, "flash_split_candidate_percent")).toBe(25);
    expect(value(text, "flash_split_revision")).toBe(4);
    expect(value(text, 'flash_split_info{stable="blue",candidate="green"}')).toBe(1);
    expect(value(text, 'flash_up{version="blue"}')).toBe(1);
    expect(value(text, 'flash_up{version="green"}')).toBe(0);
  });

  it("keeps bucket counts cumulative and le values ascending", () => {
    const buckets = text.split("\n").filter((l) => l.startsWith('flash_request_duration_seconds_bucket{version="blue"'));
    let last = -1;
    let lastLe = -1;
    for (const line of buckets) {
      const le = /le="([^"]+)"/.exec(line)![1]!;
      const n = Number(line.split(" ").pop());
      expect(n).toBeGreaterThanOrEqual(last);
      last = n;
      const leValue = le === "+Inf" ? Infinity : Number(le);
      expect(leValue).toBeGreaterThan(lastLe);
      lastLe = leValue;
    }
  });
});
