/**
 * Builders of `VersionStats` for the rollout's unit tests: realistic figures from a few
 * parameters, so each test says only what it varies.
 */

import { emptyVersionStats, type VersionStats } from "../lib/stats.js";

export interface FakeVersionOptions {
  requests?: number;
  errors?: number;
  p99?: number | null;
  /** Predictions drawn evenly from this list (cycled) into the 20-bin histogram. */
  predictions?: number[];
  predictionCount?: number;
  shadow?: { comparisons: number; mean_abs_diff: number; verdict_changes: number };
}

export const PREDICTION_BOUNDS = Array.from({ length: 21 }, (_, i) => i / 20);

export function predictionHistogram(values: readonly number[], count: number): number[] {
  const counts = new Array<number>(20).fill(0);
  for (let i = 0; i < count; i++) {
    const p = values[i % values.length]!;
    counts[Math.min(19, Math.floor(p * 20))]! += 1;
  }
  return counts;
}

/** A spread of probabilities like the default model's (mean ~0.3, std ~0.2). */
export const SPREAD = [0.02, 0.05, 0.08, 0.12, 0.15, 0.2, 0.22, 0.27, 0.3, 0.33, 0.38, 0.42, 0.47, 0.55, 0.6, 0.68, 0.75, 0.83, 0.9, 0.97];

export function fakeVersion(o: FakeVersionOptions = {}): VersionStats {
  const v = emptyVersionStats();
  const requests = o.requests ?? 1000;
  const errors = o.errors ?? 0;
  v.requests = requests;
  v.status = { "2xx": requests - errors, "4xx": 0, "5xx": errors };
  v.error_rate = requests > 0 ? errors / requests : null;
  const p99 = o.p99 === undefined ? 20 : o.p99;
  v.latency_ms = {
    p50: p99 === null ? null : p99 / 4,
    p95: p99 === null ? null : p99 / 2,
    p99,
    histogram: { bounds: [0, 1, 10, 100, 1000, 10000], counts: requests > 0 ? [0, Math.floor(requests / 2), requests - Math.floor(requests / 2), 0, 0] : [] },
  };
  const values = o.predictions ?? SPREAD;
  const count = o.predictionCount ?? requests - errors;
  const mean = count > 0 ? values.reduce((s, x) => s + x, 0) / values.length : null;
  const std = count > 0 && mean !== null ? Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length) : null;
  v.predictions = { count, mean, std, histogram: { bounds: PREDICTION_BOUNDS, counts: predictionHistogram(values, count) } };
  if (o.shadow) v.shadow = { comparisons: o.shadow.comparisons, mean_abs_diff: o.shadow.mean_abs_diff, max_abs_diff: o.shadow.mean_abs_diff * 3, verdict_changes: o.shadow.verdict_changes };
  return v;
}
