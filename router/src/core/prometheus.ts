/**
 * The router's /metrics page in the Prometheus text format (version 0.0.4). Metric names and
 * labels are the contract in monitoring/metric-names.json; dashboards and alert rules depend on them.
 */
import { LATENCY_ANCHORS_MS, LATENCY_EDGES_MS, PREDICTION_EDGES, SHADOW_DIFF_EDGES, type Edges } from "./histogram";
import { COLORS, type Color, type Split } from "./split";
import { VERDICTS, meanAndStd, type CacheResult, type StatusClass, type VersionAggregate } from "./stats";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface MetricsSnapshot {
  /** Counters and histograms: everything since the metrics store began. */
  readonly totals: Readonly<Record<Color, VersionAggregate>>;
  /** The prediction mean and std gauges: the last five minutes. */
  readonly recent: Readonly<Record<Color, VersionAggregate>>;
  readonly split: Split;
  /** Whether each version's /health answered ok at the last check (null: not checked). */
  readonly up: Readonly<Record<Color, boolean | null>>;
  /** The model version each version's /health reported at that check (null: unknown). */
  readonly models?: Readonly<Record<Color, string | null>>;
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
  /** One sample per version (none where `value` gives null). */
  const perVersion = (name: string, type: "counter" | "gauge", help: string, value: (version: Color) => number | null) => {
    page.family(name, type, help);
    for (const version of COLORS) {
      const x = value(version);
      if (x !== null) page.sample(name, { version }, x);
    }
  };
  /** One sample per version and value of a second label. */
  const perVersionAnd = (name: string, help: string, label: string, keys: (version: Color) => readonly string[], value: (version: Color, key: string) => number) => {
    page.family(name, "counter", help);
    for (const version of COLORS) for (const key of keys(version)) page.sample(name, { version, [label]: key }, value(version, key));
  };
  const histograms = (name: string, help: string, edges: Edges, published: readonly number[], pick: (agg: VersionAggregate) => { counts: number[]; sum: number }, scale = 1) => {
    page.family(name, "histogram", help);
    for (const version of COLORS) {
      const h = pick(totals[version]);
      page.histogram(name, { version }, edges, h.counts, published, h.sum, scale);
    }
  };

  perVersionAnd("flash_requests_total", "Requests answered by each version, by status class.", "status_class", () => ["2xx", "4xx", "5xx"], (v, k) => totals[v].status[k as StatusClass]);
  histograms(
    "flash_request_duration_seconds",
    "Time from the router's forward to the version's answer.",
    LATENCY_EDGES_MS,
    PUBLISHED_LATENCY_MS,
    (agg) => ({ counts: agg.latency.counts, sum: agg.latency.sum_ms }),
    1 / 1000,
  );
  perVersion("flash_fallbacks_total", "counter", "Requests that failed on this version and were retried on the other.", (v) => totals[v].fallbacks);
  perVersionAnd("flash_cache_requests_total", "Prediction cache results reported by each version (X-Cache).", "result", () => ["hit", "miss", "bypass"], (v, k) => totals[v].cache[k as CacheResult]);
  histograms("flash_prediction_probability", "Predicted probabilities (X-Flash-Probability).", PREDICTION_EDGES, PREDICTION_EDGES.slice(1), (agg) => ({
    counts: agg.predictions.counts,
    sum: agg.predictions.sum,
  }));

  const recentStats = (v: Color) => meanAndStd(recent[v].predictions.count, recent[v].predictions.sum, recent[v].predictions.sum_sq);
  perVersion("flash_prediction_std", "gauge", "Standard deviation of predictions over the last 5 minutes (absent without predictions).", (v) => recentStats(v).std);
  perVersion("flash_prediction_mean", "gauge", "Mean prediction over the last 5 minutes (absent without predictions).", (v) => recentStats(v).mean);
  perVersionAnd(
    "flash_verdicts_total",
    "Predictions by verdict (X-Flash-Verdict).",
    "verdict",
    (v) => [...VERDICTS, ...Object.keys(totals[v].verdicts).filter((k) => !(VERDICTS as readonly string[]).includes(k))],
    (v, k) => totals[v].verdicts[k] ?? 0,
  );

  perVersion("flash_shadow_comparisons_total", "counter", "Stable requests shadowed to this version and compared.", (v) => totals[v].shadow.comparisons);
  perVersion("flash_shadow_verdict_changes_total", "counter", "Shadow comparisons where this version's verdict differed.", (v) => totals[v].shadow.verdict_changes);
  histograms("flash_shadow_abs_diff", "Absolute difference of probability, stable versus this version, on shadowed requests.", SHADOW_DIFF_EDGES, SHADOW_DIFF_EDGES.slice(1), (agg) => ({
    counts: agg.shadow.counts,
    sum: agg.shadow.sum_abs_diff,
  }));

  const gauge = (name: string, help: string, value: number, labelPairs: Record<string, string> = {}) => {
    page.family(name, "gauge", help);
    page.sample(name, labelPairs, value);
  };
  gauge("flash_split_candidate_percent", "Share of clients routed to the candidate version.", split.candidate_percent);
  gauge("flash_split_shadow_percent", "Share of stable /predict requests also sent to the candidate.", split.shadow_percent);
  gauge("flash_split_revision", "Revision of the traffic split.", split.revision);
  gauge("flash_split_info", "Which colour is stable and which is the candidate (always 1).", 1, { stable: split.stable, candidate: split.candidate });
  perVersion("flash_up", "gauge", "1 when the version's /health answered ok at the last check.", (v) => (up[v] ? 1 : 0));
  page.family("flash_model_info", "gauge", "The model version each version serves, from its /health (always 1; absent when unknown).");
  for (const version of COLORS) {
    const model = snapshot.models?.[version];
    if (model) page.sample("flash_model_info", { version, model_version: model }, 1);
  }

  return page.text();
}
