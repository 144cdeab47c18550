/**
 * The statistical gates a rollout step must pass. Pure functions over the router's per-version
 * stats: each returns one record saying what was measured, against which threshold, over which
 * window and how many samples, so every decision can be explained afterwards.
 *
 * A gate never decides on too little evidence: below `min_samples` candidate samples in the
 * window its verdict is NOT ENOUGH DATA, whatever the numbers say.
 */

import type { RolloutPolicy } from "../policy/rollout-policy.js";
import { histogramTotal, type Histogram, type VersionStats } from "../lib/stats.js";

export type GateVerdict = "PASS" | "FAIL" | "NOT ENOUGH DATA";

export interface GateRecord {
  gate: string;
  verdict: GateVerdict;
  /** The measured value (null when there was nothing to measure). */
  value: number | null;
  /** How the value is judged, e.g. "<= 0.01". */
  threshold: string;
  window_seconds: number;
  /** Candidate samples this gate looked at. */
  sample_size: number;
  min_samples: number;
  /** Stable samples, for comparative gates. */
  stable_sample_size?: number;
  /** The arithmetic behind the verdict, for humans. */
  detail: string;
}

export type CheckVerdict = GateVerdict;

export interface CheckResult {
  /** FAIL if any gate failed, else NOT ENOUGH DATA if any gate lacked data, else PASS. */
  verdict: CheckVerdict;
  gates: GateRecord[];
  window_seconds: number;
}

export interface EvaluateGatesOptions {
  policy: RolloutPolicy;
  candidate: VersionStats;
  stable: VersionStats;
  /**
   * The stable version's stats from an earlier window with enough samples, used when stable
   * has too little traffic now (at the 100 % step it has none) so comparative gates still have
   * a reference.
   */
  stableBaseline?: { stats: VersionStats; label: string } | undefined;
  window_seconds: number;
  /** Shadowing is on (split.shadow_percent > 0): the shadow gates apply. */
  shadowEnabled: boolean;
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 through erf; absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export interface TwoProportionTest {
  z: number;
  /** One-sided p-value for "candidate's rate is above stable's". */
  p_value: number;
  candidate_rate: number;
  stable_rate: number;
}

/**
 * One-sided two-proportion z-test with the pooled standard error: is the candidate's failure
 * share significantly above the stable one's? With no failures on either side there is no
 * difference to test (z = 0, p = 0.5).
 */
export function twoProportionZTest(
  candidateFailures: number,
  candidateTotal: number,
  stableFailures: number,
  stableTotal: number,
): TwoProportionTest {
  if (candidateTotal <= 0 || stableTotal <= 0) throw new RangeError("twoProportionZTest: both totals must be above 0");
  const p1 = candidateFailures / candidateTotal;
  const p2 = stableFailures / stableTotal;
  const pooled = (candidateFailures + stableFailures) / (candidateTotal + stableTotal);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / candidateTotal + 1 / stableTotal));
  if (se === 0) return { z: 0, p_value: 0.5, candidate_rate: p1, stable_rate: p2 };
  const z = (p1 - p2) / se;
  return { z, p_value: 1 - normalCdf(z), candidate_rate: p1, stable_rate: p2 };
}

/**
 * Population stability index between two histograms over the same bins:
 * sum over bins of (a - e) * ln(a / e) with a, e the bins' shares. An empty bin gets the share
 * `epsilon` so the sum stays finite (and a bin empty on one side only still counts heavily).
 */
export function populationStabilityIndex(actual: readonly number[], expected: readonly number[], epsilon = 1e-4): number {
  if (actual.length !== expected.length) {
    throw new RangeError(`populationStabilityIndex: ${actual.length} bins against ${expected.length}`);
  }
  const totalA = actual.reduce((s, c) => s + c, 0);
  const totalE = expected.reduce((s, c) => s + c, 0);
  if (totalA <= 0 || totalE <= 0) throw new RangeError("populationStabilityIndex: both histograms need counts");
  let psi = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Math.max(actual[i]! / totalA, epsilon);
    const e = Math.max(expected[i]! / totalE, epsilon);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

// ---------------------------------------------------------------------------------------------
// Gates

function fmtPct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function fmtMs(x: number): string {
  return `${x.toFixed(1)} ms`;
}

function notEnough(
  gate: string,
  threshold: string,
  window: number,
  n: number,
  min: number,
  detail: string,
  stableN?: number,
): GateRecord {
  const record: GateRecord = { gate, verdict: "NOT ENOUGH DATA", value: null, threshold, window_seconds: window, sample_size: n, min_samples: min, detail };
  if (stableN !== undefined) record.stable_sample_size = stableN;
  return record;
}

interface StableReference {
  stats: VersionStats;
  /** "stable" or "stable baseline (...)" */
  label: string;
}

/** Stable's current window when it has enough samples of `pick`, else the remembered baseline. */
function pickStable(opts: EvaluateGatesOptions, pick: (v: VersionStats) => number): StableReference | null {
  const min = opts.policy.min_samples;
  if (pick(opts.stable) >= min) return { stats: opts.stable, label: "stable" };
  if (opts.stableBaseline && pick(opts.stableBaseline.stats) >= min) {
    return { stats: opts.stableBaseline.stats, label: `stable baseline (${opts.stableBaseline.label})` };
  }
  return null;
}

export function evaluateErrorRateGates(opts: EvaluateGatesOptions): GateRecord[] {
  const { policy, candidate, window_seconds: window } = opts;
  const min = policy.min_samples;
  const n = candidate.requests;
  const failures = candidate.status["5xx"];
  const max = policy.error_rate.max;
  const alpha = 1 - policy.error_rate.confidence;
  const zCritical = normalQuantile(policy.error_rate.confidence);
  const records: GateRecord[] = [];

  const absThreshold = `<= ${fmtPct(max)}`;
  if (n < min) {
    records.push(notEnough("error_rate", absThreshold, window, n, min, `${n} candidate requests < ${min} needed`));
  } else {
    const rate = failures / n;
    records.push({
      gate: "error_rate",
      verdict: rate <= max ? "PASS" : "FAIL",
      value: rate,
      threshold: absThreshold,
      window_seconds: window,
      sample_size: n,
      min_samples: min,
      detail: `${failures} of ${n} candidate requests answered 5xx (${fmtPct(rate)})`,
    });
  }

  const cmpThreshold = `one-sided z-test at ${Math.round(policy.error_rate.confidence * 100)}%: z <= ${zCritical.toFixed(3)}`;
  const stable = pickStable(opts, (v) => v.requests);
  if (n < min || !stable) {
    const why = n < min ? `${n} candidate requests < ${min} needed` : `stable has ${opts.stable.requests} requests < ${min} needed and no baseline`;
    records.push(notEnough("error_rate_vs_stable", cmpThreshold, window, n, min, why, opts.stable.requests));
  } else {
    const s = stable.stats;
    const test = twoProportionZTest(failures, n, s.status["5xx"], s.requests);
    const significant = test.p_value < alpha;
    records.push({
      gate: "error_rate_vs_stable",
      verdict: significant ? "FAIL" : "PASS",
      value: test.z,
      threshold: cmpThreshold,
      window_seconds: window,
      sample_size: n,
      min_samples: min,
      stable_sample_size: s.requests,
      detail: `candidate ${fmtPct(test.candidate_rate)} vs ${stable.label} ${fmtPct(test.stable_rate)} (${s.status["5xx"]}/${s.requests}), p=${test.p_value.toFixed(4)}${significant ? " < " : " >= "}${alpha.toFixed(2)}`,
    });
  }
  return records;
}

export function evaluateLatencyGates(opts: EvaluateGatesOptions): GateRecord[] {
  const { policy, candidate, window_seconds: window } = opts;
  const min = policy.min_samples;
  const n = latencySamples(candidate);
  const p99 = candidate.latency_ms.p99;
  const records: GateRecord[] = [];
  const absThreshold = `<= ${fmtMs(policy.latency.max_p99_ms)}`;
  if (n < min || p99 === null) {
    records.push(notEnough("latency_p99", absThreshold, window, n, min, `${n} candidate latency samples < ${min} needed`));
  } else {
    records.push({
      gate: "latency_p99",
      verdict: p99 <= policy.latency.max_p99_ms ? "PASS" : "FAIL",
      value: p99,
      threshold: absThreshold,
      window_seconds: window,
      sample_size: n,
      min_samples: min,
      detail: `candidate p99 ${fmtMs(p99)}`,
    });
  }

  const { max_ratio_to_stable: ratio, slack_ms: slack } = policy.latency;
  const stable = pickStable(opts, (v) => (v.latency_ms.p99 === null ? 0 : latencySamples(v)));
  if (n < min || p99 === null || !stable) {
    const why = n < min || p99 === null ? `${n} candidate latency samples < ${min} needed` : `stable has ${latencySamples(opts.stable)} latency samples < ${min} needed and no baseline`;
    records.push(notEnough("latency_p99_vs_stable", `<= ${ratio} x stable p99 + ${slack} ms`, window, n, min, why, latencySamples(opts.stable)));
  } else {
    const stableP99 = stable.stats.latency_ms.p99!;
    const limit = ratio * stableP99 + slack;
    records.push({
      gate: "latency_p99_vs_stable",
      verdict: p99 <= limit ? "PASS" : "FAIL",
      value: p99,
      threshold: `<= ${fmtMs(limit)} (${ratio} x ${stable.label} p99 ${fmtMs(stableP99)} + ${slack} ms)`,
      window_seconds: window,
      sample_size: n,
      min_samples: min,
      stable_sample_size: latencySamples(stable.stats),
      detail: `candidate p99 ${fmtMs(p99)} vs ${stable.label} p99 ${fmtMs(stableP99)}`,
    });
  }
  return records;
}

function latencySamples(v: VersionStats): number {
  const fromHistogram = histogramTotal(v.latency_ms.histogram);
  return fromHistogram > 0 ? fromHistogram : v.requests;
}

export function evaluatePredictionGates(opts: EvaluateGatesOptions): GateRecord[] {
  const { policy, candidate, window_seconds: window } = opts;
  const min = policy.min_samples;
  const n = candidate.predictions.count;
  const std = candidate.predictions.std;
  const records: GateRecord[] = [];
  const stdThreshold = `>= ${policy.predictions.min_std}`;
  if (n < min || std === null) {
    records.push(notEnough("prediction_std", stdThreshold, window, n, min, `${n} candidate predictions < ${min} needed`));
  } else {
    records.push({
      gate: "prediction_std",
      verdict: std >= policy.predictions.min_std ? "PASS" : "FAIL",
      value: std,
      threshold: stdThreshold,
      window_seconds: window,
      sample_size: n,
      min_samples: min,
      detail: `std of ${n} candidate predictions ${std.toFixed(4)} (mean ${candidate.predictions.mean?.toFixed(4) ?? "n/a"})`,
    });
  }

  const psiThreshold = `<= ${policy.predictions.max_psi}`;
  const stable = pickStable(opts, (v) => histogramTotal(v.predictions.histogram));
  const candidateHist = candidate.predictions.histogram;
  if (n < min || histogramTotal(candidateHist) < min || !stable) {
    const why = n < min || histogramTotal(candidateHist) < min ? `${n} candidate predictions < ${min} needed` : `stable has ${histogramTotal(opts.stable.predictions.histogram)} predictions < ${min} needed and no baseline`;
    records.push(notEnough("prediction_psi", psiThreshold, window, n, min, why, histogramTotal(opts.stable.predictions.histogram)));
  } else {
    const stableHist = stable.stats.predictions.histogram;
    const sameBins = sameBounds(candidateHist, stableHist);
    if (!sameBins) {
      records.push({
        gate: "prediction_psi",
        verdict: "FAIL",
        value: null,
        threshold: psiThreshold,
        window_seconds: window,
        sample_size: n,
        min_samples: min,
        stable_sample_size: histogramTotal(stableHist),
        detail: "candidate and stable prediction histograms have different bins: cannot compare (router bug?)",
      });
    } else {
      const psi = populationStabilityIndex(candidateHist.counts, stableHist.counts, policy.predictions.psi_epsilon);
      records.push({
        gate: "prediction_psi",
        verdict: psi <= policy.predictions.max_psi ? "PASS" : "FAIL",
        value: psi,
        threshold: psiThreshold,
        window_seconds: window,
        sample_size: histogramTotal(candidateHist),
        min_samples: min,
        stable_sample_size: histogramTotal(stableHist),
        detail: `PSI of candidate vs ${stable.label} over ${candidateHist.counts.length} bins`,
      });
    }
  }
  return records;
}

function sameBounds(a: Histogram, b: Histogram): boolean {
  if (a.bounds.length !== b.bounds.length || a.counts.length !== b.counts.length) return false;
  return a.bounds.every((x, i) => Math.abs(x - b.bounds[i]!) < 1e-9);
}

export function evaluateShadowGates(opts: EvaluateGatesOptions): GateRecord[] {
  if (!opts.shadowEnabled) return [];
  const { policy, candidate, window_seconds: window } = opts;
  const min = policy.min_samples;
  const shadow = candidate.shadow;
  const n = shadow.comparisons;
  const diffThreshold = `<= ${policy.shadow.max_mean_abs_diff}`;
  const changeThreshold = `<= ${fmtPct(policy.shadow.max_verdict_change_rate)}`;
  if (n < min || shadow.mean_abs_diff === null) {
    const why = `${n} shadow comparisons < ${min} needed`;
    return [
      notEnough("shadow_mean_abs_diff", diffThreshold, window, n, min, why),
      notEnough("shadow_verdict_changes", changeThreshold, window, n, min, why),
    ];
  }
  const changeRate = shadow.verdict_changes / n;
  return [
    {
      gate: "shadow_mean_abs_diff",
      verdict: shadow.mean_abs_diff <= policy.shadow.max_mean_abs_diff ? "PASS" : "FAIL",
      value: shadow.mean_abs_diff,
      threshold: diffThreshold,
      window_seconds: window,
      sample_size: n,
      min_samples: min,
      detail: `mean |candidate - stable| probability over ${n} shadowed requests (max ${shadow.max_abs_diff?.toFixed(4) ?? "n/a"})`,
    },
    {
      gate: "shadow_verdict_changes",
      verdict: changeRate <= policy.shadow.max_verdict_change_rate ? "PASS" : "FAIL",
      value: changeRate,
      threshold: changeThreshold,
      window_seconds: window,
      sample_size: n,
      min_samples: min,
      detail: `${shadow.verdict_changes} of ${n} shadowed requests changed verdict`,
    },
  ];
}

/** All gates for one check, and the check's overall verdict. */
export function evaluateGates(opts: EvaluateGatesOptions): CheckResult {
  const gates = [
    ...evaluateErrorRateGates(opts),
    ...evaluateLatencyGates(opts),
    ...evaluatePredictionGates(opts),
    ...evaluateShadowGates(opts),
  ];
  return { verdict: combineVerdicts(gates), gates, window_seconds: opts.window_seconds };
}

export function combineVerdicts(gates: readonly GateRecord[]): CheckVerdict {
  if (gates.some((g) => g.verdict === "FAIL")) return "FAIL";
  if (gates.length === 0 || gates.some((g) => g.verdict === "NOT ENOUGH DATA")) return "NOT ENOUGH DATA";
  return "PASS";
}

/** A check where nothing could be measured (stats unreachable): every gate NOT ENOUGH DATA. */
export function unavailableCheck(policy: RolloutPolicy, window: number, reason: string): CheckResult {
  const gates = ["error_rate", "error_rate_vs_stable", "latency_p99", "latency_p99_vs_stable", "prediction_std", "prediction_psi"].map(
    (gate) => notEnough(gate, "n/a", window, 0, policy.min_samples, `stats unavailable: ${reason}`),
  );
  return { verdict: "NOT ENOUGH DATA", gates, window_seconds: window };
}

/** One line per gate: verdict, gate, value, threshold, window, sample size, and the arithmetic. */
export function formatGateLine(g: GateRecord): string {
  const value = g.value === null ? "n/a" : formatValue(g);
  const stable = g.stable_sample_size === undefined ? "" : ` stable_n=${g.stable_sample_size}`;
  return `${g.verdict.padEnd(15)} ${g.gate.padEnd(22)} value=${value.padEnd(9)} threshold ${g.threshold} window=${g.window_seconds}s n=${g.sample_size} (min ${g.min_samples})${stable} | ${g.detail}`;
}

/** A failed gate's evidence in one phrase: "prediction_std 0.0123 (threshold >= 0.05, n=412)". */
export function formatGateEvidence(g: GateRecord): string {
  return `${g.gate} ${g.value === null ? "n/a" : formatValue(g)} (threshold ${g.threshold}, n=${g.sample_size})`;
}

function formatValue(g: GateRecord): string {
  const v = g.value!;
  if (g.gate === "error_rate" || g.gate === "shadow_verdict_changes") return fmtPct(v);
  if (g.gate.startsWith("latency")) return fmtMs(v);
  return v.toFixed(4);
}
