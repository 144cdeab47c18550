/**
 * Warnings: things a client should know about its input that do not make it invalid. Fields
 * that are not features (FLASH v1 clients send `hq_location`, `vertical`, misspellings), values
 * that are valid but implausible, and answers that rest on little data.
 */

import { computeCompleteness, type FeatureValues } from "./encoding.js";
import { FEATURE_COUNT, FEATURE_NAMES, getFeature } from "./schema.js";

export interface Warning {
  readonly code: string;
  /** The input field the warning is about, when there is one. */
  readonly field?: string;
  readonly message: string;
  /** For unknown fields: the feature the client probably meant. */
  readonly suggestion?: string;
}

/**
 * What FLASH clients call things, mapped to the feature they mean. Edit distance alone cannot
 * find these (`vertical` is nowhere near `sector`).
 */
const SYNONYMS: ReadonlyMap<string, string> = new Map(Object.entries({
  vertical: "sector",
  industry: "sector",
  category: "sector",
  market: "sector",
  stage: "funding_stage",
  round: "funding_stage",
  last_round: "funding_stage",
  series: "funding_stage",
  capital_raised: "total_capital_raised_usd",
  funding: "total_capital_raised_usd",
  total_funding: "total_capital_raised_usd",
  raised: "total_capital_raised_usd",
  cash: "cash_on_hand_usd",
  burn: "monthly_burn_usd",
  burn_rate: "monthly_burn_usd",
  runway: "runway_months",
  arr: "annual_revenue_run_rate",
  revenue: "annual_revenue_run_rate",
  annual_revenue: "annual_revenue_run_rate",
  mrr: "annual_revenue_run_rate",
  revenue_growth: "revenue_growth_rate_percent",
  growth_rate: "revenue_growth_rate_percent",
  nrr: "net_dollar_retention_percent",
  ndr: "net_dollar_retention_percent",
  net_revenue_retention: "net_dollar_retention_percent",
  tam: "tam_size_usd",
  sam: "sam_size_usd",
  som: "som_size_usd",
  market_size: "tam_size_usd",
  team_size: "team_size_full_time",
  employees: "team_size_full_time",
  headcount: "team_size_full_time",
  founders: "founders_count",
  customers: "customer_count",
  patents: "patent_count",
  advisors: "advisors_count",
  exits: "prior_successful_exits_count",
  investor_tier: "investor_tier_primary",
  lead_investor_tier: "investor_tier_primary",
  retention: "product_retention_30d",
  margin: "gross_margin_percent",
  gross_margin: "gross_margin_percent",
  ltv_cac: "ltv_cac_ratio",
  competitors: "competitors_named_count",
  competition: "competition_intensity",
}));

/** camelCase, kebab-case, spaces and case all folded to snake_case. */
function toSnakeCase(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

export function computeEditDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  // Levenshtein over two reused rows; stops as soon as every cell exceeds `limit` (the answer
  // is then some value above it), so checking a name against all 45 features stays cheap.
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ai === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [previous, current] = [current, previous];
  }
  const distance = previous[b.length]!;
  return distance > limit ? limit + 1 : distance;
}

/**
 * The feature a client most likely meant by `name`, or undefined when nothing is close.
 * In order: the same name in another case style, a known synonym, a feature that extends the
 * name with a unit or count suffix (`total_capital_raised` -> `total_capital_raised_usd`),
 * then the smallest edit distance if it is small relative to the name's length.
 */
export function suggestFeatureName(name: string): string | undefined {
  const snake = toSnakeCase(name);
  if (snake === "") return undefined;
  if (getFeature(snake)) return snake;
  // A Map, not an object: "constructor" or "toString" must not find Object.prototype's.
  const synonym = SYNONYMS.get(snake);
  if (synonym) return synonym;
  const extended = FEATURE_NAMES.filter((f) => f.startsWith(`${snake}_`));
  if (extended.length > 0) return extended.reduce((a, b) => (b.length < a.length ? b : a));
  // A third of the length (at least 2 edits) is a typo; more is a different word.
  const allowed = Math.max(2, Math.floor(snake.length / 3));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const feature of FEATURE_NAMES) {
    // Only a strictly closer feature can win: the first of equally close ones is kept.
    const d = computeEditDistance(snake, feature, bestDistance - 1);
    if (d < bestDistance) {
      best = feature;
      bestDistance = d;
    }
  }
  return best;
}

function shorten(name: string): string {
  return name.length > 60 ? `${name.slice(0, 60)}…` : name;
}

export function describeUnknownField(name: string): { message: string; suggestion?: string } {
  const suggestion = suggestFeatureName(name);
  // Plain identifiers read best bare (as FLASH v1 wrote them); anything odd is quoted.
  const shown = /^[A-Za-z0-9_.-]+$/.test(name) ? shorten(name) : JSON.stringify(shorten(name));
  if (suggestion) return { message: `${shown} is not a feature; did you mean ${suggestion}?`, suggestion };
  return { message: `${shown} is not a feature and was ignored; GET /features lists the 45 features.` };
}

/** One warning per field that is not a feature (the request still succeeds). */
export function warnUnknownFields(fields: readonly string[]): Warning[] {
  return fields.map((field) => {
    const { message, suggestion } = describeUnknownField(field);
    return {
      code: "unknown_field",
      field: shorten(field),
      message: suggestion ? `${message} It was ignored.` : message,
      ...(suggestion ? { suggestion } : {}),
    };
  });
}

/** Values that are valid but unusual enough that a unit or typing mistake is likely. */
const PLAUSIBLE_MAX: Readonly<Record<string, number>> = {
  total_capital_raised_usd: 5e9,
  cash_on_hand_usd: 5e9,
  monthly_burn_usd: 1e8,
  runway_months: 60,
  burn_multiple: 15,
  market_growth_rate_percent: 200,
  customer_count: 1e8,
  user_growth_rate_percent: 3000,
  net_dollar_retention_percent: 300,
  team_size_full_time: 20000,
  patent_count: 500,
  advisors_count: 50,
  annual_revenue_run_rate: 2e10,
  revenue_growth_rate_percent: 600,
  ltv_cac_ratio: 30,
  competitors_named_count: 200,
};

const PLAUSIBLE_MAX_ENTRIES = Object.entries(PLAUSIBLE_MAX);

/** Below this share of the 45 features, the answer leans mostly on what is typical. */
export const LOW_COMPLETENESS = 0.25;

/** Data-quality warnings derived from validated values (deterministic: cacheable with the prediction). */
export function computeDataWarnings(values: FeatureValues): Warning[] {
  const warnings: Warning[] = [];
  const n = (name: string): number | undefined => (typeof values[name] === "number" ? (values[name] as number) : undefined);

  const present = Math.round(computeCompleteness(values) * FEATURE_COUNT);
  if (present === 0) {
    warnings.push({
      code: "no_features",
      message: "No features were given: the answer is the model's prior for an unknown startup, with the widest interval.",
    });
  } else if (present / FEATURE_COUNT < LOW_COMPLETENESS) {
    warnings.push({
      code: "low_completeness",
      message: `Only ${present} of ${FEATURE_COUNT} features were given: the answer leans on what is typical, and the interval is wide.`,
    });
  }

  for (const [field, max] of PLAUSIBLE_MAX_ENTRIES) {
    const v = n(field);
    if (v !== undefined && v > max) {
      const unit = (getFeature(field) as { unit?: string } | undefined)?.unit ?? "";
      warnings.push({
        code: "extreme_value",
        field,
        message: `${field} is ${v} (${unit}), far above what startups usually report; check the unit.`,
      });
    }
  }

  for (const field of ["customer_concentration_percent", "team_diversity_percent", "gross_margin_percent"]) {
    const v = n(field);
    if (v !== undefined && v > 0 && v < 1) {
      warnings.push({
        code: "fraction_as_percent",
        field,
        message: `${field} is ${v}; it is a percentage (0-100), so ${v} means ${v}%, not ${Math.round(v * 100)}%.`,
      });
    }
  }

  const pairs: readonly [string, string, string][] = [
    ["sam_size_usd", "tam_size_usd", "the serviceable market is larger than the total market"],
    ["som_size_usd", "sam_size_usd", "the obtainable market is larger than the serviceable market"],
    ["product_retention_90d", "product_retention_30d", "90-day retention is higher than 30-day retention"],
  ];
  for (const [small, large, what] of pairs) {
    const a = n(small);
    const b = n(large);
    if (a !== undefined && b !== undefined && a > b) {
      warnings.push({ code: "inconsistent", field: small, message: `${small} (${a}) exceeds ${large} (${b}): ${what}.` });
    }
  }

  const cash = n("cash_on_hand_usd");
  const burn = n("monthly_burn_usd");
  const runway = n("runway_months");
  if (cash !== undefined && burn !== undefined && burn > 0 && runway !== undefined) {
    const implied = cash / burn;
    if (Math.abs(implied - runway) > Math.max(3, 0.5 * Math.max(implied, runway))) {
      warnings.push({
        code: "inconsistent",
        field: "runway_months",
        message: `runway_months is ${runway} but cash_on_hand_usd / monthly_burn_usd gives ${implied.toFixed(1)} months.`,
      });
    }
  }
  return warnings;
}
