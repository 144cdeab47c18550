import { describe, expect, it } from "vitest";
import type { LoadResult } from "./load.js";
import { percentile, summariseLoad, type LoadSample } from "./load.js";
import { PATHS, PATH_LABELS, computeFigures, explainMiss, judge, renderReport, spreadOf, type BenchData, type PathName, type RunResult } from "./report.js";

function load(rps: number, p50: number, p99: number, cpu: number, hitRate = 0): LoadResult {
  return { concurrency: 1, requests: 1000, errors: 0, firstError: null, hitRate, rps, p50, p99, workerCpuMsPerRequest: cpu, clientCpuMsPerRequest: 0.2 };
}

/** A run where each path's figures are scaled by `k`, so runs differ. */
function run(k: number): RunResult {
  const at = (floorRps: number, base: number): Record<PathName, LoadResult> => ({
    floor: load(floorRps * k, base, base * 5 * k, 0.15),
    model: load(floorRps * 0.7 * k, base * 1.3, base * 7 * k, 0.3),
    api: load(floorRps * 0.6 * k, base * 1.6, base * 8 * k, 0.6),
    router: load(floorRps * 0.45 * k, base * 2, base * 9 * k, 0.8),
    cache: load(floorRps * 0.9 * k, base * 1.1, base * 6 * k, 0.25, 1),
  });
  return { c1: at(2000, 0.4), c10: at(5000, 1.8) };
}

function data(overrides: Partial<BenchData> = {}): BenchData {
  return {
    date: "2026-11-26 12:00 UTC",
    durationSeconds: 200,
    settings: { runs: 3, rounds: 5, c1Requests: 1000, c10Requests: 3000, freshIsolates: 3, cachePool: 64, quick: false },
    machine: { cpuModel: "AMD EPYC", cores: 2, memoryGiB: 24, node: "20.20.2", workerd: "1.20260426.1", os: "Debian", loadStart: [0.5, 1, 1], loadEnd: [0.8, 1, 1] },
    bundle: { files: [{ name: "81e64570ee545f3a6160c32bdfbabdad38e06adf-ort-wasm-simd-threaded.wasm", raw: 14_000_000, gzip: 3_700_000 }], raw: 14_000_000, gzip: 3_700_000 },
    routerBundle: { files: [], raw: 100_000, gzip: 30_000 },
    first: [
      { startupMs: 1500, firstMs: 250, secondMs: 3 },
      { startupMs: 1400, firstMs: 420, secondMs: 3 },
      { startupMs: 1600, firstMs: 260, secondMs: 3 },
    ],
    runs: [run(1), run(0.9), run(1.1)],
    model: {
      ort: { batch1UsPerPrediction: 45, batch100UsPerRow: 6 },
      typescript: { batch1UsPerPrediction: 20, batch100UsPerRow: 15 },
      explainUsPerPrediction: 40,
      maxAbsDiff: 1e-7,
      trees: 568,
      cold: [{ startup_ms: 1500, sha256_ms: 1, ort_runtime_ms: 200, before_instantiate_ms: 5, wasm_instantiate_ms: 10, after_instantiate_ms: 185, session_ms: 30, first_run_ms: 12, second_run_ms: 1 }],
    },
    modelInFlow: { parseOnlyMs: 0.12, oneRunMs: 0.142, fiveRunsMs: 0.222, explainedMs: 0.163, rounds: 5, requestsPerRound: 600 },
    notes: ["Prediction cache: in-isolate."],
    ...overrides,
  };
}

describe("judge", () => {
  it("says met or missed and by how much, in the target's unit", () => {
    expect(judge({ id: "x", source: "s", what: "p50", value: 2, op: "<=", limit: 3, unit: "ms" })).toMatchObject({ met: true, verdict: "met, 1.00 ms to spare" });
    expect(judge({ id: "x", source: "s", what: "p50", value: 4.5, op: "<=", limit: 3, unit: "ms" })).toMatchObject({
      met: false,
      verdict: "missed by 1.50 ms (50% of the target)",
    });
    expect(judge({ id: "x", source: "s", what: "share", value: 0.31, op: ">=", limit: 0.4, unit: "%" })).toMatchObject({ met: false, verdict: "missed by 9 points (23% of the target)" });
    expect(judge({ id: "x", source: "s", what: "hit", value: 1, op: "<", limit: 1, unit: "ms" }).met).toBe(false);
    expect(judge({ id: "x", source: "s", what: "nothing", value: Number.NaN, op: "<=", limit: 1, unit: "us" })).toMatchObject({ met: false, verdict: "not measured" });
  });
});

describe("spreadOf and the load summary", () => {
  it("takes the median and range over runs", () => {
    expect(spreadOf([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spreadOf([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it("pools samples into nearest-rank percentiles and per-request CPU", () => {
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2);
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 0.99)).toBe(4);
    const sample = (latencies: number[], seconds: number, hits: number): LoadSample => ({
      latencies: Float64Array.from(latencies),
      errors: 0,
      firstError: null,
      cacheHits: hits,
      seconds,
      workerCpuMs: latencies.length,
      clientCpuMs: 0,
    });
    const r = summariseLoad([sample([5, 1], 1, 2), sample([3, 2], 1, 0)], 10);
    expect(r).toMatchObject({ requests: 4, rps: 2, p50: 2, p99: 5, hitRate: 0.5, workerCpuMsPerRequest: 1 });
  });
});

describe("computeFigures", () => {
  const figures = computeFigures(data());
  const target = (id: string) => figures.targets.find((t) => t.id === id)!;

  it("derives shares of the floor, the router's added latency and the first prediction from the runs", () => {
    expect(figures.share.c10.router.median).toBeCloseTo(0.45, 6);
    expect(figures.added.c1.p50.median).toBeCloseTo(0.4 * 2 - 0.4 * 1.6, 6);
    expect(figures.paths.c10.router.p99.min).toBeCloseTo(1.8 * 9 * 0.9, 6);
    expect(figures.paths.c10.router.p99.max).toBeCloseTo(1.8 * 9 * 1.1, 6);
    expect(figures.firstMs.median).toBe(260);
  });

  it("judges every target of issues 3, 5 and 7", () => {
    expect(figures.targets.map((t) => t.id).sort()).toEqual(
      ["api-p50", "api-rps", "cache-c1", "cache-c10", "first", "ort-1", "ort-100", "router-added", "router-p50", "router-rps"].sort(),
    );
    expect(target("router-rps").met).toBe(true);
    expect(target("router-p50").met).toBe(false); // 3.6 ms
    expect(target("api-rps").met).toBe(true);
    expect(target("api-p50").met).toBe(false); // 2.88 ms
    expect(target("cache-c10").met).toBe(true);
    expect(target("first").met).toBe(true);
    expect(target("ort-1").met).toBe(false);
    expect(target("router-added").met).toBe(true);
  });

  it("a cache hit no faster than a miss misses the target", () => {
    const slowHits = data({ runs: [1, 0.9, 1.1].map((k) => {
      const r = run(k);
      return { c1: { ...r.c1, cache: { ...r.c1.api } }, c10: r.c10 };
    }) });
    expect(computeFigures(slowHits).targets.find((t) => t.id === "cache-c1")!.met).toBe(false);
  });
});

describe("renderReport", () => {
  const report = renderReport(data());

  it("has the table with every path at both concurrencies, the ratios and p99's spread", () => {
    for (const path of PATHS) {
      expect(report.split("\n").filter((l) => l.startsWith(`| ${PATH_LABELS[path]} `) && / \| (1|10) \| /.test(l))).toHaveLength(2);
    }
    // router at c10: 2250 req/s, 0.45 x floor, p50 3.60 ms, p99 16.2 (14.6 to 17.8)
    expect(report).toContain("| /predict through the router (miss) | 10 | 2250 | 0.45 | 3.60 | 16.2 (14.6 to 17.8) |");
  });

  it("names the machine and its load, the bundle, the model's cost and every target's verdict", () => {
    expect(report).toContain("AMD EPYC, 2 cores, 24 GiB");
    expect(report).toContain("0.50 1.00 1.00 at the start, 0.80 1.00 1.00 at the end");
    expect(report).not.toContain("The machine was loaded");
    expect(report).toContain("| ort-wasm-simd-threaded.wasm |");
    expect(report).toContain("| onnxruntime-web (WASM), as the API calls it | 45.0 | 6.00 |");
    expect(report).toMatch(/## Targets: 6 of 10 met/);
    expect(report).toContain("**missed**: missed by 0.60 ms (20% of the target)");
  });

  it("explains each missed target from the run's own figures", () => {
    const why = report.slice(report.indexOf("### Why"));
    expect(why).toContain("**through the router, p50 at c10**");
    expect(why).toContain("10 / requests/s (4.4 ms at 2250/s)");
    expect(why).toContain("568 trees");
    expect(why).not.toContain("**first prediction");
    const d = data();
    const figures = computeFigures(d);
    const apiRps = figures.targets.find((t) => t.id === "api-rps")!;
    // The model's figures come from the run: one ORT row (45 us) and the explanation (40 us).
    expect(explainMiss(apiRps, d, figures)).toContain("scores one row in onnxruntime-web, 45 us on this 568-tree model");
    expect(explainMiss(apiRps, d, figures)).toContain("in TypeScript, 40 us, both measured alone in a tight loop;");
    // Inside a request: one run 0.142 - 0.120 ms, the explanation 0.163 - 0.142 ms.
    expect(explainMiss(apiRps, d, figures)).toContain("inside a request under load they added about 22 us and 21 us");
    // The bare model Worker sets the scale: 0.7 x floor at 0.3 ms, the API 0.3 ms more; half of
    // the floor's 5000 req/s allows 1000 / 2500 = 0.4 ms per request, 0.1 ms over the bare model.
    expect(explainMiss(apiRps, d, figures)).toContain("reached 70% of the floor's requests/s with 0.300 ms of workerd CPU");
    expect(explainMiss(apiRps, d, figures)).toContain(
      "50% of the floor's 5000 requests/s allows about 0.400 ms per request, 0.100 ms more than the bare model, for everything the API does around the model, which took 0.300 ms here.",
    );
    const apiP50 = { ...apiRps, id: "api-p50", limit: 2.5 };
    expect(explainMiss(apiP50, d, figures)).toContain("2.50 ms at this concurrency allows about 250 us of workerd CPU per request, and the bare model alone used 300 us.");
  });

  it("gives the model's cost inside a request from the bare model Worker's settings", () => {
    expect(report).toContain("120 us without an onnxruntime run, 142 with one, 222 with five, 163 with one and the explanation");
    expect(report).toContain("the first run adds about 22 us to a request, each further run 20 us, and the explanation 21 us");
  });

  it("says when the machine was loaded", () => {
    const loaded = renderReport(data({ machine: { ...data().machine, loadStart: [1.2, 8, 8] } }));
    expect(loaded).toContain("**The machine was loaded**");
    // Its own load at the end does not count: the benchmark keeps both cores busy.
    expect(renderReport(data({ machine: { ...data().machine, loadEnd: [3, 2, 2] } }))).not.toContain("The machine was loaded");
  });
});

it("PATHS lists the five measured paths", () => {
  expect([...PATHS]).toEqual(["floor", "model", "api", "router", "cache"]);
});
