/**
 * The wire shapes of the router's admin API (GET /admin/stats, /admin/split), declared once: the
 * router builds them (router/src/core/), the scripts parse them (scripts/lib/stats.ts, whose
 * parsers are typed against these), so the two sides cannot drift. Quantities without data are
 * null, never 0.
 */

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

export type StatusClass = "2xx" | "4xx" | "5xx";

/** Edges: `counts[i]` counts values in [bounds[i], bounds[i+1]). */
export interface Histogram {
  bounds: number[];
  counts: number[];
}

/** The per-version figures of GET /admin/stats (documented in docs/router.md and docs/monitoring.md). */
export interface VersionStats {
  requests: number;
  status: Record<StatusClass, number>;
  /** 5xx share of the requests; null without requests. */
  error_rate: number | null;
  fallbacks: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; histogram: Histogram };
  cache: { hit: number; miss: number; bypass: number; hit_rate: number | null };
  predictions: { count: number; mean: number | null; std: number | null; histogram: Histogram };
  verdicts: Record<string, number>;
  shadow: { comparisons: number; mean_abs_diff: number | null; max_abs_diff: number | null; verdict_changes: number };
  /** The model version behind most of the window's answers (null without answers that named one). */
  model_version: string | null;
  /** Answers per model version in the window (two when the colour was redeployed inside it). */
  model_versions: Record<string, number>;
}
