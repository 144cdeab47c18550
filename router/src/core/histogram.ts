/**
 * Fixed-bucket histograms. A histogram is a list of edges (ascending, the first is the lower
 * bound) and one count per bin; bin i holds values v with edges[i] < v <= edges[i + 1] (the
 * Prometheus `le` rule), bin 0 also holds everything at or below edges[0] and the last bin
 * everything above the last edge. Fixed edges make histograms from many isolates and many
 * 10-second buckets add up exactly, and keep percentiles readable from the sums.
 */

export type Edges = readonly number[];

/**
 * Log-spaced edges: 0, then from anchors[0] to the last anchor with every anchor an exact edge
 * and no two neighbouring edges further apart than `maxRatio`. The exact anchors let /metrics
 * publish a short list of familiar `le` bounds (1 ms, 2.5 ms, ..., 300 ms, ...) whose cumulative
 * counts are exact, while the fine bins keep percentiles within sqrt(maxRatio) - 1.
 */
export function buildLogEdges(anchors: readonly number[], maxRatio: number): number[] {
  if (anchors.length < 2 || maxRatio <= 1) throw new Error("buildLogEdges needs two anchors and a ratio above 1");
  const edges = [0, anchors[0]!];
  for (let a = 1; a < anchors.length; a++) {
    const lo = anchors[a - 1]!;
    const hi = anchors[a]!;
    if (!(hi > lo && lo > 0)) throw new Error(`anchors must be positive and ascending: ${lo}, ${hi}`);
    const steps = Math.ceil(Math.log(hi / lo) / Math.log(maxRatio) - 1e-9);
    // Six significant digits keep the edges readable in JSON and `le` labels; the ratio moves by 1e-6.
    for (let s = 1; s < steps; s++) edges.push(Number((lo * Math.pow(hi / lo, s / steps)).toPrecision(6)));
    edges.push(hi);
  }
  return edges;
}

/** Latency anchors in milliseconds; each one is also a Prometheus `le` bound (in seconds). */
export const LATENCY_ANCHORS_MS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 200, 250, 300, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000,
];

/** Neighbouring latency edges differ by at most 10%, so a bin's geometric middle is within 4.9%. */
export const LATENCY_MAX_RATIO = 1.1;

export const LATENCY_EDGES_MS: Edges = buildLogEdges(LATENCY_ANCHORS_MS, LATENCY_MAX_RATIO);

/** Predicted probabilities: 20 equal bins over [0, 1] (21 edges), as the rollout's PSI expects. */
export const PREDICTION_EDGES: Edges = Array.from({ length: 21 }, (_, i) => i / 20);

/** |p(stable) - p(candidate)| of shadowed requests. */
export const SHADOW_DIFF_EDGES: Edges = [0, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function emptyCounts(edges: Edges): number[] {
  return new Array<number>(edges.length - 1).fill(0);
}

/** The bin of `value` (binary search; NaN goes to bin 0). */
export function binIndex(edges: Edges, value: number): number {
  const bins = edges.length - 1;
  if (!(value > edges[1]!)) return 0;
  if (value > edges[bins - 1]!) return bins - 1;
  // Smallest i in 1..bins-1 with value <= edges[i + 1]. Invariant: value > edges[lo], value <= edges[hi + 1].
  let lo = 1;
  let hi = bins - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= edges[mid + 1]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function addCounts(into: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + from[i]!;
}

export function total(counts: readonly number[]): number {
  let sum = 0;
  for (const c of counts) sum += c;
  return sum;
}

export type BinPoint = "geometric" | "linear";

/**
 * The q-quantile (0 < q <= 1) by the nearest-rank rule, read as the middle of the bin that holds
 * that rank: the geometric middle for log-spaced bins (the error is then at most sqrt(ratio) - 1
 * of the true value), the arithmetic middle for linear ones. Null when the histogram is empty.
 */
export function quantile(edges: Edges, counts: readonly number[], q: number, point: BinPoint = "geometric"): number | null {
  const n = total(counts);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n - 1e-9));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) {
      const lo = edges[i]!;
      const hi = edges[i + 1]!;
      if (point === "geometric" && lo > 0) return Math.sqrt(lo * hi);
      return (lo + hi) / 2;
    }
  }
  return edges[edges.length - 1]!;
}
