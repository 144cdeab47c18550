/**
 * The Grafana dashboards (monitoring/grafana/dashboards/*.json): the files match the code that
 * builds them, every query is valid PromQL (promtool) that names only metrics and labels of the
 * router's /metrics contract (monitoring/metric-names.json), and the key formulas give the
 * right numbers on known series (promtool test rules).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { writeDashboards } from "../../monitoring/grafana/build-dashboards";
import { buildDashboards, SCHEMA_VERSION, type Dashboard } from "../../monitoring/grafana/flash-dashboards";
import { familyOfSeries, FLASH_SERIES_NAMES, labelsOfSeries, TARGET_LABELS } from "../../monitoring/metric-names";
import { vectorSelectors } from "../../monitoring/promql";
import { runPromtool } from "../../monitoring/promtool";

const DASHBOARD_DIR = fileURLToPath(new URL("../../monitoring/grafana/dashboards", import.meta.url));

const files = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith(".json")).sort();
const dashboards: [string, Dashboard][] = files.map((f) => [f, JSON.parse(readFileSync(join(DASHBOARD_DIR, f), "utf8")) as Dashboard]);

interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

const queries: PanelQuery[] = dashboards.flatMap(([, d]) =>
  d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ dashboard: d.title, panel: p.title, refId: t.refId, expr: t.expr }))),
);

/** A Grafana query as Prometheus would receive it: variables replaced by what Grafana sends. */
function interpolate(expr: string, range = "10m"): string {
  return expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__range", range)
    .replaceAll("$environment", ".*")
    .replaceAll("$version", ".*");
}

function findQuery(dashboard: string, panel: string, refId = "A"): string {
  const found = queries.find((q) => q.dashboard === dashboard && q.panel === panel && q.refId === refId);
  if (!found) throw new Error(`no query ${refId} in panel "${panel}" of ${dashboard}`);
  return found.expr;
}

describe("dashboard files", () => {
  it("are the four dashboards of the v1 guide, written by the code (npm run monitoring:dashboards)", () => {
    expect(files).toEqual(Object.keys(buildDashboards()).sort());
    expect(dashboards.map(([, d]) => d.title).sort()).toEqual(["FLASH API Performance", "FLASH Business Metrics", "FLASH Model Metrics", "FLASH Overview"]);
    expect(writeDashboards(DASHBOARD_DIR, true).stale, "run `npm run monitoring:dashboards` and commit the JSON").toEqual([]);
  });

  it.each(dashboards)("%s is an importable classic dashboard with a Prometheus data source variable", (_file, d) => {
    expect(d.schemaVersion).toBe(SCHEMA_VERSION);
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.id).toBeNull();
    const [datasource, ...rest] = d.templating.list;
    expect(datasource).toMatchObject({ name: "datasource", type: "datasource", query: "prometheus" });
    for (const variable of rest) expect(variable).toMatchObject({ type: "query", datasource: { type: "prometheus", uid: "${datasource}" } });
    expect(rest.map((v) => v.name)).toEqual(["environment", "version"]);

    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size, "panel ids are unique").toBe(ids.length);
    for (const panel of d.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x >= 0 && w > 0 && h > 0 && y >= 0 && x + w <= 24, `${panel.title} fits the 24-column grid`).toBe(true);
      if (panel.type === "text") continue;
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(panel.targets?.length, `${panel.title} has queries`).toBeGreaterThan(0);
      for (const t of panel.targets!) expect(t.datasource, `${panel.title} ${t.refId}`).toEqual(panel.datasource);
    }
    // No two panels overlap.
    const cells = new Set<string>();
    for (const panel of d.panels) {
      for (let dx = 0; dx < panel.gridPos.w; dx++)
        for (let dy = 0; dy < panel.gridPos.h; dy++) {
          const cell = `${panel.gridPos.x + dx},${panel.gridPos.y + dy}`;
          expect(cells.has(cell), `${panel.title} overlaps another panel at ${cell}`).toBe(false);
          cells.add(cell);
        }
    }
  });
});

describe("dashboard queries", () => {
  it("exist on every panel but the text one, and every query filters by the environment and version variables", () => {
    expect(queries.length).toBeGreaterThan(30);
    for (const q of queries) {
      for (const selector of vectorSelectors(q.expr)) {
        const labels = selector.matchers.map((m) => m.label);
        expect(labels, `${q.dashboard} / ${q.panel}: ${selector.metric}`).toContain("environment");
        const family = familyOfSeries(selector.metric ?? "");
        if (family && "version" in family.labels) expect(labels, `${q.dashboard} / ${q.panel}: ${selector.metric}`).toContain("version");
      }
    }
  });

  it("name only metrics, labels and label values of the router's /metrics contract (metric-names.json)", () => {
    const problems: string[] = [];
    for (const q of queries) {
      const where = `${q.dashboard} / ${q.panel} / ${q.refId}`;
      const selectors = vectorSelectors(q.expr);
      if (selectors.length === 0) problems.push(`${where}: no metric at all`);
      for (const selector of selectors) {
        const metric = selector.metric;
        if (!metric || !FLASH_SERIES_NAMES.has(metric)) {
          problems.push(`${where}: ${metric ?? "a selector without a metric name"} is not in monitoring/metric-names.json`);
          continue;
        }
        const family = familyOfSeries(metric)!;
        const allowedLabels = [...labelsOfSeries(metric), ...TARGET_LABELS];
        for (const m of selector.matchers) {
          if (!allowedLabels.includes(m.label)) problems.push(`${where}: ${metric} has no label ${m.label}`);
          const values = family.labels[m.label];
          if (!values || m.value.includes("$")) continue;
          // An equality, or a regex that is a plain alternation of values, must name real values.
          const named = m.op === "=" || m.op === "!=" ? [m.value] : /^[\w|]+$/.test(m.value) ? m.value.split("|") : [];
          for (const v of named) if (!values.includes(v)) problems.push(`${where}: ${metric}{${m.label}} has no value ${v}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("cover what the v1 guide lists for each dashboard", () => {
    const metricsOf = (title: string) => new Set(queries.filter((q) => q.dashboard === title).flatMap((q) => vectorSelectors(q.expr).map((s) => s.metric)));
    const exprsOf = (title: string) => queries.filter((q) => q.dashboard === title).map((q) => q.expr).join("\n");
    // FLASH Overview: health, traffic split, error rate, p99 per version.
    expect([...metricsOf("FLASH Overview")]).toEqual(expect.arrayContaining(["flash_up", "flash_split_candidate_percent", "flash_split_info", "flash_requests_total", "flash_request_duration_seconds_bucket"]));
    expect(exprsOf("FLASH Overview")).toMatch(/status_class="5xx"/);
    expect(exprsOf("FLASH Overview")).toMatch(/histogram_quantile\(0\.99, sum by \(version, le\)/);
    // API Performance: latency percentiles, throughput, cache hit rate.
    for (const q of ["0.5", "0.95", "0.99"]) expect(exprsOf("FLASH API Performance")).toContain(`histogram_quantile(${q}, sum by (version, le)`);
    expect([...metricsOf("FLASH API Performance")]).toEqual(expect.arrayContaining(["flash_requests_total", "flash_cache_requests_total"]));
    // Model Metrics: prediction distribution and std per version, shadow differences.
    expect([...metricsOf("FLASH Model Metrics")]).toEqual(
      expect.arrayContaining(["flash_prediction_probability_bucket", "flash_prediction_std", "flash_shadow_abs_diff_bucket", "flash_shadow_verdict_changes_total"]),
    );
    // Business Metrics: predictions by verdict, confidence levels.
    expect([...metricsOf("FLASH Business Metrics")]).toEqual(expect.arrayContaining(["flash_verdicts_total", "flash_prediction_probability_bucket"]));
  });

  describe("with promtool", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "flash-dashboards-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("are valid PromQL once Grafana's variables are filled in (promtool check rules)", () => {
      const rules = queries.map((q, i) => ({ record: `dashboard_query:${i}`, expr: interpolate(q.expr) }));
      writeFileSync(join(dir, "queries.yml"), stringify({ groups: [{ name: "dashboard-queries", rules }] }));
      const result = runPromtool(["check", "rules", "queries.yml"], { cwd: dir });
      expect(result.output, result.output).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    });

    it("give the right numbers on known series (promtool test rules)", () => {
      // Rates are whole numbers per second (increments are multiples of 15 at a 15 s interval)
      // and the expected ratios are exact binary fractions, so promtool's exact compare holds.
      const series = (name: string, labels: Record<string, string>, perScrape: number) => ({
        series: `${name}{${Object.entries({ environment: "local", ...labels }).map(([k, v]) => `${k}="${v}"`).join(",")}}`,
        values: `0+${perScrape}x100`,
      });
      const green = { version: "green" };
      // Predictions per 15 s at or below each probability bound: 30 at <= 0.2, 45 at <= 0.35,
      // 90 at <= 0.65, 105 at <= 0.8, 120 in all.
      const cumulative: [string, number][] = [["0.2", 30], ["0.35", 45], ["0.65", 90], ["0.8", 105], ["+Inf", 120]];
      const input = [
        series("flash_requests_total", { ...green, status_class: "2xx" }, 1350),
        series("flash_requests_total", { ...green, status_class: "5xx" }, 150),
        series("flash_requests_total", { version: "blue", status_class: "2xx" }, 1500),
        series("flash_request_duration_seconds_bucket", { ...green, le: "0.25" }, 0),
        series("flash_request_duration_seconds_bucket", { ...green, le: "0.5" }, 15),
        series("flash_request_duration_seconds_bucket", { ...green, le: "+Inf" }, 15),
        series("flash_cache_requests_total", { ...green, result: "hit" }, 60),
        series("flash_cache_requests_total", { ...green, result: "miss" }, 30),
        series("flash_cache_requests_total", { ...green, result: "bypass" }, 30),
        ...cumulative.map(([le, n]) => series("flash_prediction_probability_bucket", { ...green, le }, n)),
        series("flash_prediction_probability_count", green, 120),
        ...(
          [
            ["strong_pass", 15],
            ["pass", 15],
            ["conditional_pass", 30],
            ["conditional_fail", 30],
            ["fail", 15],
            ["strong_fail", 15],
          ] as const
        ).map(([verdict, n]) => series("flash_verdicts_total", { ...green, verdict }, n)),
      ];
      const expect1 = (expr: string, value: number, labels = "{}") => ({ expr: interpolate(expr), eval_time: "20m", exp_samples: [{ labels, value }] });
      const tests = [
        // blue and green each answer 100 requests a second.
        {
          expr: interpolate(findQuery("FLASH Overview", "Traffic split")),
          eval_time: "20m",
          exp_samples: [
            { labels: '{version="blue"}', value: 0.5 },
            { labels: '{version="green"}', value: 0.5 },
          ],
        },
        // 150 of green's 1500 requests a scrape answered 5xx; blue has no 5xx series, so no ratio.
        expect1(findQuery("FLASH Overview", "Error rate (5xx) per version"), 0.1, '{version="green"}'),
        // Every request between 0.25 s and 0.5 s: the median is the middle of the bucket.
        expect1(findQuery("FLASH API Performance", "Latency percentiles", "A"), 0.375, '{version="green"}'),
        // 4 hits in 8 answers (misses and bypasses count as not from cache).
        expect1(findQuery("FLASH API Performance", "Cache hit rate"), 0.5, '{version="green"}'),
        expect1(findQuery("FLASH API Performance", "Cache hit rate over range"), 0.5, '{version="green"}'),
        // Confidence bands: decisive (30 + 120 - 105) / 120, leaning (45 - 30 + 105 - 90) / 120,
        // uncertain (90 - 45) / 120.
        expect1(findQuery("FLASH Business Metrics", "Decisive predictions"), 0.375),
        expect1(findQuery("FLASH Business Metrics", "Confidence levels", "A"), 0.375),
        expect1(findQuery("FLASH Business Metrics", "Confidence levels", "B"), 0.25),
        expect1(findQuery("FLASH Business Metrics", "Confidence levels", "C"), 0.375),
        // strong_pass + pass + conditional_pass = 60 of 120.
        expect1(findQuery("FLASH Business Metrics", "Pass share"), 0.5, '{version="green"}'),
      ];
      writeFileSync(join(dir, "empty-rules.yml"), "groups: []\n");
      writeFileSync(
        join(dir, "dashboards.test.yml"),
        stringify({ rule_files: ["empty-rules.yml"], evaluation_interval: "15s", tests: [{ interval: "15s", input_series: input, promql_expr_test: tests }] }),
      );
      const result = runPromtool(["test", "rules", "dashboards.test.yml"], { cwd: dir });
      expect(result.ok, result.output).toBe(true);
    });
  });
});

