import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, type RolloutPolicy } from "../policy/rollout-policy.js";
import {
  combineVerdicts,
  evaluateErrorRateGates,
  evaluateGates,
  evaluateLatencyGates,
  evaluatePredictionGates,
  evaluateShadowGates,
  formatGateLine,
  normalCdf,
  normalQuantile,
  populationStabilityIndex,
  twoProportionZTest,
  unavailableCheck,
  type EvaluateGatesOptions,
  type GateRecord,
} from "./gates.js";
import { fakeVersion, SPREAD } from "./test-stats.js";

const policy: RolloutPolicy = structuredClone(DEFAULT_POLICY);

function opts(over: Partial<EvaluateGatesOptions>): EvaluateGatesOptions {
  return { policy, candidate: fakeVersion(), stable: fakeVersion({ requests: 10_000 }), window_seconds: 300, shadowEnabled: false, ...over };
}

function gate(records: GateRecord[], name: string): GateRecord {
  const found = records.find((r) => r.gate === name);
  if (!found) throw new Error(`no gate ${name} in ${records.map((r) => r.gate).join(", ")}`);
  return found;
}

describe("normal distribution", () => {
  it("matches tabulated values of the CDF", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.6448536)).toBeCloseTo(0.95, 6);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
    expect(normalCdf(3)).toBeCloseTo(0.998650102, 6);
  });

  it("inverts the CDF", () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263479, 6);
    for (const p of [0.001, 0.2, 0.5, 0.8, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe("twoProportionZTest", () => {
  it("computes the pooled z statistic (textbook example)", () => {
    // 30/200 vs 20/250: pooled 50/450; se = sqrt(p(1-p)(1/200+1/250)).
    const pooled = 50 / 450;
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 250));
    const t = twoProportionZTest(30, 200, 20, 250);
    expect(t.z).toBeCloseTo((0.15 - 0.08) / se, 10);
    expect(t.p_value).toBeCloseTo(1 - normalCdf(t.z), 10);
    expect(t.z).toBeGreaterThan(1.645);
  });

  it("is one-sided: a candidate better than stable is never significant", () => {
    const t = twoProportionZTest(0, 500, 50, 5000);
    expect(t.z).toBeLessThan(0);
    expect(t.p_value).toBeGreaterThan(0.5);
  });

  it("has nothing to test when neither side failed", () => {
    expect(twoProportionZTest(0, 300, 0, 3000)).toMatchObject({ z: 0, p_value: 0.5 });
  });
});

describe("populationStabilityIndex", () => {
  it("is 0 for identical shares, whatever the totals", () => {
    expect(populationStabilityIndex([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(0, 12);
  });

  it("matches a hand computation", () => {
    const a = [0.2, 0.3, 0.5];
    const e = [0.3, 0.3, 0.4];
    const expected = (0.2 - 0.3) * Math.log(0.2 / 0.3) + 0 + (0.5 - 0.4) * Math.log(0.5 / 0.4);
    expect(populationStabilityIndex(a.map((x) => x * 1000), e.map((x) => x * 1000))).toBeCloseTo(expected, 10);
  });

  it("stays finite with empty bins on either side, and counts them heavily", () => {
    const psi = populationStabilityIndex([100, 0, 0, 0], [25, 25, 25, 25], 1e-4);
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeGreaterThan(1);
    expect(populationStabilityIndex([0, 0, 50, 50], [0, 0, 50, 50])).toBeCloseTo(0, 12);
  });

  it("rejects mismatched or empty histograms", () => {
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => populationStabilityIndex([0, 0], [1, 2])).toThrow(RangeError);
  });
});

describe("error-rate gates", () => {
  it("pass a candidate as clean as stable", () => {
    const r = evaluateErrorRateGates(opts({ candidate: fakeVersion({ requests: 1000, errors: 1 }), stable: fakeVersion({ requests: 19_000, errors: 19 }) }));
    expect(gate(r, "error_rate")).toMatchObject({ verdict: "PASS", value: 0.001, sample_size: 1000 });
    expect(gate(r, "error_rate_vs_stable").verdict).toBe("PASS");
  });

  it("fail 5 % errors on both the absolute cap and the comparison", () => {
    const r = evaluateErrorRateGates(opts({ candidate: fakeVersion({ requests: 400, errors: 20 }), stable: fakeVersion({ requests: 7600, errors: 0 }) }));
    expect(gate(r, "error_rate")).toMatchObject({ verdict: "FAIL", value: 0.05 });
    expect(gate(r, "error_rate_vs_stable").verdict).toBe("FAIL");
  });

  it("fail a candidate significantly worse than stable even under the 1 % cap", () => {
    // 0.9 % vs 0.1 % over large samples: below the cap, but clearly worse.
    const r = evaluateErrorRateGates(opts({ candidate: fakeVersion({ requests: 10_000, errors: 90 }), stable: fakeVersion({ requests: 10_000, errors: 10 }) }));
    expect(gate(r, "error_rate").verdict).toBe("PASS");
    expect(gate(r, "error_rate_vs_stable").verdict).toBe("FAIL");
    expect(gate(r, "error_rate_vs_stable").value!).toBeGreaterThan(1.645);
  });

  it("do not fail a small difference that is not significant", () => {
    // 2/300 vs 10/3000: 0.67 % vs 0.33 %, z ~ 0.9.
    const r = evaluateErrorRateGates(opts({ candidate: fakeVersion({ requests: 300, errors: 2 }), stable: fakeVersion({ requests: 3000, errors: 10 }) }));
    expect(gate(r, "error_rate_vs_stable").verdict).toBe("PASS");
  });

  it("say NOT ENOUGH DATA below the minimum sample, even with errors", () => {
    const r = evaluateErrorRateGates(opts({ candidate: fakeVersion({ requests: 199, errors: 50 }) }));
    expect(gate(r, "error_rate")).toMatchObject({ verdict: "NOT ENOUGH DATA", value: null, sample_size: 199, min_samples: 200 });
    expect(gate(r, "error_rate_vs_stable").verdict).toBe("NOT ENOUGH DATA");
  });

  it("compare with the stable baseline when stable has no traffic now (the 100 % step)", () => {
    const stableNow = fakeVersion({ requests: 0 });
    const withoutBaseline = evaluateErrorRateGates(opts({ candidate: fakeVersion({ requests: 1000, errors: 2 }), stable: stableNow }));
    expect(gate(withoutBaseline, "error_rate").verdict).toBe("PASS");
    expect(gate(withoutBaseline, "error_rate_vs_stable").verdict).toBe("NOT ENOUGH DATA");
    const withBaseline = evaluateErrorRateGates(
      opts({ candidate: fakeVersion({ requests: 1000, errors: 2 }), stable: stableNow, stableBaseline: { stats: fakeVersion({ requests: 5000, errors: 5 }), label: "t0" } }),
    );
    expect(gate(withBaseline, "error_rate_vs_stable")).toMatchObject({ verdict: "PASS", stable_sample_size: 5000 });
    expect(gate(withBaseline, "error_rate_vs_stable").detail).toContain("baseline");
  });
});

describe("latency gates", () => {
  it("pass a candidate as fast as stable", () => {
    const r = evaluateLatencyGates(opts({ candidate: fakeVersion({ p99: 22 }), stable: fakeVersion({ p99: 20 }) }));
    expect(gate(r, "latency_p99").verdict).toBe("PASS");
    expect(gate(r, "latency_p99_vs_stable").verdict).toBe("PASS");
  });

  it("fail p99 over 300 ms", () => {
    const r = evaluateLatencyGates(opts({ candidate: fakeVersion({ p99: 320 }), stable: fakeVersion({ p99: 250 }) }));
    expect(gate(r, "latency_p99")).toMatchObject({ verdict: "FAIL", value: 320 });
    expect(gate(r, "latency_p99_vs_stable").verdict).toBe("PASS"); // 320 <= 1.5 * 250 + 5
  });

  it("fail p99 above 1.5 x stable + 5 ms, with the limit in the record", () => {
    const r = evaluateLatencyGates(opts({ candidate: fakeVersion({ p99: 36 }), stable: fakeVersion({ p99: 20 }) }));
    expect(gate(r, "latency_p99").verdict).toBe("PASS");
    const cmp = gate(r, "latency_p99_vs_stable");
    expect(cmp.verdict).toBe("FAIL");
    expect(cmp.threshold).toContain("35.0 ms");
    // exactly at the limit passes
    expect(gate(evaluateLatencyGates(opts({ candidate: fakeVersion({ p99: 35 }), stable: fakeVersion({ p99: 20 }) })), "latency_p99_vs_stable").verdict).toBe("PASS");
  });

  it("say NOT ENOUGH DATA below the minimum sample", () => {
    const r = evaluateLatencyGates(opts({ candidate: fakeVersion({ requests: 50, p99: 900 }) }));
    expect(gate(r, "latency_p99").verdict).toBe("NOT ENOUGH DATA");
    expect(gate(r, "latency_p99_vs_stable").verdict).toBe("NOT ENOUGH DATA");
  });
});

describe("prediction gates", () => {
  it("pass a candidate predicting like stable", () => {
    const r = evaluatePredictionGates(opts({ candidate: fakeVersion({ requests: 500 }), stable: fakeVersion({ requests: 9500 }) }));
    expect(gate(r, "prediction_std").verdict).toBe("PASS");
    const psi = gate(r, "prediction_psi");
    expect(psi.verdict).toBe("PASS");
    expect(psi.value!).toBeLessThan(0.05);
  });

  it("fail a constant prediction on std and on PSI", () => {
    const r = evaluatePredictionGates(opts({ candidate: fakeVersion({ requests: 500, predictions: [0.5] }) }));
    expect(gate(r, "prediction_std")).toMatchObject({ verdict: "FAIL", value: 0 });
    expect(gate(r, "prediction_psi").verdict).toBe("FAIL");
    expect(gate(r, "prediction_psi").value!).toBeGreaterThan(1);
  });

  it("fail a shifted distribution on PSI even when its std is fine", () => {
    const shifted = SPREAD.map((p) => Math.min(0.99, p + 0.3));
    const r = evaluatePredictionGates(opts({ candidate: fakeVersion({ requests: 2000, predictions: shifted }) }));
    expect(gate(r, "prediction_std").verdict).toBe("PASS");
    expect(gate(r, "prediction_psi").verdict).toBe("FAIL");
  });

  it("say NOT ENOUGH DATA with too few predictions", () => {
    const r = evaluatePredictionGates(opts({ candidate: fakeVersion({ requests: 1000, predictionCount: 150, predictions: [0.5] }) }));
    expect(gate(r, "prediction_std").verdict).toBe("NOT ENOUGH DATA");
    expect(gate(r, "prediction_psi").verdict).toBe("NOT ENOUGH DATA");
  });

  it("refuse to compare histograms over different bins", () => {
    const candidate = fakeVersion({ requests: 500 });
    candidate.predictions.histogram = { bounds: [0, 0.5, 1], counts: [250, 250] };
    const psi = gate(evaluatePredictionGates(opts({ candidate })), "prediction_psi");
    expect(psi.verdict).toBe("FAIL");
    expect(psi.detail).toContain("different bins");
  });
});

describe("shadow gates", () => {
  it("apply only while shadowing is on", () => {
    expect(evaluateShadowGates(opts({ shadowEnabled: false, candidate: fakeVersion({ shadow: { comparisons: 1000, mean_abs_diff: 0.5, verdict_changes: 900 } }) }))).toEqual([]);
  });

  it("pass small differences and fail large ones", () => {
    const ok = evaluateShadowGates(opts({ shadowEnabled: true, candidate: fakeVersion({ shadow: { comparisons: 400, mean_abs_diff: 0.02, verdict_changes: 10 } }) }));
    expect(ok.map((g) => g.verdict)).toEqual(["PASS", "PASS"]);
    const bad = evaluateShadowGates(opts({ shadowEnabled: true, candidate: fakeVersion({ shadow: { comparisons: 400, mean_abs_diff: 0.25, verdict_changes: 200 } }) }));
    expect(bad.map((g) => g.verdict)).toEqual(["FAIL", "FAIL"]);
    expect(gate(bad, "shadow_verdict_changes").value).toBe(0.5);
  });

  it("say NOT ENOUGH DATA with few comparisons", () => {
    const r = evaluateShadowGates(opts({ shadowEnabled: true, candidate: fakeVersion({ shadow: { comparisons: 20, mean_abs_diff: 0.5, verdict_changes: 20 } }) }));
    expect(r.map((g) => g.verdict)).toEqual(["NOT ENOUGH DATA", "NOT ENOUGH DATA"]);
  });
});

describe("evaluateGates", () => {
  it("PASS when every gate passes", () => {
    const check = evaluateGates(opts({}));
    expect(check.verdict).toBe("PASS");
    expect(check.gates.map((g) => g.gate)).toEqual(["error_rate", "error_rate_vs_stable", "latency_p99", "latency_p99_vs_stable", "prediction_std", "prediction_psi"]);
  });

  it("FAIL wins over NOT ENOUGH DATA, which wins over PASS", () => {
    const g = (verdict: GateRecord["verdict"]): GateRecord => ({ gate: "x", verdict, value: null, threshold: "", window_seconds: 1, sample_size: 0, min_samples: 1, detail: "" });
    expect(combineVerdicts([g("PASS"), g("NOT ENOUGH DATA"), g("FAIL")])).toBe("FAIL");
    expect(combineVerdicts([g("PASS"), g("NOT ENOUGH DATA")])).toBe("NOT ENOUGH DATA");
    expect(combineVerdicts([g("PASS"), g("PASS")])).toBe("PASS");
    expect(combineVerdicts([])).toBe("NOT ENOUGH DATA");
  });

  it("no traffic at all is NOT ENOUGH DATA on every gate, never PASS", () => {
    const check = evaluateGates(opts({ candidate: fakeVersion({ requests: 0, p99: null }), stable: fakeVersion({ requests: 0, p99: null }) }));
    expect(check.verdict).toBe("NOT ENOUGH DATA");
    expect(check.gates.every((g) => g.verdict === "NOT ENOUGH DATA")).toBe(true);
  });

  it("an unavailable stats source is NOT ENOUGH DATA with the reason", () => {
    const check = unavailableCheck(policy, 60, "connection refused");
    expect(check.verdict).toBe("NOT ENOUGH DATA");
    expect(check.gates[0]!.detail).toContain("connection refused");
  });

  it("prints one explainable line per gate: gate, value, threshold, window, sample size", () => {
    const check = evaluateGates(opts({ candidate: fakeVersion({ requests: 400, errors: 20 }) }));
    const line = formatGateLine(gate(check.gates, "error_rate"));
    expect(line).toMatch(/^FAIL\s+error_rate\s+value=5\.00%\s+threshold <= 1\.00% window=300s n=400 \(min 200\)/);
    expect(line).toContain("20 of 400");
    const latency = formatGateLine(gate(check.gates, "latency_p99_vs_stable"));
    expect(latency).toContain("stable_n=10000");
  });
});
