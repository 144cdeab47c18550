/**
 * The Prometheus side of monitoring/: promtool checks the alert rules and runs their unit tests
 * (monitoring/prometheus/alerts.test.yml) and validates prometheus.yml. promtool is required:
 * without it these tests fail with the install command, they do not skip.
 */
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FLASH_SERIES_NAMES, labelsOfSeries, TARGET_LABELS } from "../../monitoring/metric-names";
import { vectorSelectors } from "../../monitoring/promql";
import { PromtoolMissingError, promtoolVersion, runPromtool, runPromtoolAsync, type PromtoolResult } from "../../monitoring/promtool";

const PROMETHEUS_DIR = fileURLToPath(new URL("../../monitoring/prometheus", import.meta.url));

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface ExpAlert {
  exp_labels: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface AlertTest {
  alertname: string;
  eval_time: string;
  exp_alerts: ExpAlert[];
}
interface TestGroup {
  name: string;
  input_series: { series: string; values: string }[];
  alert_rule_test?: AlertTest[];
}

const rules: Rule[] = (parse(readFileSync(join(PROMETHEUS_DIR, "alerts.yml"), "utf8")).groups as { rules: Rule[] }[]).flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const testGroups: TestGroup[] = parse(readFileSync(join(PROMETHEUS_DIR, "alerts.test.yml"), "utf8")).tests;

/** The anchors GitHub gives a Markdown file's headings ("## 7. Immediate rollback" -> 7-immediate-rollback). */
function headingAnchors(repoPath: string): string[] {
  const text = readFileSync(fileURLToPath(new URL(`../../${repoPath}`, import.meta.url)), "utf8");
  return [...text.matchAll(/^#{1,6} +(.+?) *#*$/gm)].map((m) =>
    m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-"),
  );
}

/** Fails with promtool's own output, so a broken rule or test explains itself. */
function expectPromtool(args: string[], cwd = PROMETHEUS_DIR): string {
  const result = runPromtool(args, { cwd });
  if (!result.ok) throw new Error(`promtool ${args.join(" ")} failed (exit ${result.status}):\n${result.output}`);
  return result.output;
}

describe("promtool", () => {
  it("is installed (Debian package prometheus)", () => {
    expect(promtoolVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("says how to install it when it is missing, instead of skipping", () => {
    const run = () => runPromtool(["--version"], { env: { PATH: "/nonexistent" } });
    expect(run).toThrow(PromtoolMissingError);
    expect(run).toThrow(/apt-get install prometheus/);
  });
});

describe("alerts.yml", () => {
  it("passes promtool check rules", () => {
    expect(expectPromtool(["check", "rules", "alerts.yml"])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("passes its unit tests (promtool test rules alerts.test.yml)", () => {
    expect(expectPromtool(["test", "rules", "alerts.test.yml"])).toMatch(/SUCCESS/);
  });

  it("has the v1 guide's alerts with their thresholds, durations and severities", () => {
    const summary = alerts.map((a) => `${a.alert} ${a.labels?.severity} for ${a.for}: ${a.expr.trim().replace(/\s+/g, " ")}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        "FlashHighLatencyP99 warning for 5m: version:flash_request_duration_seconds:p99_rate1m > 0.3",
        "FlashHighLatencyP99 page for 2m: version:flash_request_duration_seconds:p99_rate1m > 0.5",
        "FlashHighErrorRate warning for 5m: version:flash_requests:error_ratio_rate1m > 0.02",
        "FlashHighErrorRate page for 1m: version:flash_requests:error_ratio_rate1m > 0.05",
        expect.stringMatching(/^FlashNarrowPredictionRange warning for 10m: flash_prediction_std < 0.05 and on \(environment, version\) /),
        "FlashLowCacheHitRate warning for 15m: version:flash_cache:hit_ratio_rate5m < 0.7",
      ]),
    );
  });

  it("keeps the version label through every recording rule and alert", () => {
    for (const rule of rules.filter((r) => r.record)) {
      // Every aggregation in a recording rule keeps `version`.
      const groupings = [...rule.expr.matchAll(/\bby \(([^)]*)\)/g)].map((m) => m[1]!);
      expect(groupings.length, rule.record).toBeGreaterThan(0);
      for (const by of groupings) expect(by.split(/,\s*/), `${rule.record}: by (${by})`).toContain("version");
    }
  });

  it("labels every alert with a severity and explains it with a summary, the value and a runbook link that exists", () => {
    for (const alert of alerts) {
      const name = `${alert.alert} (${alert.labels?.severity})`;
      expect(["warning", "page"], name).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary, name).toBeTruthy();
      expect(alert.annotations?.runbook_url, name).toMatch(/^(docs\/runbook\.md|monitoring\/README\.md)#[a-z0-9-]+$/);
      expect(headingAnchors(alert.annotations!.runbook_url!.split("#")[0]!), `${name}: ${alert.annotations?.runbook_url}`).toContain(
        alert.annotations!.runbook_url!.split("#")[1],
      );
      if (alert.alert !== "FlashMetricsScrapeFailing" && alert.alert !== "FlashVersionDown") {
        expect(alert.annotations?.description, name).toMatch(/\{\{ \$value/);
      }
    }
  });

  it("names only metrics the router exports (metric-names.json) or rules record", () => {
    for (const rule of rules) {
      for (const selector of vectorSelectors(rule.expr)) {
        const metric = selector.metric ?? "";
        if (recorded.has(metric) || metric === "up") continue;
        expect(FLASH_SERIES_NAMES.has(metric), `${rule.alert ?? rule.record}: ${metric}`).toBe(true);
        for (const m of selector.matchers) expect([...labelsOfSeries(metric), ...TARGET_LABELS], `${metric}{${m.label}}`).toContain(m.label);
      }
    }
  });

  it("tests every alert and severity both firing and quiet, and firing for one version while the other is quiet", () => {
    const fires = new Set<string>();
    const quiet = new Set<string>();
    const alone = new Set<string>();
    for (const group of testGroups) {
      const versionsInInput = new Set(group.input_series.flatMap((s) => /version="(\w+)"/.exec(s.series)?.[1] ?? []));
      for (const t of group.alert_rule_test ?? []) {
        const severities = new Set(alerts.filter((a) => a.alert === t.alertname).map((a) => a.labels!.severity!));
        for (const severity of severities) {
          const firing = t.exp_alerts.filter((e) => e.exp_labels.severity === severity);
          const key = `${t.alertname}/${severity}`;
          if (firing.length === 0) quiet.add(key);
          else fires.add(key);
          // Fires for some versions while another version with input series stays quiet.
          const firingVersions = new Set(firing.map((e) => e.exp_labels.version));
          if (firing.length > 0 && [...versionsInInput].some((v) => !firingVersions.has(v))) alone.add(key);
        }
      }
    }
    const expected = alerts.map((a) => `${a.alert}/${a.labels!.severity}`);
    for (const key of expected) {
      expect(fires, `${key} is never shown firing`).toContain(key);
      expect(quiet, `${key} is never shown quiet`).toContain(key);
    }
    for (const key of expected.filter((k) => !k.startsWith("FlashMetricsScrapeFailing"))) {
      expect(alone, `${key} is never shown firing for one version while the other stays quiet`).toContain(key);
    }
  });
});

describe("alerts.test.yml catches broken rules", () => {
  // Each change below breaks a rule in a way that matters; the unit tests must notice every one.
  const MUTATIONS: [string, string, string][] = [
    ["latency warning fires at exactly 300 ms", "p99_rate1m > 0.3", "p99_rate1m >= 0.3"],
    ["latency page fires at exactly 500 ms", "p99_rate1m > 0.5", "p99_rate1m >= 0.5"],
    ["error warning fires at exactly 2%", "error_ratio_rate1m > 0.02", "error_ratio_rate1m >= 0.02"],
    ["error page fires at exactly 5%", "error_ratio_rate1m > 0.05", "error_ratio_rate1m >= 0.05"],
    ["calibration fires at exactly 0.05", "flash_prediction_std < 0.05", "flash_prediction_std <= 0.05"],
    ["cache fires at exactly 70%", "hit_ratio_rate5m < 0.7", "hit_ratio_rate5m <= 0.7"],
    ["calibration without its traffic guard", "increase5m >= 20", "increase5m >= 0"],
    ["page after 2 minutes instead of 1", "for: 1m", "for: 2m"],
    ["calibration after 9 minutes instead of 10", "for: 10m", "for: 9m"],
    ["cache after 14 minutes instead of 15", "for: 15m", "for: 14m"],
    ["latency of blue and green added together", "sum by (environment, version, le)", "sum by (environment, le)"],
    ["environments added together", "sum by (environment, version) (rate(flash_requests_total{status_class=\"5xx\"}[1m]))\n          /\n          sum by (environment, version) (rate(flash_requests_total[1m]))", "sum by (version) (rate(flash_requests_total{status_class=\"5xx\"}[1m]))\n          /\n          sum by (version) (rate(flash_requests_total[1m]))"],
    ["no hit series read as no data", "            or\n            sum by (environment, version) (rate(flash_cache_requests_total[5m])) * 0\n", ""],
    ["bypass counted as a hit", 'result="hit"}', 'result=~"hit|bypass"}'],
    ["idle version reported down", "and on (environment, version)\n          sum by (environment, version) (rate(flash_requests_total[5m])) > 0", ""],
  ];
  const source = readFileSync(join(PROMETHEUS_DIR, "alerts.yml"), "utf8");
  const testFile = readFileSync(join(PROMETHEUS_DIR, "alerts.test.yml"), "utf8");
  let dir: string;
  const results = new Map<string, PromtoolResult>();

  // Every mutant is tested up front, two at a time (promtool is CPU-bound; the machine has 2 cores).
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "flash-alert-mutations-"));
    const queue = MUTATIONS.filter(([, from]) => source.includes(from));
    const work = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [what, from, to] = next;
        const sub = mkdtempSync(join(dir, "m-"));
        writeFileSync(join(sub, "alerts.yml"), source.replace(from, to));
        writeFileSync(join(sub, "alerts.test.yml"), testFile);
        results.set(what, await runPromtoolAsync(["test", "rules", "alerts.test.yml"], { cwd: sub }));
      }
    };
    await Promise.all([work(), work()]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(MUTATIONS)("%s", (what, from) => {
    expect(source, "the mutation no longer applies: update it with the rule").toContain(from);
    const result = results.get(what)!;
    expect(result.output).toMatch(/FAILED/);
    expect(result.ok).toBe(false);
  });
});

describe("prometheus.yml", () => {
  let dir: string;

  beforeAll(() => {
    // promtool check config also checks that the token files exist: check a copy with
    // placeholder tokens instead of touching monitoring/prometheus/secrets/.
    dir = mkdtempSync(join(tmpdir(), "flash-prometheus-config-"));
    for (const file of ["prometheus.yml", "alerts.yml", "targets"]) cpSync(join(PROMETHEUS_DIR, file), join(dir, file), { recursive: true });
    mkdirSync(join(dir, "secrets"));
    writeFileSync(join(dir, "secrets/admin-token.local"), "placeholder-local-token");
    writeFileSync(join(dir, "secrets/admin-token.production"), "placeholder-production-token");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes promtool check config, with its rule file", () => {
    const output = expectPromtool(["check", "config", "prometheus.yml"], dir);
    expect(output).toMatch(/prometheus\.yml is valid prometheus config file syntax/);
    expect(output).toMatch(/alerts\.yml\s+SUCCESS: \d+ rules found/);
  });

  it("fails promtool check config when a token file is missing (the check is real)", () => {
    rmSync(join(dir, "secrets/admin-token.local"));
    try {
      const result = runPromtool(["check", "config", "prometheus.yml"], { cwd: dir });
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/admin-token\.local/);
    } finally {
      writeFileSync(join(dir, "secrets/admin-token.local"), "placeholder-local-token");
    }
  });

  it("scrapes the local router and production over HTTPS with bearer credentials from files", () => {
    const config = parse(readFileSync(join(PROMETHEUS_DIR, "prometheus.yml"), "utf8"));
    const jobs = Object.fromEntries(config.scrape_configs.map((j: { job_name: string }) => [j.job_name, j]));
    expect(jobs["flash-router-local"]).toMatchObject({
      metrics_path: "/metrics",
      scheme: "http",
      authorization: { type: "Bearer", credentials_file: "secrets/admin-token.local" },
      static_configs: [{ targets: ["localhost:8787"], labels: { environment: "local" } }],
    });
    expect(jobs["flash-router-production"]).toMatchObject({
      metrics_path: "/metrics",
      scheme: "https",
      authorization: { type: "Bearer", credentials_file: "secrets/admin-token.production" },
      file_sd_configs: [{ files: ["targets/production.yml"] }],
    });
    expect(config.rule_files).toEqual(["alerts.yml"]);
    // The alerts' 1-minute windows need at least 4 samples.
    expect(config.global.scrape_interval).toBe("15s");
  });
});
