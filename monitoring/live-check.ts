/**
 * Checks a real /metrics page against the contract and the dashboards: every family the
 * contract names is printed with its type, and every metric, label value and histogram bound a
 * dashboard query selects is on the page. Pure: give it the page's text.
 */
import { parseExposition } from "./exposition";
import type { Dashboard } from "./grafana/flash-dashboards";
import { compareWithContract } from "./metric-names";
import { vectorSelectors } from "./promql";

export interface LiveCheckResult {
  /** Contract families the page does not print, or prints with another type. */
  readonly contract: string[];
  /** Dashboard selectors whose metric, or whose literal label value, the page does not have. */
  readonly dashboards: string[];
  /** `flash_` families the page prints that the contract does not name (allowed, reported). */
  readonly extra: string[];
}

export function checkPageAgainstDashboards(page: string, dashboards: readonly Dashboard[]): LiveCheckResult {
  const exposition = parseExposition(page);
  const diff = compareWithContract(exposition.types);
  const contract = [...diff.missing.map((name) => `${name}: not on the page`), ...diff.wrongType];
  const seriesOnPage = new Set(exposition.samples.map((s) => s.name));
  const problems = new Set<string>();
  for (const dashboard of dashboards) {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const selector of vectorSelectors(target.expr)) {
          const where = `${dashboard.title} / ${panel.title} / ${target.refId}`;
          if (!selector.metric || !seriesOnPage.has(selector.metric)) {
            problems.add(`${where}: ${selector.metric ?? "(no metric name)"} is not on the page`);
            continue;
          }
          for (const m of selector.matchers) {
            // Literal equality matchers on labels the page prints must name a value it prints
            // (le="0.8" must be a real bucket bound). environment/job/instance come from Prometheus.
            if (m.op !== "=" || m.value.includes("$")) continue;
            const values = exposition.labelValues(selector.metric, m.label);
            if (values.size > 0 && !values.has(m.value)) {
              problems.add(`${where}: ${selector.metric}{${m.label}="${m.value}"} is not on the page (it has ${[...values].join(", ")})`);
            }
          }
        }
      }
    }
  }
  return { contract, dashboards: [...problems], extra: diff.unexpected };
}
