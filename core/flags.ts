/**
 * FLASH's red and green flags: plain rules investors read at a glance, reported beside the
 * model's probability (they do not change it; the model already sees the same values). The
 * thresholds are FLASH v1's, so a flag means the same thing to clients as it always did.
 */

import type { FeatureValues } from "./encoding.js";

export type FlagKind = "red" | "green";

export interface Flag {
  readonly type: FlagKind;
  readonly code: string;
  readonly feature: string;
  readonly value: number | string | boolean;
  readonly message: string;
}

interface FlagRule {
  readonly type: FlagKind;
  readonly code: string;
  readonly feature: string;
  readonly test: (values: FeatureValues) => boolean;
  readonly message: (values: FeatureValues) => string;
}

const num = (values: FeatureValues, name: string): number | undefined => {
  const v = values[name];
  return typeof v === "number" ? v : undefined;
};

/** Revenue below which a series A or B company has "little revenue" (USD/year, run rate). */
export const LITTLE_REVENUE_USD: Readonly<Record<"series_a" | "series_b", number>> = {
  series_a: 1_000_000,
  series_b: 3_000_000,
};

// One formatter for the isolate: toLocaleString builds a new one on every call (microseconds each).
const GROUPED = new Intl.NumberFormat("en-US");
const usd = (v: number): string => `$${v >= 1e6 ? `${(v / 1e6).toFixed(v % 1e6 === 0 ? 0 : 1)}M` : GROUPED.format(v)}`;

export const FLAG_RULES: readonly FlagRule[] = [
  {
    type: "red",
    code: "short_runway",
    feature: "runway_months",
    test: (v) => (num(v, "runway_months") ?? Infinity) < 6,
    message: (v) => `Runway is ${num(v, "runway_months")} months, under 6: the company must raise or cut soon.`,
  },
  {
    type: "red",
    code: "high_burn_multiple",
    feature: "burn_multiple",
    test: (v) => (num(v, "burn_multiple") ?? 0) > 10,
    message: (v) => `Burn multiple is ${num(v, "burn_multiple")}, over 10: growth costs far more than it brings in.`,
  },
  {
    type: "red",
    code: "customer_concentration",
    feature: "customer_concentration_percent",
    test: (v) => (num(v, "customer_concentration_percent") ?? 0) > 50,
    message: (v) =>
      `The largest customer brings ${num(v, "customer_concentration_percent")}% of revenue, over 50%: losing it would be critical.`,
  },
  {
    type: "red",
    code: "little_revenue_for_stage",
    feature: "annual_revenue_run_rate",
    test: (v) => {
      const stage = v.funding_stage;
      const revenue = num(v, "annual_revenue_run_rate");
      if (revenue === undefined || (stage !== "series_a" && stage !== "series_b")) return false;
      return revenue < LITTLE_REVENUE_USD[stage];
    },
    message: (v) => {
      const stage = v.funding_stage as "series_a" | "series_b";
      return `Revenue run rate is ${usd(num(v, "annual_revenue_run_rate")!)} at ${stage === "series_a" ? "series A" : "series B"}, under ${usd(LITTLE_REVENUE_USD[stage])}.`;
    },
  },
  {
    type: "green",
    code: "hypergrowth",
    feature: "revenue_growth_rate_percent",
    test: (v) => (num(v, "revenue_growth_rate_percent") ?? 0) > 200,
    message: (v) => `Revenue grows ${num(v, "revenue_growth_rate_percent")}% a year, over 200%.`,
  },
  {
    type: "green",
    code: "efficient_burn",
    feature: "burn_multiple",
    test: (v) => (num(v, "burn_multiple") ?? Infinity) < 1.5,
    message: (v) => `Burn multiple is ${num(v, "burn_multiple")}, under 1.5: growth is capital-efficient.`,
  },
  {
    type: "green",
    code: "strong_net_retention",
    feature: "net_dollar_retention_percent",
    test: (v) => (num(v, "net_dollar_retention_percent") ?? 0) > 120,
    message: (v) => `Net dollar retention is ${num(v, "net_dollar_retention_percent")}%, over 120%: customers expand.`,
  },
  {
    type: "green",
    code: "prior_exits",
    feature: "prior_successful_exits_count",
    test: (v) => (num(v, "prior_successful_exits_count") ?? 0) > 0,
    message: (v) => {
      const n = num(v, "prior_successful_exits_count")!;
      return `The founders have ${n} successful exit${n === 1 ? "" : "s"} behind them.`;
    },
  },
];

/** The flags that apply to validated features (missing values raise no flag). */
export function computeFlags(values: FeatureValues): Flag[] {
  const flags: Flag[] = [];
  for (const rule of FLAG_RULES) {
    if (!rule.test(values)) continue;
    flags.push({
      type: rule.type,
      code: rule.code,
      feature: rule.feature,
      value: values[rule.feature]!,
      message: rule.message(values),
    });
  }
  return flags;
}
