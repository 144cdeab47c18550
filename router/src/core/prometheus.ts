/**
 * The router's /metrics page in the Prometheus text format (version 0.0.4). Metric names and
 * labels are the contract in TEAM.md; dashboards and alert rules depend on them.
 */
import { LATENCY_ANCHORS_MS, LATENCY_EDGES_MS, PREDICTION_EDGES, SHADOW_DIFF_EDGES, type Edges } from "./histogram";
import { COLORS, type Color, type Split } from "./split";
import { VERDICTS, meanAndStd, type VersionAggregate } from "./stats";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface MetricsSnapshot {
  /** Counters and histograms: everything since the metrics store began. */
  readonly totals: Readonly<Record<Color, VersionAggregate>>;
  /** The prediction mean and std gauges: the last five minutes. */
  readonly recent: Readonly<Record<Color, VersionAggregate>>;
  readonly split: Split;
  /** Whether each version's /health answered ok at the last check (null: not checked). */
  readonly up: Readonly<Record<Color, boolean | null>>;
}

/** Latency `le` bounds published, in ms: the anchors up to 60 s (all exact edges of the fine bins). */
const PUBLISHED_LATENCY_MS = LATENCY_ANCHORS_MS.filter((ms) => ms <= 60_000);

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  return String(Number(x.toPrecision(15)));
}

class Page {
  private lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labelPairs: Record<string, string>, value: number): this {
    this.lines.push(`${name}${labels(labelPairs)} ${num(value)}`);
    return this;
  }

  /** Buckets at `publishedEdges` (each an exact edge of `edges`), scaled by `scale`, plus +Inf, sum, count. */
  histogram(
    name: string,
    base: Record<string, string>,
    edges: Edges,
    counts: readonly number[],
    publishedEdges: readonly number[],
    sum: number,
    scale = 1,
  ): this {
    let cumulative = 0;
    let bin = 0;
    let totalCount = 0;
    for (const c of counts) totalCount += c;
    for (const le of publishedEdges) {
      // Bins up to the one whose upper edge is `le`.
      while (bin < counts.length && edges[bin + 1]! <= le) cumulative += counts[bin++]!;
      this.sample(`${name}_bucket`, { ...base, le: num(le * scale) }, cumulative);
    }
    this.sample(`${name}_bucket`, { ...base, le: "+Inf" }, totalCount);
    this.sample(`${name}_sum`, base, sum * scale);
    this.sample(`${name}_count`, base, totalCount);
    return this;
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

export function renderPrometheus(snapshot: MetricsSnapshot): string {
  const page = new Page();
  const { totals, recent, split, up } = snapshot;

  page.family("flash_requests_total", "counter", "Requests answered by each version, by status class.");
  for (const version of COLORS) {
    for (const status_class of ["2xx", "4xx", "5xx"] as const) {
      page.sample("flash_requests_total", { version, status_class }, totals[version].status[status_class]);
    }
  }

  page.family("flash_request_duration_seconds", "histogram", "Time from the router's forward to the version's answer.");
  for (const version of COLORS) {
    const agg = totals[version];
    page.histogram(
      "flash_request_duration_seconds",
      { version },
      LATENCY_EDGES_MS,
      agg.latency.counts,
      PUBLISHED_LATENCY_MS,
      agg.latency.sum_ms,
      1 / 1000,
    );
  }

  page.family("flash_fallbacks_total", "counter", "Requests that failed on this version and were retried on the other.");
  for (const version of COLORS) page.sample("flash_fallbacks_total", { version }, totals[version].fallbacks);

  page.family("flash_cache_requests_total", "counter", "Prediction cache results reported by each version (X-Cache).");
  for (const version of COLORS) {
    for (const result of ["hit", "miss", "bypass"] as const) {
      page.sample("flash_cache_requests_total", { version, result }, totals[version].cache[result]);
    }
  }

  page.family("flash_prediction_probability", "histogram", "Predicted probabilities (X-Flash-Probability).");
  for (const version of COLORS) {
    const p = totals[version].predictions;
    page.histogram("flash_prediction_probability", { version }, PREDICTION_EDGES, p.counts, PREDICTION_EDGES.slice(1), p.sum);
  }

  const recentStats = Object.fromEntries(
    COLORS.map((v) => [v, meanAndStd(recent[v].predictions.count, recent[v].predictions.sum, recent[v].predictions.sum_sq)]),
  ) as Record<Color, { mean: number | null; std: number | null }>;
  page.family("flash_prediction_std", "gauge", "Standard deviation of predictions over the last 5 minutes (absent without predictions).");
  for (const version of COLORS) {
    const std = recentStats[version].std;
    if (std !== null) page.sample("flash_prediction_std", { version }, std);
  }
  page.family("flash_prediction_mean", "gauge", "Mean prediction over the last 5 minutes (absent without predictions).");
  for (const version of COLORS) {
    const mean = recentStats[version].mean;
    if (mean !== null) page.sample("flash_prediction_mean", { version }, mean);
  }

  page.family("flash_verdicts_total", "counter", "Predictions by verdict (X-Flash-Verdict).");
  for (const version of COLORS) {
    const seen = totals[version].verdicts;
    const names = [...VERDICTS, ...Object.keys(seen).filter((v) => !(VERDICTS as readonly string[]).includes(v))];
    for (const verdict of names) page.sample("flash_verdicts_total", { version, verdict }, seen[verdict] ?? 0);
  }

  page.family("flash_shadow_comparisons_total", "counter", "Stable requests shadowed to this version and compared.");
  for (const version of COLORS) page.sample("flash_shadow_comparisons_total", { version }, totals[version].shadow.comparisons);
  page.family("flash_shadow_verdict_changes_total", "counter", "Shadow comparisons where this version's verdict differed.");
  for (const version of COLORS) page.sample("flash_shadow_verdict_changes_total", { version }, totals[version].shadow.verdict_changes);
  page.family("flash_shadow_abs_diff", "histogram", "Absolute difference of probability, stable versus this version, on shadowed requests.");
  for (const version of COLORS) {
    const s = totals[version].shadow;
    page.histogram("flash_shadow_abs_diff", { version }, SHADOW_DIFF_EDGES, s.counts, SHADOW_DIFF_EDGES.slice(1), s.sum_abs_diff);
  }

  page.family("flash_split_candidate_percent", "gauge", "Share of clients routed to the candidate version.");
  page.sample("flash_split_candidate_percent", {}, split.candidate_percent);
  page.family("flash_split_shadow_percent", "gauge", "Share of stable /predict requests also sent to the candidate.");
  page.sample("flash_split_shadow_percent", {}, split.shadow_percent);
  page.family("flash_split_revision", "gauge", "Revision of the traffic split.");
  page.sample("flash_split_revision", {}, split.revision);
  page.family("flash_split_info", "gauge", "Which colour is stable and which is the candidate (always 1).");
  page.sample("flash_split_info", { stable: split.stable, candidate: split.candidate }, 1);

  page.family("flash_up", "gauge", "1 when the version's /health answered ok at the last check.");
  for (const version of COLORS) page.sample("flash_up", { version }, up[version] ? 1 : 0);

  return page.text();
}
