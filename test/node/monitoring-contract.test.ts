/**
 * The pieces the monitoring checks stand on: the /metrics contract list (monitoring/metric-names.json), the
 * PromQL scanner that reads metric names out of queries, the exposition parser, and the
 * helpers of `npm run monitoring:prometheus`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareWithContract, familyOfSeries, FLASH_METRICS, FLASH_SERIES_NAMES, labelsOfSeries } from "../../monitoring/metric-names";
import { metricNames, PromqlScanError, vectorSelectors } from "../../monitoring/promql";
import { parseExposition } from "../../monitoring/exposition";
import { buildDashboards } from "../../monitoring/grafana/flash-dashboards";
import { checkPageAgainstDashboards } from "../../monitoring/live-check";
import { prometheusArgs, readDotenvValue, resolveLocalAdminToken } from "../../monitoring/start-prometheus";

describe("metric-names.json", () => {
  it("holds each family once, with the version label on every per-version family", () => {
    const names = FLASH_METRICS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of FLASH_METRICS.filter((f) => !f.name.startsWith("flash_split_"))) expect(Object.keys(f.labels), f.name).toContain("version");
    for (const f of FLASH_METRICS.filter((f) => f.type === "counter")) expect(f.name, "counters end in _total").toMatch(/_total$/);
  });

  it("expands histograms into their _bucket, _sum and _count series", () => {
    expect(FLASH_SERIES_NAMES.has("flash_request_duration_seconds_bucket")).toBe(true);
    expect(FLASH_SERIES_NAMES.has("flash_request_duration_seconds_count")).toBe(true);
    expect(FLASH_SERIES_NAMES.has("flash_request_duration_seconds")).toBe(false);
    expect(familyOfSeries("flash_shadow_abs_diff_sum")?.name).toBe("flash_shadow_abs_diff");
    expect(labelsOfSeries("flash_prediction_probability_bucket")).toEqual(["version", "le"]);
    expect(labelsOfSeries("flash_prediction_probability_count")).toEqual(["version"]);
  });

  it("compares a page's families with the contract", () => {
    const exposed = new Map(FLASH_METRICS.map((f) => [f.name, f.type as string]));
    expect(compareWithContract(exposed)).toEqual({ missing: [], unexpected: [], wrongType: [] });
    exposed.delete("flash_up");
    exposed.set("flash_requests_total", "gauge");
    exposed.set("flash_extra_total", "counter");
    exposed.set("process_cpu_seconds_total", "counter");
    expect(compareWithContract(exposed)).toEqual({
      missing: ["flash_up"],
      unexpected: ["flash_extra_total"],
      wrongType: ["flash_requests_total: gauge, contract says counter"],
    });
  });
});

describe("PromQL scanner", () => {
  it("finds metric names and matchers through aggregations, functions and binary operators", () => {
    expect(
      vectorSelectors('histogram_quantile(0.99, sum by (version, le) (rate(flash_request_duration_seconds_bucket{version=~"$version", le!="+Inf"}[5m])))'),
    ).toEqual([
      {
        metric: "flash_request_duration_seconds_bucket",
        matchers: [
          { label: "version", op: "=~", value: "$version" },
          { label: "le", op: "!=", value: "+Inf" },
        ],
      },
    ]);
    expect(metricNames("flash_prediction_std < 0.05 and on (environment, version) sum without (job) (increase(flash_prediction_probability_count[5m])) >= 20")).toEqual([
      "flash_prediction_std",
      "flash_prediction_probability_count",
    ]);
    expect(metricNames("sum(rate(a[1m])) by (version) / ignoring (x) group_left (y) b offset 5m unless bool c @ start()")).toEqual(["a", "b", "c"]);
  });

  it("does not take strings, durations, numbers, keywords or Grafana variables for metrics", () => {
    expect(metricNames('label_replace(up{job="a{b}"}, "dst", "$1", "src", "(.*)")')).toEqual(["up"]);
    expect(metricNames("rate(x[$__rate_interval]) * 1e3 + 0x1f - inf + nan")).toEqual(["x"]);
    expect(metricNames("increase(y[${__range}]) / ${scale:raw}")).toEqual(["y"]);
    expect(metricNames("version:flash_requests:error_ratio_rate1m > 0.02")).toEqual(["version:flash_requests:error_ratio_rate1m"]);
    expect(vectorSelectors('{__name__=~"flash_.*"}')).toEqual([{ metric: null, matchers: [{ label: "__name__", op: "=~", value: "flash_.*" }] }]);
  });

  it("reports what it cannot read", () => {
    expect(() => vectorSelectors('x{version="blue}')).toThrow(PromqlScanError);
    expect(() => vectorSelectors("x{version}")).toThrow(/matcher operator/);
    expect(() => vectorSelectors("rate(x[5m)")).toThrow(/unbalanced/);
  });
});

describe("exposition parser", () => {
  const page = [
    "# HELP flash_requests_total Requests.",
    "# TYPE flash_requests_total counter",
    'flash_requests_total{version="blue",status_class="2xx"} 12',
    'flash_requests_total{version="green",status_class="5xx"} 3 1700000000000',
    "# TYPE flash_request_duration_seconds histogram",
    'flash_request_duration_seconds_bucket{version="blue",le="0.3"} 10',
    'flash_request_duration_seconds_bucket{version="blue",le="+Inf"} 12',
    'flash_request_duration_seconds_sum{version="blue"} 1.5e-1',
    'flash_request_duration_seconds_count{version="blue"} 12',
    "# TYPE flash_split_info gauge",
    'flash_split_info{stable="blue",candidate="green",note="a \\"quoted\\" \\\\ value"} 1',
    "flash_split_revision NaN",
    "",
  ].join("\n");

  it("reads families with their types, and samples with labels and values", () => {
    const parsed = parseExposition(page);
    expect(parsed.types).toEqual(
      new Map([
        ["flash_requests_total", "counter"],
        ["flash_request_duration_seconds", "histogram"],
        ["flash_split_info", "gauge"],
      ]),
    );
    expect(parsed.samples).toHaveLength(8);
    expect(parsed.samples[1]).toEqual({ name: "flash_requests_total", labels: { version: "green", status_class: "5xx" }, value: 3 });
    expect(parsed.samples[4]).toEqual({ name: "flash_request_duration_seconds_sum", labels: { version: "blue" }, value: 0.15 });
    expect(parsed.samples[6]!.labels.note).toBe('a "quoted" \\ value');
    expect(parsed.samples[7]!.value).toBeNaN();
    expect(parsed.labelValues("flash_request_duration_seconds_bucket", "le")).toEqual(new Set(["0.3", "+Inf"]));
  });

  it("rejects a line that is not a sample", () => {
    expect(() => parseExposition("flash_up{version=blue} 1\n")).toThrow(/line 1/);
    expect(() => parseExposition("flash_up one\n")).toThrow(/line 1/);
  });
});

describe("npm run monitoring:prometheus", () => {
  it("reads ADMIN_TOKEN from dotenv text: quotes, export, comments", () => {
    expect(readDotenvValue('FLASH_DEV_API_KEY=abc\nADMIN_TOKEN="dev admin"\n', "ADMIN_TOKEN")).toBe("dev admin");
    expect(readDotenvValue("export ADMIN_TOKEN=tok-1 # dev only\n", "ADMIN_TOKEN")).toBe("tok-1");
    expect(readDotenvValue("# ADMIN_TOKEN=commented\nADMIN_TOKENX=no\n", "ADMIN_TOKEN")).toBeNull();
  });

  it("takes the token from ADMIN_TOKEN, else .dev.vars, else .dev.vars.example, and says what to do when none has it", () => {
    const repo = mkdtempSync(join(tmpdir(), "flash-token-"));
    try {
      expect(() => resolveLocalAdminToken({}, repo)).toThrow(/set ADMIN_TOKEN, or put ADMIN_TOKEN=\.\.\. in \.dev\.vars/);
      writeFileSync(join(repo, ".dev.vars.example"), "ADMIN_TOKEN=from-example\n");
      expect(resolveLocalAdminToken({}, repo)).toEqual({ token: "from-example", source: ".dev.vars.example" });
      writeFileSync(join(repo, ".dev.vars"), "ADMIN_TOKEN=from-dev-vars\n");
      expect(resolveLocalAdminToken({}, repo)).toEqual({ token: "from-dev-vars", source: ".dev.vars" });
      expect(resolveLocalAdminToken({ ADMIN_TOKEN: "from-env" }, repo)).toEqual({ token: "from-env", source: "ADMIN_TOKEN" });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("runs Prometheus on the committed config, on loopback, with reloads enabled", () => {
    expect(prometheusArgs({ configFile: "/r/monitoring/prometheus/prometheus.yml", dataDir: "/tmp/p", port: 9090 })).toEqual([
      "--config.file=/r/monitoring/prometheus/prometheus.yml",
      "--storage.tsdb.path=/tmp/p",
      "--web.listen-address=127.0.0.1:9090",
      "--web.enable-lifecycle",
    ]);
  });
});

describe("live check of a /metrics page against the dashboards", () => {
  /** A page in the router's format with every contract family, every enumerated label value. */
  function contractPage(drop: (line: string) => boolean = () => false): string {
    const lines: string[] = [];
    const combos = (labels: Record<string, readonly string[] | null>) =>
      Object.entries(labels).reduce<Record<string, string>[]>(
        (acc, [label, values]) => acc.flatMap((c) => (values ?? ["x"]).map((v) => ({ ...c, [label]: v }))),
        [{}],
      );
    const render = (name: string, labels: Record<string, string>, value: number) =>
      `${name}${Object.keys(labels).length ? `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}` : ""} ${value}`;
    const bounds = Array.from({ length: 20 }, (_, i) => String(Number(((i + 1) / 20).toPrecision(15))));
    for (const family of FLASH_METRICS) {
      lines.push(`# TYPE ${family.name} ${family.type}`);
      for (const labels of combos(family.labels)) {
        if (family.type !== "histogram") lines.push(render(family.name, labels, 1));
        else {
          for (const le of [...bounds, "+Inf"]) lines.push(render(`${family.name}_bucket`, { ...labels, le }, 1));
          lines.push(render(`${family.name}_sum`, labels, 1), render(`${family.name}_count`, labels, 1));
        }
      }
    }
    return `${lines.filter((l) => !drop(l)).join("\n")}\n`;
  }
  const dashboards = Object.values(buildDashboards());

  it("passes a page that prints the whole contract", () => {
    expect(checkPageAgainstDashboards(contractPage(), dashboards)).toEqual({ contract: [], dashboards: [], extra: [] });
  });

  it("names a missing family, a missing bucket bound and an extra family", () => {
    const page = contractPage((line) => line.includes("flash_split_revision") || /flash_prediction_probability_bucket\{.*le="0\.8"/.test(line));
    const result = checkPageAgainstDashboards(`${page}# TYPE flash_split_shadow_percent gauge\nflash_split_shadow_percent 0\n`, dashboards);
    expect(result.contract).toEqual(["flash_split_revision: not on the page"]);
    expect(result.dashboards).toEqual(
      expect.arrayContaining([
        "FLASH Overview / Split revision / A: flash_split_revision is not on the page",
        expect.stringMatching(/^FLASH Business Metrics \/ Decisive predictions \/ A: flash_prediction_probability_bucket\{le="0\.8"\} is not on the page/),
      ]),
    );
    expect(result.extra).toEqual(["flash_split_shadow_percent"]);
  });
});
