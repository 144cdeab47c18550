/**
 * Per-version metrics from real API answers: what /admin/stats and /metrics report must match
 * what the clients saw (X-Cache, X-Flash-Probability, X-Flash-Verdict, status, count), isolates
 * flush in the background, and every answer becomes one Analytics Engine data point.
 */
import { describe, expect, it } from "vitest";
import { dataPointProblems } from "../../router/src/core/analytics";
import { versionMetrics } from "../../router/src/durable/stubs";
import { ADMIN_TOKEN, Isolate, RecordingAnalytics, startup, testEnv } from "./support/harness";
import { GREEN_CONSTANT_PROBABILITY, TEST_SECRETS } from "./support/constants";

interface Seen {
  status: number;
  version: string;
  p: number | null;
  verdict: string | null;
  cache: string | null;
}

async function send(router: Isolate, count: number, headers: (i: number) => Record<string, string> = () => ({})): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (let i = 0; i < count; i++) {
    const r = await router.predict(startup(i), headers(i));
    await r.arrayBuffer();
    const p = r.headers.get("x-flash-probability");
    seen.push({ status: r.status, version: r.headers.get("x-flash-version")!, p: p === null ? null : Number(p), verdict: r.headers.get("x-flash-verdict"), cache: r.headers.get("x-cache") });
  }
  return seen;
}

function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

describe("/admin/stats", () => {
  it("matches what the clients saw, per version", async () => {
    const router = new Isolate();
    await router.setSplit(30);
    const seen = await send(router, 60, (i) => ({ "x-client-id": `metrics-client-${i}` }));
    // A bad request and a repeat: 4xx counted, and the API's cache answers the repeat.
    await router.predict({ runway_months: -1 }, { "x-client-id": "metrics-client-0" });
    const again = await router.predict(startup(1), { "x-client-id": "metrics-client-1" });
    seen.push({ status: again.status, version: again.headers.get("x-flash-version")!, p: Number(again.headers.get("x-flash-probability")), verdict: again.headers.get("x-flash-verdict"), cache: again.headers.get("x-cache") });

    const body = await router.adminJson("GET", "/admin/stats?window=60");
    expect(body.window_seconds).toBe(60);
    expect(body.split).toMatchObject({ candidate_percent: 30, revision: 2 });
    expect(Date.parse(body.generated_at)).not.toBeNaN();
    for (const version of ["blue", "green"] as const) {
      const mine = seen.filter((s) => s.version === version);
      const stats = body.versions[version];
      expect(stats.requests).toBeGreaterThanOrEqual(mine.length);
      expect(stats.status["2xx"]).toBe(mine.length);
      expect(stats.predictions.count).toBe(mine.length);
      const ps = mine.map((s) => s.p!);
      const mean = ps.reduce((a, b) => a + b, 0) / ps.length;
      const std = Math.sqrt(ps.reduce((a, b) => a + (b - mean) ** 2, 0) / ps.length);
      expect(stats.predictions.mean).toBeCloseTo(mean, 9);
      expect(stats.predictions.std).toBeCloseTo(std, 9);
      expect(stats.predictions.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(mine.length);
      for (const v of new Set(mine.map((s) => s.verdict!))) expect(stats.verdicts[v]).toBe(mine.filter((s) => s.verdict === v).length);
      const hits = mine.filter((s) => s.cache === "HIT").length;
      const misses = mine.filter((s) => s.cache === "MISS").length;
      const bypass = mine.filter((s) => s.cache === "BYPASS").length;
      expect(stats.cache).toMatchObject({ hit: hits, miss: misses, bypass });
      expect(stats.latency_ms.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(stats.requests);
      expect(stats.latency_ms.p50).toBeGreaterThan(0);
      expect(stats.latency_ms.p99).toBeGreaterThanOrEqual(stats.latency_ms.p50);
    }
    const total4xx = body.versions.blue.status["4xx"] + body.versions.green.status["4xx"];
    expect(total4xx).toBe(1);
    // Green's test deployment predicts a constant: its mean is that constant and its std 0.
    expect(body.versions.green.predictions.mean).toBeCloseTo(GREEN_CONSTANT_PROBABILITY, 9);
    expect(body.versions.green.predictions.std).toBeCloseTo(0, 9);
    expect(body.versions.green.verdicts.strong_pass).toBe(body.versions.green.predictions.count);
  });

  it("rejects a window outside 10..3600 seconds", async () => {
    const router = new Isolate();
    for (const w of ["5", "3601", "abc", "60.5"]) {
      const r = await router.admin("GET", `/admin/stats?window=${w}`);
      expect(r.status).toBe(400);
      expect(((await r.json()) as any).error.issues[0].field).toBe("window");
    }
    expect((await router.adminJson("GET", "/admin/stats")).window_seconds).toBe(300);
  });
});

describe("background flush", () => {
  it("sends each isolate's aggregates to the per-version metrics objects after requests, without an admin read", async () => {
    const env = testEnv({ vars: { METRICS_FLUSH_MS: "0" } });
    const router = new Isolate(env);
    await send(router, 3);
    // Isolate.fetch waited for the request's waitUntil work: the flush has landed in the DO.
    const reading = await versionMetrics(env, "blue").read(60);
    expect(reading.window.requests).toBe(3);
    expect(reading.totals.requests).toBe(3);
    expect(router.runtime.metrics.isEmpty).toBe(true);
  });

  it("flushes at most once per interval and adds up the data of several isolates", async () => {
    const env = testEnv({ vars: { METRICS_FLUSH_MS: "60000" } });
    const a = new Isolate(env);
    const b = new Isolate(env);
    await send(a, 3);
    await send(b, 2);
    // The first request of each isolate flushed; the others wait for the interval.
    expect((await versionMetrics(env, "blue").read(60)).window.requests).toBe(2);
    expect(a.runtime.metrics.isEmpty).toBe(false);
    // Reading the stats flushes the reading isolate's own data first; b's stays pending.
    const stats = await a.adminJson("GET", "/admin/stats?window=60");
    expect(stats.versions.blue.requests).toBe(4);
    await b.adminJson("GET", "/admin/stats?window=60");
    expect((await a.adminJson("GET", "/admin/stats?window=60")).versions.blue.requests).toBe(5);
  });
});

describe("/metrics", () => {
  it("needs the admin token, the metrics token or an allowed address", async () => {
    const router = new Isolate(testEnv({ vars: { METRICS_ALLOWED_IPS: "10.1.0.0/16" } }));
    expect((await router.fetch("/metrics")).status).toBe(401);
    expect((await router.fetch("/metrics", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await router.fetch("/metrics", { headers: { "cf-connecting-ip": "10.2.0.1" } })).status).toBe(401);
    const allowed: Array<Record<string, string>> = [
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${TEST_SECRETS.METRICS_TOKEN}` },
      { "cf-connecting-ip": "10.1.200.3" },
    ];
    for (const headers of allowed) {
      const r = await router.fetch("/metrics", { headers });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      await r.arrayBuffer();
    }
    // The metrics token does not open the admin API.
    expect((await router.admin("GET", "/admin/split", undefined, TEST_SECRETS.METRICS_TOKEN)).status).toBe(403);
  });

  it("serves the same figures as /admin/stats in Prometheus text, with flash_up from the versions' health", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true }));
    await router.setSplit(50, { shadow_percent: 10 });
    await send(router, 30, (i) => ({ "x-client-id": `prom-${i}` }));
    const stats = await router.adminJson("GET", "/admin/stats?window=300");
    const text = await (await router.fetch("/metrics", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    for (const version of ["blue", "green"] as const) {
      const s = stats.versions[version];
      expect(metricValue(text, `flash_requests_total{version="${version}",status_class="2xx"}`)).toBe(s.status["2xx"]);
      expect(metricValue(text, `flash_requests_total{version="${version}",status_class="5xx"}`)).toBe(s.status["5xx"]);
      expect(metricValue(text, `flash_fallbacks_total{version="${version}"}`)).toBe(s.fallbacks);
      expect(metricValue(text, `flash_request_duration_seconds_count{version="${version}"}`)).toBe(s.requests);
      expect(metricValue(text, `flash_prediction_probability_count{version="${version}"}`)).toBe(s.predictions.count);
      expect(metricValue(text, `flash_cache_requests_total{version="${version}",result="bypass"}`)).toBe(s.cache.bypass);
      // Health stays ok under fault injection: both are up.
      expect(metricValue(text, `flash_up{version="${version}"}`)).toBe(1);
    }
    expect(stats.versions.green.fallbacks).toBeGreaterThan(0);
    expect(metricValue(text, "flash_split_candidate_percent")).toBe(50);
    expect(metricValue(text, "flash_split_revision")).toBe(2);
    expect(metricValue(text, 'flash_split_info{stable="blue",candidate="green"}')).toBe(1);
    expect(metricValue(text, 'flash_prediction_mean{version="blue"}')).toBeCloseTo(stats.versions.blue.predictions.mean, 9);
    // Which model produced the figures: from the answers' X-Flash-Model-Version, and each colour's /health.
    const model = stats.split.models.blue as string;
    expect(model).toMatch(/^[0-9a-f]{12}$/);
    expect(stats.versions.blue.model_version).toBe(model);
    expect(stats.versions.blue.model_versions).toEqual({ [model]: stats.versions.blue.status["2xx"] });
    expect(metricValue(text, `flash_model_info{version="blue",model_version="${model}"}`)).toBe(1);
  });
});

describe("Analytics Engine", () => {
  it("writes one data point per answer, fallback attempts included, within the documented limits", async () => {
    const analytics = new RecordingAnalytics();
    const router = new Isolate(testEnv({ brokenGreen: true, analytics }));
    expect((await router.predict(startup(3))).status).toBe(200);
    expect(analytics.points).toHaveLength(1);
    await router.setSplit(100);
    analytics.points.length = 0;
    const fell = await router.predict(startup(3));
    expect(fell.headers.get("x-flash-fallback-from")).toBe("green");
    expect(analytics.points).toHaveLength(2);
    const [failed, served] = analytics.points;
    expect(failed).toEqual({ blobs: ["green", "/predict", "5xx", "none", ""], doubles: [failed!.doubles[0], -1, 1], indexes: ["green"] });
    expect(failed!.doubles[0]).toBeGreaterThan(0);
    expect(served!.blobs.slice(0, 3)).toEqual(["blue", "/predict", "2xx"]);
    expect(served!.blobs[3]).toBe(fell.headers.get("x-cache")!.toLowerCase());
    expect(served!.blobs[4]).toBe(fell.headers.get("x-flash-verdict"));
    expect(served!.doubles[1]).toBe(Number(fell.headers.get("x-flash-probability")));
    expect(served!.doubles[2]).toBe(0);
    for (const p of analytics.points) expect(dataPointProblems(p)).toEqual([]);
  });

  it("works without the binding and survives a binding that throws", async () => {
    const none = new Isolate(testEnv({ analytics: null }));
    expect((await none.predict(startup(1))).status).toBe(200);
    const throwing = { writeDataPoint: () => { throw new Error("AE down"); } } as AnalyticsEngineDataset;
    const failing = new Isolate(testEnv({ analytics: throwing }));
    expect((await failing.predict(startup(1))).status).toBe(200);
  });
});
