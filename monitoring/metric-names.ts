/**
 * The router's /metrics contract (docs/monitoring.md) as data: metric-names.json
 * is the one list; this module reads it and answers the questions the dashboards' and the
 * exporter's checks ask. Pure: no I/O, usable from Node and from Workers.
 */
import catalog from "./metric-names.json";

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  /** Label name -> its allowed values, or null when the values are open. */
  readonly labels: Readonly<Record<string, readonly string[] | null>>;
}

export const FLASH_METRICS: readonly MetricFamily[] = catalog.metrics as MetricFamily[];

/**
 * Labels Prometheus adds to every scraped series (job, instance) and the target label our
 * prometheus.yml sets (environment). Queries may match on them though /metrics never prints them.
 */
export const TARGET_LABELS: readonly string[] = ["job", "instance", "environment"];

/** The series names a family prints: a histogram prints _bucket (with `le`), _sum and _count. */
export function seriesNamesOf(family: MetricFamily): string[] {
  return family.type === "histogram" ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`] : [family.name];
}

const familyBySeries = new Map<string, MetricFamily>(
  FLASH_METRICS.flatMap((family) => seriesNamesOf(family).map((series) => [series, family] as const)),
);

/** Every series name /metrics prints, e.g. flash_requests_total, flash_request_duration_seconds_bucket. */
export const FLASH_SERIES_NAMES: ReadonlySet<string> = new Set(familyBySeries.keys());

/** The family a series name belongs to, or undefined when the contract has no such series. */
export function familyOfSeries(series: string): MetricFamily | undefined {
  return familyBySeries.get(series);
}

/** Labels a series may carry: the family's own, `le` on histogram buckets. */
export function labelsOfSeries(series: string): string[] {
  const family = familyOfSeries(series);
  if (!family) return [];
  const own = Object.keys(family.labels);
  return series.endsWith("_bucket") && family.type === "histogram" ? [...own, "le"] : own;
}

export interface ContractDiff {
  /** Families in the contract that the exposition does not print. */
  readonly missing: string[];
  /** Families the exposition prints that the contract does not name. */
  readonly unexpected: string[];
  /** Families printed with another type than the contract's. */
  readonly wrongType: string[];
}

/**
 * Compares the families of a /metrics page (name -> TYPE line) with the contract: what the
 * router engineer's exporter test and the live monitoring test both ask.
 */
export function compareWithContract(exposed: ReadonlyMap<string, string>): ContractDiff {
  const missing: string[] = [];
  const wrongType: string[] = [];
  for (const family of FLASH_METRICS) {
    const type = exposed.get(family.name);
    if (type === undefined) missing.push(family.name);
    else if (type !== family.type) wrongType.push(`${family.name}: ${type}, contract says ${family.type}`);
  }
  const known = new Set(FLASH_METRICS.map((f) => f.name));
  const unexpected = [...exposed.keys()].filter((name) => name.startsWith("flash_") && !known.has(name));
  return { missing, unexpected, wrongType };
}
