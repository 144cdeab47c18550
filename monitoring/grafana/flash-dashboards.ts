/**
 * The v1 guide's four Grafana dashboards (FLASH Overview, API Performance, Model Metrics,
 * Business Metrics) as code. `npm run monitoring:dashboards` writes them to dashboards/*.json
 * (the files Grafana imports); a test checks the files match this code and that every query
 * names only metrics the router's /metrics exports (monitoring/metric-names.json).
 *
 * Classic dashboard JSON, schemaVersion 39 (Grafana 10.4 and later import it). Every panel reads
 * the Prometheus data source picked in the `datasource` variable, so the JSON imports into any
 * Grafana without editing; `environment` and `version` variables filter the series.
 */

export const SCHEMA_VERSION = 39;

/** The data source every panel and variable uses: the one picked in the `datasource` variable. */
const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;

/** Label filter every query carries, so the variables narrow every panel. */
const BY_VERSION = 'environment=~"$environment", version=~"$version"';
const BY_ENVIRONMENT = 'environment=~"$environment"';

export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  editorMode: "code";
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format?: "time_series" | "heatmap" | "table";
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: typeof DATASOURCE;
  targets?: Target[];
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  options?: Record<string, unknown>;
  repeat?: string;
  repeatDirection?: "h" | "v";
  maxPerRow?: number;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Record<string, unknown>[] };
  [key: string]: unknown;
}

/** A query: PromQL plus how Grafana shows it. */
interface Query {
  expr: string;
  legend?: string;
  format?: Target["format"];
  /** One value for the whole time range (stat, pie, bar gauge) rather than a series. */
  instant?: boolean;
}

type Thresholds = { color: string; value: number | null }[];

interface PanelSpec {
  type: "timeseries" | "stat" | "heatmap" | "bargauge" | "piechart" | "text";
  title: string;
  description: string;
  w: number;
  h: number;
  queries?: Query[];
  unit?: string;
  min?: number;
  max?: number;
  decimals?: number;
  thresholds?: Thresholds;
  /** Draw the thresholds on a time series as dashed lines. */
  showThresholds?: boolean;
  stacking?: "normal";
  mappings?: unknown[];
  options?: Record<string, unknown>;
  text?: string;
  repeatByVersion?: boolean;
}

const GREEN_ONLY: Thresholds = [{ color: "green", value: null }];

/** Colours that follow the deployment colours, whatever the legend says around them. */
const VERSION_COLOURS = [
  { matcher: { id: "byRegexp", options: "/\\bblue\\b/" }, properties: [{ id: "color", value: { mode: "fixed", fixedColor: "blue" } }] },
  { matcher: { id: "byRegexp", options: "/\\bgreen\\b/" }, properties: [{ id: "color", value: { mode: "fixed", fixedColor: "green" } }] },
];

function target(query: Query, index: number): Target {
  const t: Target = {
    refId: String.fromCharCode(65 + index),
    datasource: DATASOURCE,
    editorMode: "code",
    expr: query.expr,
    legendFormat: query.legend ?? "__auto",
    range: !query.instant,
    instant: Boolean(query.instant),
  };
  if (query.format) t.format = query.format;
  return t;
}

function fieldDefaults(spec: PanelSpec): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    color: { mode: spec.type === "stat" || spec.type === "bargauge" ? "thresholds" : "palette-classic" },
    thresholds: { mode: "absolute", steps: spec.thresholds ?? GREEN_ONLY },
    mappings: spec.mappings ?? [],
  };
  if (spec.unit) defaults.unit = spec.unit;
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.decimals !== undefined) defaults.decimals = spec.decimals;
  if (spec.type === "timeseries") {
    defaults.custom = {
      drawStyle: "line",
      lineWidth: 2,
      fillOpacity: spec.stacking ? 40 : 10,
      showPoints: "never",
      spanNulls: false,
      stacking: { mode: spec.stacking ?? "none", group: "A" },
      thresholdsStyle: { mode: spec.showThresholds ? "dashed" : "off" },
    };
  }
  return defaults;
}

function panelOptions(spec: PanelSpec): Record<string, unknown> {
  const lastValue = { calcs: ["lastNotNull"], fields: "", values: false };
  switch (spec.type) {
    case "timeseries":
      return { legend: { displayMode: "list", placement: "bottom", showLegend: true, calcs: [] }, tooltip: { mode: "multi", sort: "desc" } };
    case "stat":
      return { reduceOptions: lastValue, colorMode: "background", graphMode: "none", justifyMode: "center", orientation: "auto", textMode: "value_and_name", wideLayout: true, showPercentChange: false };
    case "bargauge":
      return { reduceOptions: lastValue, displayMode: "gradient", orientation: "vertical", showUnfilled: true, valueMode: "color", namePlacement: "auto", sizing: "auto", minVizHeight: 16, minVizWidth: 8, maxVizHeight: 300 };
    case "piechart":
      return { reduceOptions: lastValue, pieType: "donut", displayLabels: ["percent"], legend: { displayMode: "table", placement: "right", showLegend: true, values: ["value", "percent"] }, tooltip: { mode: "single", sort: "none" } };
    case "heatmap":
      return {
        calculate: false,
        cellGap: 1,
        color: { mode: "scheme", scheme: "Oranges", fill: "dark-orange", scale: "exponential", exponent: 0.5, steps: 64, reverse: false },
        exemplars: { color: "rgba(255,0,255,0.7)" },
        filterValues: { le: 1e-9 },
        legend: { show: true },
        rowsFrame: { layout: "auto" },
        tooltip: { mode: "single", yHistogram: true, showColorScale: false },
        yAxis: { axisPlacement: "left", reverse: false, unit: spec.unit ?? "short" },
      };
    case "text":
      return { mode: "markdown", content: spec.text ?? "", code: { language: "plaintext", showLineNumbers: false, showMiniMap: false } };
  }
}

/** Lays panels out left to right in Grafana's 24-column grid, wrapping to a new row when full. */
function layOut(specs: PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, index) => {
    if (x + spec.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const panel: Panel = { id: index + 1, type: spec.type, title: spec.title, description: spec.description, gridPos: { h: spec.h, w: spec.w, x, y } };
    x += spec.w;
    rowHeight = Math.max(rowHeight, spec.h);
    if (spec.type !== "text") {
      panel.datasource = DATASOURCE;
      panel.targets = (spec.queries ?? []).map(target);
      panel.fieldConfig = { defaults: fieldDefaults(spec), overrides: spec.type === "timeseries" ? VERSION_COLOURS : [] };
    }
    panel.options = { ...panelOptions(spec), ...spec.options };
    if (spec.repeatByVersion) Object.assign(panel, { repeat: "version", repeatDirection: "h", maxPerRow: 2 });
    return panel;
  });
}

function queryVariable(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: "query",
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: `${name}-variable` },
    refresh: 2,
    includeAll: true,
    allValue: ".*",
    multi: true,
    current: { selected: true, text: ["All"], value: ["$__all"] },
    options: [],
    regex: "",
    sort: 1,
    hide: 0,
  };
}

const TEMPLATING = {
  list: [
    { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, options: [], regex: "", refresh: 1, hide: 0, includeAll: false, multi: false },
    queryVariable("environment", "Environment", "label_values(flash_up, environment)"),
    queryVariable("version", "Version", 'label_values(flash_up{environment=~"$environment"}, version)'),
  ],
};

function dashboard(uid: string, title: string, description: string, specs: PanelSpec[]): Dashboard {
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [{ asDropdown: false, icon: "external link", includeVars: true, keepTime: true, tags: ["flash-edge"], targetBlank: false, title: "FLASH dashboards", type: "dashboards" }],
    panels: layOut(specs),
    refresh: "30s",
    schemaVersion: SCHEMA_VERSION,
    tags: ["flash-edge"],
    templating: TEMPLATING,
    time: { from: "now-1h", to: "now" },
    timepicker: {},
    timezone: "browser",
    title,
    uid,
    version: 1,
    weekStart: "",
  };
}

// ----- Queries shared by several dashboards -----

const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

const requestsPerSecond = `sum by (version) (${rate(`flash_requests_total{${BY_VERSION}}`)})`;

const requestShare = `${requestsPerSecond}\n/ scalar(sum(${rate(`flash_requests_total{${BY_VERSION}}`)}))`;

const errorRatio = `sum by (version) (${rate(`flash_requests_total{${BY_VERSION}, status_class="5xx"}`)})
/
sum by (version) (${rate(`flash_requests_total{${BY_VERSION}}`)})`;

const latencyQuantile = (q: number) =>
  `histogram_quantile(${q}, sum by (version, le) (${rate(`flash_request_duration_seconds_bucket{${BY_VERSION}}`)}))`;

// hit / (hit + miss + bypass), as in the alert rules: a cache that is down (all BYPASS) shows 0%.
const cacheHitRatio = `sum by (version) (${rate(`flash_cache_requests_total{${BY_VERSION}, result="hit"}`)})
/
sum by (version) (${rate(`flash_cache_requests_total{${BY_VERSION}}`)})`;

const LATENCY_THRESHOLDS: Thresholds = [
  { color: "green", value: null },
  { color: "orange", value: 0.3 },
  { color: "red", value: 0.5 },
];
const ERROR_THRESHOLDS: Thresholds = [
  { color: "green", value: null },
  { color: "orange", value: 0.02 },
  { color: "red", value: 0.05 },
];
const CACHE_THRESHOLDS: Thresholds = [
  { color: "red", value: null },
  { color: "green", value: 0.7 },
];

/**
 * Confidence levels from the prediction histogram (20 buckets of 0.05): how decisive the
 * predictions are. The bands follow the verdict thresholds in core/verdict.ts: decisive = a
 * strong verdict (p <= 0.2 or p > 0.8), leaning = pass/fail (0.2-0.35, 0.65-0.8), uncertain =
 * a conditional verdict (0.35-0.65). Bucket bounds are `le` (inclusive), the verdict bands are
 * [min, max), so a probability of exactly 0.2, 0.35, 0.65 or 0.8 lands one band over.
 */
function confidenceBand(window: string, band: "decisive" | "leaning" | "uncertain"): string {
  const bucket = (le: string) =>
    `sum(increase(flash_prediction_probability_bucket{${BY_VERSION}, le="${le}"}[${window}]))`;
  const total = `sum(increase(flash_prediction_probability_count{${BY_VERSION}}[${window}]))`;
  const count = {
    decisive: `${bucket("0.2")} + ${bucket("+Inf")} - ${bucket("0.8")}`,
    leaning: `${bucket("0.35")} - ${bucket("0.2")} + ${bucket("0.8")} - ${bucket("0.65")}`,
    uncertain: `${bucket("0.65")} - ${bucket("0.35")}`,
  }[band];
  return `(${count})\n/\n${total}`;
}

// ----- The four dashboards -----

function overview(): Dashboard {
  return dashboard("flash-overview", "FLASH Overview", "FLASH Edge at a glance: health of blue and green, the traffic split, error rate and p99 latency per version.", [
    {
      type: "stat",
      title: "Health",
      description: "flash_up: 1 when the version's /health answered ok at the router's last check.",
      w: 6,
      h: 5,
      queries: [{ expr: `flash_up{${BY_VERSION}}`, legend: "{{version}}" }],
      thresholds: [
        { color: "red", value: null },
        { color: "green", value: 1 },
      ],
      mappings: [{ type: "value", options: { "0": { text: "DOWN", color: "red", index: 0 }, "1": { text: "UP", color: "green", index: 1 } } }],
    },
    {
      type: "stat",
      title: "Stable and candidate",
      description: "Which colour serves as stable and which as candidate (flash_split_info).",
      w: 6,
      h: 5,
      queries: [{ expr: `flash_split_info{${BY_ENVIRONMENT}}`, legend: "stable {{stable}}, candidate {{candidate}}", instant: true }],
      options: { textMode: "name", colorMode: "none" },
    },
    {
      type: "stat",
      title: "Candidate share",
      description: "Share of clients the split sends to the candidate (flash_split_candidate_percent).",
      w: 6,
      h: 5,
      unit: "percent",
      min: 0,
      max: 100,
      queries: [{ expr: `flash_split_candidate_percent{${BY_ENVIRONMENT}}`, legend: "candidate" }],
      options: { colorMode: "value", textMode: "value" },
    },
    {
      type: "stat",
      title: "Split revision",
      description: "Revision of the traffic split: it moves with every promote, rollback or weight change.",
      w: 6,
      h: 5,
      decimals: 0,
      queries: [{ expr: `flash_split_revision{${BY_ENVIRONMENT}}`, legend: "revision" }],
      options: { colorMode: "none", textMode: "value" },
    },
    {
      type: "timeseries",
      title: "Traffic split",
      description: "Share of requests each version answered (stacked, the versions add up to 100%).",
      w: 12,
      h: 8,
      unit: "percentunit",
      min: 0,
      max: 1,
      stacking: "normal",
      queries: [{ expr: requestShare, legend: "{{version}}" }],
    },
    {
      type: "timeseries",
      title: "Requests per second",
      description: "Requests each version answered, and the requests that failed on a version and were retried on the other (fallbacks).",
      w: 12,
      h: 8,
      unit: "reqps",
      min: 0,
      queries: [
        { expr: requestsPerSecond, legend: "{{version}}" },
        { expr: `sum by (version) (${rate(`flash_fallbacks_total{${BY_VERSION}}`)})`, legend: "fallbacks from {{version}}" },
      ],
    },
    {
      type: "timeseries",
      title: "Error rate (5xx) per version",
      description: "Share of each version's requests answered 5xx. Alerts: over 2% for 5 min warns, over 5% for 1 min pages.",
      w: 12,
      h: 8,
      unit: "percentunit",
      min: 0,
      thresholds: ERROR_THRESHOLDS,
      showThresholds: true,
      queries: [{ expr: errorRatio, legend: "{{version}}" }],
    },
    {
      type: "timeseries",
      title: "p99 latency per version",
      description: "99th percentile of the time from the router's forward to the version's answer. Alerts: over 300 ms for 5 min warns, over 500 ms for 2 min pages.",
      w: 12,
      h: 8,
      unit: "s",
      min: 0,
      thresholds: LATENCY_THRESHOLDS,
      showThresholds: true,
      queries: [{ expr: latencyQuantile(0.99), legend: "{{version}}" }],
    },
  ]);
}

function apiPerformance(): Dashboard {
  return dashboard("flash-api-performance", "FLASH API Performance", "Latency percentiles, throughput and the prediction cache, per version.", [
    {
      type: "timeseries",
      title: "Latency percentiles",
      description: "p50, p95 and p99 per version, read from the router's latency histogram (log-spaced buckets, within 5%).",
      w: 12,
      h: 9,
      unit: "s",
      min: 0,
      thresholds: LATENCY_THRESHOLDS,
      showThresholds: true,
      queries: [
        { expr: latencyQuantile(0.5), legend: "p50 {{version}}" },
        { expr: latencyQuantile(0.95), legend: "p95 {{version}}" },
        { expr: latencyQuantile(0.99), legend: "p99 {{version}}" },
      ],
    },
    {
      type: "heatmap",
      title: "Latency distribution",
      description: "Requests per latency bucket over time (the selected versions together).",
      w: 12,
      h: 9,
      unit: "s",
      queries: [{ expr: `sum by (le) (increase(flash_request_duration_seconds_bucket{${BY_VERSION}}[$__rate_interval]))`, legend: "{{le}}", format: "heatmap" }],
    },
    {
      type: "timeseries",
      title: "Throughput by status class",
      description: "Requests per second per version and status class (2xx, 4xx, 5xx).",
      w: 12,
      h: 8,
      unit: "reqps",
      min: 0,
      stacking: "normal",
      queries: [{ expr: `sum by (version, status_class) (${rate(`flash_requests_total{${BY_VERSION}}`)})`, legend: "{{version}} {{status_class}}" }],
    },
    {
      type: "timeseries",
      title: "Mean latency",
      description: "Mean time per request per version (histogram sum over count).",
      w: 12,
      h: 8,
      unit: "s",
      min: 0,
      queries: [
        {
          expr: `sum by (version) (${rate(`flash_request_duration_seconds_sum{${BY_VERSION}}`)})\n/\nsum by (version) (${rate(`flash_request_duration_seconds_count{${BY_VERSION}}`)})`,
          legend: "{{version}}",
        },
      ],
    },
    {
      type: "timeseries",
      title: "Cache hit rate",
      description: "Share of each version's answers served from the Redis cache: hit / (hit + miss + bypass). The v1 target is over 70%; under it for 15 min warns.",
      w: 12,
      h: 8,
      unit: "percentunit",
      min: 0,
      max: 1,
      thresholds: CACHE_THRESHOLDS,
      showThresholds: true,
      queries: [{ expr: cacheHitRatio, legend: "{{version}}" }],
    },
    {
      type: "timeseries",
      title: "Cache results",
      description: "Answers per second by cache result (X-Cache): HIT, MISS, or BYPASS when the cache was not used (Redis down or not configured).",
      w: 12,
      h: 8,
      unit: "reqps",
      min: 0,
      stacking: "normal",
      queries: [{ expr: `sum by (version, result) (${rate(`flash_cache_requests_total{${BY_VERSION}}`)})`, legend: "{{version}} {{result}}" }],
    },
    {
      type: "stat",
      title: "Requests in range",
      description: "Requests answered over the dashboard's time range.",
      w: 8,
      h: 5,
      decimals: 0,
      queries: [{ expr: `sum by (version) (increase(flash_requests_total{${BY_VERSION}}[$__range]))`, legend: "{{version}}", instant: true }],
      options: { colorMode: "none" },
    },
    {
      type: "stat",
      title: "p99 over range",
      description: "p99 latency over the dashboard's whole time range.",
      w: 8,
      h: 5,
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
      queries: [
        {
          expr: `histogram_quantile(0.99, sum by (version, le) (increase(flash_request_duration_seconds_bucket{${BY_VERSION}}[$__range])))`,
          legend: "{{version}}",
          instant: true,
        },
      ],
    },
    {
      type: "stat",
      title: "Cache hit rate over range",
      description: "Share of answers served from the cache over the dashboard's time range.",
      w: 8,
      h: 5,
      unit: "percentunit",
      thresholds: CACHE_THRESHOLDS,
      queries: [
        {
          expr: `sum by (version) (increase(flash_cache_requests_total{${BY_VERSION}, result="hit"}[$__range]))\n/\nsum by (version) (increase(flash_cache_requests_total{${BY_VERSION}}[$__range]))`,
          legend: "{{version}}",
          instant: true,
        },
      ],
    },
  ]);
}

function modelMetrics(): Dashboard {
  return dashboard("flash-model-metrics", "FLASH Model Metrics", "What the model answers: the distribution and spread of predicted probabilities per version, and how a shadowed candidate differs from stable.", [
    {
      type: "bargauge",
      title: "Prediction distribution, $version",
      description: "Predictions per probability bucket (0.05 wide) over the time range. A calibrated model spreads over the whole 0-100% range.",
      w: 12,
      h: 9,
      repeatByVersion: true,
      queries: [{ expr: `sum by (le) (increase(flash_prediction_probability_bucket{${BY_VERSION}}[$__range]))`, legend: "{{le}}", format: "heatmap", instant: true }],
      decimals: 0,
      options: { displayMode: "basic" },
    },
    {
      type: "heatmap",
      title: "Prediction distribution over time",
      description: "Predictions per probability bucket over time (the selected versions together).",
      w: 24,
      h: 8,
      unit: "percentunit",
      queries: [{ expr: `sum by (le) (increase(flash_prediction_probability_bucket{${BY_VERSION}}[$__rate_interval]))`, legend: "{{le}}", format: "heatmap" }],
    },
    {
      type: "timeseries",
      title: "Prediction std per version",
      description: "Standard deviation of the predicted probabilities over the router's last 5 minutes. Under 0.05 for 10 min warns: the model answers nearly the same for everyone.",
      w: 12,
      h: 8,
      min: 0,
      decimals: 3,
      thresholds: [
        { color: "red", value: null },
        { color: "green", value: 0.05 },
      ],
      showThresholds: true,
      queries: [{ expr: `flash_prediction_std{${BY_VERSION}}`, legend: "{{version}}" }],
    },
    {
      type: "timeseries",
      title: "Prediction mean per version",
      description: "Mean predicted probability over the router's last 5 minutes.",
      w: 12,
      h: 8,
      unit: "percentunit",
      min: 0,
      max: 1,
      queries: [{ expr: `flash_prediction_mean{${BY_VERSION}}`, legend: "{{version}}" }],
    },
    {
      type: "timeseries",
      title: "Predictions per second",
      description: "Predictions each version made (one per /predict answer with a probability).",
      w: 12,
      h: 8,
      unit: "reqps",
      min: 0,
      queries: [{ expr: `sum by (version) (${rate(`flash_prediction_probability_count{${BY_VERSION}}`)})`, legend: "{{version}}" }],
    },
    {
      type: "timeseries",
      title: "Shadow comparisons per second",
      description: "Stable requests also sent to the candidate in the background and compared (the split's shadow share).",
      w: 12,
      h: 8,
      unit: "reqps",
      min: 0,
      queries: [{ expr: `sum by (version) (${rate(`flash_shadow_comparisons_total{${BY_VERSION}}`)})`, legend: "{{version}}" }],
    },
    {
      type: "timeseries",
      title: "Shadow probability difference",
      description: "Absolute difference between stable's and the shadowed version's probability for the same request: mean and p95.",
      w: 12,
      h: 8,
      min: 0,
      decimals: 3,
      queries: [
        {
          expr: `sum by (version) (${rate(`flash_shadow_abs_diff_sum{${BY_VERSION}}`)})\n/\nsum by (version) (${rate(`flash_shadow_abs_diff_count{${BY_VERSION}}`)})`,
          legend: "mean {{version}}",
        },
        { expr: `histogram_quantile(0.95, sum by (version, le) (${rate(`flash_shadow_abs_diff_bucket{${BY_VERSION}}`)}))`, legend: "p95 {{version}}" },
      ],
    },
    {
      type: "timeseries",
      title: "Shadow verdict changes",
      description: "Share of shadow comparisons where the shadowed version gave another verdict than stable.",
      w: 12,
      h: 8,
      unit: "percentunit",
      min: 0,
      queries: [
        {
          expr: `sum by (version) (${rate(`flash_shadow_verdict_changes_total{${BY_VERSION}}`)})\n/\nsum by (version) (${rate(`flash_shadow_comparisons_total{${BY_VERSION}}`)})`,
          legend: "{{version}}",
        },
      ],
    },
    {
      type: "text",
      title: "Feature importance",
      description: "Where the v1 guide's feature importance lives now.",
      w: 24,
      h: 3,
      text:
        "Feature importance is a property of the model build, not of traffic: it is in the model card " +
        "(`models/<version>/MODEL_CARD.md`) and the API's `GET /model` answer (`importance.features`, `importance.pillars`).",
    },
  ]);
}

function businessMetrics(): Dashboard {
  const verdicts = `flash_verdicts_total{${BY_VERSION}}`;
  return dashboard("flash-business-metrics", "FLASH Business Metrics", "What clients are told: predictions by verdict and how decisive the predictions are.", [
    {
      type: "stat",
      title: "Predictions in range",
      description: "Predictions made over the dashboard's time range.",
      w: 8,
      h: 5,
      decimals: 0,
      queries: [{ expr: `sum by (version) (increase(flash_prediction_probability_count{${BY_VERSION}}[$__range]))`, legend: "{{version}}", instant: true }],
      options: { colorMode: "none" },
    },
    {
      type: "stat",
      title: "Pass share",
      description: "Share of verdicts that pass (strong pass, pass, conditional pass) over the time range.",
      w: 8,
      h: 5,
      unit: "percentunit",
      queries: [
        {
          expr: `sum by (version) (increase(flash_verdicts_total{${BY_VERSION}, verdict=~"strong_pass|pass|conditional_pass"}[$__range]))\n/\nsum by (version) (increase(${verdicts}[$__range]))`,
          legend: "{{version}}",
          instant: true,
        },
      ],
      options: { colorMode: "none" },
    },
    {
      type: "stat",
      title: "Decisive predictions",
      description: "Share of predictions with a strong verdict (p <= 0.2 or p > 0.8) over the time range.",
      w: 8,
      h: 5,
      unit: "percentunit",
      queries: [{ expr: confidenceBand("$__range", "decisive"), legend: "decisive", instant: true }],
      options: { colorMode: "none" },
    },
    {
      type: "timeseries",
      title: "Predictions by verdict",
      description: "Predictions per second by verdict (X-Flash-Verdict), stacked.",
      w: 12,
      h: 9,
      unit: "reqps",
      min: 0,
      stacking: "normal",
      queries: [{ expr: `sum by (verdict) (${rate(verdicts)})`, legend: "{{verdict}}" }],
    },
    {
      type: "piechart",
      title: "Verdict shares",
      description: "Verdicts over the dashboard's time range.",
      w: 12,
      h: 9,
      queries: [{ expr: `sum by (verdict) (increase(${verdicts}[$__range]))`, legend: "{{verdict}}", instant: true }],
    },
    {
      type: "timeseries",
      title: "Confidence levels",
      description:
        "How decisive the predictions are, from the probability histogram: decisive = a strong verdict (p <= 0.2 or p > 0.8), " +
        "leaning = pass or fail (0.2-0.35, 0.65-0.8), uncertain = a conditional verdict (0.35-0.65).",
      w: 12,
      h: 9,
      unit: "percentunit",
      min: 0,
      max: 1,
      stacking: "normal",
      queries: [
        { expr: confidenceBand("$__rate_interval", "decisive"), legend: "decisive" },
        { expr: confidenceBand("$__rate_interval", "leaning"), legend: "leaning" },
        { expr: confidenceBand("$__rate_interval", "uncertain"), legend: "uncertain" },
      ],
    },
    {
      type: "bargauge",
      title: "Verdicts per version",
      description: "Verdict counts per version over the time range: a candidate that shifts verdicts shows here first.",
      w: 12,
      h: 9,
      decimals: 0,
      queries: [{ expr: `sum by (version, verdict) (increase(${verdicts}[$__range]))`, legend: "{{version}} {{verdict}}", instant: true }],
      options: { orientation: "horizontal", displayMode: "basic" },
    },
  ]);
}

/** The four dashboards, keyed by their file name under monitoring/grafana/dashboards/. */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    "flash-overview.json": overview(),
    "flash-api-performance.json": apiPerformance(),
    "flash-model-metrics.json": modelMetrics(),
    "flash-business-metrics.json": businessMetrics(),
  };
}

/** The file text for a dashboard: two-space JSON with a final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
