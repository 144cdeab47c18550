/**
 * Per-version request statistics: what the router records for each answer, how records add up
 * (across isolates and 10-second buckets), and the figures /admin/stats reports. Plain numbers
 * and arrays only, so an aggregate crosses Durable Object RPC and storage as it is.
 */
import {
  LATENCY_EDGES_MS,
  PREDICTION_EDGES,
  SHADOW_DIFF_EDGES,
  addCounts,
  binIndex,
  emptyCounts,
  quantile,
  type Edges,
} from "./histogram";

export type StatusClass = "2xx" | "4xx" | "5xx";
export type CacheResult = "hit" | "miss" | "bypass";

export const VERDICTS = ["strong_pass", "pass", "conditional_pass", "conditional_fail", "fail", "strong_fail"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Seconds per time bucket. */
export const BUCKET_SECONDS = 10;

export interface VersionAggregate {
  requests: number;
  status: Record<StatusClass, number>;
  /** Requests that failed on this version and were retried on the other one. */
  fallbacks: number;
  latency: { counts: number[]; sum_ms: number };
  cache: Record<CacheResult, number>;
  predictions: { counts: number[]; count: number; sum: number; sum_sq: number };
  verdicts: Record<string, number>;
  /** Comparisons where this version was the shadowed candidate. */
  shadow: { comparisons: number; sum_abs_diff: number; max_abs_diff: number; verdict_changes: number; counts: number[] };
  /**
   * Answers per model version (the API's X-Flash-Model-Version): which model produced these
   * figures. Absent in aggregates stored before it existed.
   */
  models?: Record<string, number>;
}

/** One answer seen by the router. */
export interface RequestSample {
  readonly status: number;
  readonly latencyMs: number;
  readonly cache: CacheResult | null;
  readonly probability: number | null;
  readonly verdict: string | null;
  /** The model version that answered (X-Flash-Model-Version), null when the answer had none. */
  readonly modelVersion?: string | null;
  /** True when this version failed and the request was retried on the other one. */
  readonly fellBack: boolean;
}

export interface ShadowSample {
  readonly absDiff: number;
  readonly verdictChanged: boolean;
}

export function emptyAggregate(): VersionAggregate {
  return {
    requests: 0,
    status: { "2xx": 0, "4xx": 0, "5xx": 0 },
    fallbacks: 0,
    latency: { counts: emptyCounts(LATENCY_EDGES_MS), sum_ms: 0 },
    cache: { hit: 0, miss: 0, bypass: 0 },
    predictions: { counts: emptyCounts(PREDICTION_EDGES), count: 0, sum: 0, sum_sq: 0 },
    verdicts: {},
    shadow: { comparisons: 0, sum_abs_diff: 0, max_abs_diff: 0, verdict_changes: 0, counts: emptyCounts(SHADOW_DIFF_EDGES) },
    models: {},
  };
}

/** Everything below 400 counts as success ("2xx"): the API answers no redirects. */
export function statusClassOf(status: number): StatusClass {
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  return "2xx";
}

export function parseCacheHeader(value: string | null): CacheResult | null {
  switch (value?.trim().toUpperCase()) {
    case "HIT":
      return "hit";
    case "MISS":
      return "miss";
    case "BYPASS":
      return "bypass";
    default:
      return null;
  }
}

export function parseProbabilityHeader(value: string | null): number | null {
  if (value === null || value.trim() === "") return null;
  const p = Number(value);
  return Number.isFinite(p) && p >= 0 && p <= 1 ? p : null;
}

/** A model version as the registry names them (models/<version>/); anything else is ignored, so a header cannot mint label values. */
export function parseModelVersionHeader(value: string | null): string | null {
  const v = value?.trim() ?? "";
  return /^[a-z0-9][a-z0-9._-]{0,63}$/.test(v) ? v : null;
}

/** Known verdicts pass; anything else is "other", so a bad header cannot mint label values. */
export function parseVerdictHeader(value: string | null): string | null {
  if (value === null || value.trim() === "") return null;
  const v = value.trim().toLowerCase().replace(/[\s-]+/g, "_");
  return (VERDICTS as readonly string[]).includes(v) ? v : "other";
}

export function recordRequest(agg: VersionAggregate, sample: RequestSample): void {
  agg.requests += 1;
  agg.status[statusClassOf(sample.status)] += 1;
  if (sample.fellBack) agg.fallbacks += 1;
  const latency = Math.max(0, sample.latencyMs);
  agg.latency.counts[binIndex(LATENCY_EDGES_MS, latency)]! += 1;
  agg.latency.sum_ms += latency;
  if (sample.cache) agg.cache[sample.cache] += 1;
  if (sample.probability !== null) {
    const p = sample.probability;
    agg.predictions.counts[binIndex(PREDICTION_EDGES, p)]! += 1;
    agg.predictions.count += 1;
    agg.predictions.sum += p;
    agg.predictions.sum_sq += p * p;
  }
  if (sample.verdict !== null) agg.verdicts[sample.verdict] = (agg.verdicts[sample.verdict] ?? 0) + 1;
  if (sample.modelVersion) {
    const models = (agg.models ??= {});
    models[sample.modelVersion] = (models[sample.modelVersion] ?? 0) + 1;
  }
}

export function recordShadow(agg: VersionAggregate, sample: ShadowSample): void {
  const diff = Math.abs(sample.absDiff);
  agg.shadow.comparisons += 1;
  agg.shadow.sum_abs_diff += diff;
  agg.shadow.max_abs_diff = Math.max(agg.shadow.max_abs_diff, diff);
  if (sample.verdictChanged) agg.shadow.verdict_changes += 1;
  agg.shadow.counts[binIndex(SHADOW_DIFF_EDGES, diff)]! += 1;
}

/** Adds `from` into `into`. */
export function mergeAggregate(into: VersionAggregate, from: VersionAggregate): void {
  into.requests += from.requests;
  for (const k of ["2xx", "4xx", "5xx"] as const) into.status[k] += from.status[k];
  into.fallbacks += from.fallbacks;
  addCounts(into.latency.counts, from.latency.counts);
  into.latency.sum_ms += from.latency.sum_ms;
  for (const k of ["hit", "miss", "bypass"] as const) into.cache[k] += from.cache[k];
  addCounts(into.predictions.counts, from.predictions.counts);
  into.predictions.count += from.predictions.count;
  into.predictions.sum += from.predictions.sum;
  into.predictions.sum_sq += from.predictions.sum_sq;
  for (const [verdict, n] of Object.entries(from.verdicts)) into.verdicts[verdict] = (into.verdicts[verdict] ?? 0) + n;
  into.shadow.comparisons += from.shadow.comparisons;
  into.shadow.sum_abs_diff += from.shadow.sum_abs_diff;
  into.shadow.max_abs_diff = Math.max(into.shadow.max_abs_diff, from.shadow.max_abs_diff);
  into.shadow.verdict_changes += from.shadow.verdict_changes;
  addCounts(into.shadow.counts, from.shadow.counts);
  for (const [version, n] of Object.entries(from.models ?? {})) {
    const models = (into.models ??= {});
    models[version] = (models[version] ?? 0) + n;
  }
}

export function sumAggregates(aggs: Iterable<VersionAggregate>): VersionAggregate {
  const out = emptyAggregate();
  for (const a of aggs) mergeAggregate(out, a);
  return out;
}

/** Mean and population standard deviation from count, sum and sum of squares (null when empty). */
export function meanAndStd(count: number, sum: number, sumSq: number): { mean: number | null; std: number | null } {
  if (count === 0) return { mean: null, std: null };
  const mean = sum / count;
  const variance = Math.max(0, sumSq / count - mean * mean);
  return { mean, std: Math.sqrt(variance) };
}

export interface HistogramJson {
  bounds: number[];
  counts: number[];
}

/** The per-version figures of GET /admin/stats (documented in docs/router.md and docs/monitoring.md). */
export interface VersionStats {
  requests: number;
  status: Record<StatusClass, number>;
  error_rate: number | null;
  fallbacks: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; histogram: HistogramJson };
  cache: { hit: number; miss: number; bypass: number; hit_rate: number | null };
  predictions: { count: number; mean: number | null; std: number | null; histogram: HistogramJson };
  verdicts: Record<string, number>;
  shadow: { comparisons: number; mean_abs_diff: number | null; max_abs_diff: number | null; verdict_changes: number };
  /** The model version behind most of the window's answers (null without answers that named one). */
  model_version: string | null;
  /** Answers per model version in the window (two when the colour was redeployed inside it). */
  model_versions: Record<string, number>;
}

/** The version with the most answers; ties go to the later name, so the choice is stable. */
function mainModelVersion(models: Readonly<Record<string, number>>): string | null {
  let best: string | null = null;
  for (const [version, n] of Object.entries(models)) {
    if (best === null || n > models[best]! || (n === models[best]! && version > best)) best = version;
  }
  return best;
}

function histogramJson(edges: Edges, counts: readonly number[]): HistogramJson {
  return { bounds: [...edges], counts: [...counts] };
}

/** Rounds away float noise (0.30000000000000004) without losing meaningful digits. */
function tidy(x: number | null): number | null {
  return x === null ? null : Number(x.toPrecision(12));
}

export function toVersionStats(agg: VersionAggregate): VersionStats {
  const cacheTotal = agg.cache.hit + agg.cache.miss + agg.cache.bypass;
  const { mean, std } = meanAndStd(agg.predictions.count, agg.predictions.sum, agg.predictions.sum_sq);
  const verdicts: Record<string, number> = {};
  for (const v of VERDICTS) verdicts[v] = agg.verdicts[v] ?? 0;
  for (const [v, n] of Object.entries(agg.verdicts)) verdicts[v] = n;
  return {
    requests: agg.requests,
    status: { ...agg.status },
    error_rate: agg.requests === 0 ? null : tidy(agg.status["5xx"] / agg.requests),
    fallbacks: agg.fallbacks,
    latency_ms: {
      p50: tidy(quantile(LATENCY_EDGES_MS, agg.latency.counts, 0.5)),
      p95: tidy(quantile(LATENCY_EDGES_MS, agg.latency.counts, 0.95)),
      p99: tidy(quantile(LATENCY_EDGES_MS, agg.latency.counts, 0.99)),
      histogram: histogramJson(LATENCY_EDGES_MS, agg.latency.counts),
    },
    cache: { ...agg.cache, hit_rate: cacheTotal === 0 ? null : tidy(agg.cache.hit / cacheTotal) },
    predictions: {
      count: agg.predictions.count,
      mean: tidy(mean),
      std: tidy(std),
      histogram: histogramJson(PREDICTION_EDGES, agg.predictions.counts),
    },
    verdicts,
    shadow: {
      comparisons: agg.shadow.comparisons,
      mean_abs_diff: agg.shadow.comparisons === 0 ? null : tidy(agg.shadow.sum_abs_diff / agg.shadow.comparisons),
      max_abs_diff: agg.shadow.comparisons === 0 ? null : tidy(agg.shadow.max_abs_diff),
      verdict_changes: agg.shadow.verdict_changes,
    },
    model_version: mainModelVersion(agg.models ?? {}),
    model_versions: { ...(agg.models ?? {}) },
  };
}

/** Start (ms since the epoch) of the 10-second bucket that holds `timeMs`. */
export function bucketStart(timeMs: number, bucketSeconds = BUCKET_SECONDS): number {
  const size = bucketSeconds * 1000;
  return Math.floor(timeMs / size) * size;
}
