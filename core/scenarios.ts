/**
 * What-if analysis: the base startup and each scenario (the base with some values changed) are
 * scored by the model in one run; each scenario reports its probability, the change from the
 * base, and whether the verdict moves. Sorted by impact, best first, with recommendations.
 */

import type { FeatureValue, FeatureValues } from "./encoding.js";
import { roundTo } from "./explain.js";
import type { ScenarioChange } from "./requests.js";
import { findVerdict, type VerdictId } from "./verdict.js";

interface StandardScenario {
  readonly name: string;
  /** The change for this base, or undefined when it would not change anything. */
  readonly changes: (base: FeatureValues) => Record<string, FeatureValue> | undefined;
}

const n = (v: FeatureValues, name: string): number | undefined => (typeof v[name] === "number" ? (v[name] as number) : undefined);

/**
 * The what-ifs FLASH proposes when the client names none: the levers investors ask about, each
 * applied only where it would be an improvement on the base.
 */
export const STANDARD_SCENARIOS: readonly StandardScenario[] = [
  {
    name: "Extend runway to 18 months",
    changes: (b) => ((n(b, "runway_months") ?? 0) < 18 ? { runway_months: 18 } : undefined),
  },
  {
    name: "Cut burn multiple to 1.5",
    changes: (b) => ((n(b, "burn_multiple") ?? Infinity) > 1.5 ? { burn_multiple: 1.5 } : undefined),
  },
  {
    name: "Reach 120% net dollar retention",
    changes: (b) => ((n(b, "net_dollar_retention_percent") ?? 0) < 120 ? { net_dollar_retention_percent: 120 } : undefined),
  },
  {
    name: "Double revenue growth",
    changes: (b) => {
      const g = n(b, "revenue_growth_rate_percent");
      return g !== undefined && g > 0 && g < 500 ? { revenue_growth_rate_percent: roundTo(g * 2, 2) } : undefined;
    },
  },
  {
    name: "Lower customer concentration to 20%",
    changes: (b) => ((n(b, "customer_concentration_percent") ?? 0) > 20 ? { customer_concentration_percent: 20 } : undefined),
  },
  {
    name: "Lift 90-day retention to 40%",
    changes: (b) => ((n(b, "product_retention_90d") ?? 0) < 0.4 ? { product_retention_90d: 0.4 } : undefined),
  },
  {
    name: "Land a tier-1 lead investor",
    changes: (b) => (b.investor_tier_primary !== "tier_1" ? { investor_tier_primary: "tier_1" } : undefined),
  },
  {
    name: "Add a founder with a prior exit",
    changes: (b) => ((n(b, "prior_successful_exits_count") ?? 0) < 1 ? { prior_successful_exits_count: 1 } : undefined),
  },
];

export function listStandardScenarios(base: FeatureValues): ScenarioChange[] {
  return STANDARD_SCENARIOS.flatMap((s) => {
    const changes = s.changes(base);
    return changes ? [{ name: s.name, changes }] : [];
  });
}

/** The base with a scenario's changes applied (null removes a value). */
export function applyScenario(base: FeatureValues, changes: Readonly<Record<string, FeatureValue | null>>): FeatureValues {
  const out: Record<string, FeatureValue> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

export interface ScenarioResult {
  readonly name: string;
  readonly changes: Readonly<Record<string, FeatureValue | null>>;
  readonly success_probability: number;
  /** Scenario probability minus the base's (a fraction: 0.05 is five points). */
  readonly impact: number;
  readonly verdict: string;
  readonly verdict_code: VerdictId;
  readonly verdict_changed: boolean;
}

export interface Recommendation {
  readonly scenario: string;
  readonly impact: number;
  readonly message: string;
}

export interface ScenarioAnalysis {
  readonly base: { readonly success_probability: number; readonly verdict: string; readonly verdict_code: VerdictId };
  readonly scenarios: readonly ScenarioResult[];
  /** Only changes that help by a point or more; empty when none does (then `note` says so). */
  readonly recommendations: readonly Recommendation[];
  /** Why there are no recommendations, or null when there are. */
  readonly note: string | null;
}

/** A change smaller than this (one point) is not worth recommending. */
export const RECOMMENDATION_MIN_IMPACT = 0.01;

/** From the base's and each scenario's calibrated probability to the sorted analysis. */
export function analyzeScenarios(
  baseProbability: number,
  scenarios: readonly ScenarioChange[],
  probabilities: readonly number[],
): ScenarioAnalysis {
  const baseVerdict = findVerdict(baseProbability);
  const results: ScenarioResult[] = scenarios.map((s, i) => {
    const p = probabilities[i]!;
    const v = findVerdict(p);
    return {
      name: s.name,
      changes: s.changes,
      success_probability: p,
      impact: roundTo(p - baseProbability, 4),
      verdict: v.label,
      verdict_code: v.id,
      verdict_changed: v.id !== baseVerdict.id,
    };
  });
  results.sort((a, b) => b.impact - a.impact || a.name.localeCompare(b.name));
  const helpful = results.filter((r) => r.impact >= RECOMMENDATION_MIN_IMPACT).slice(0, 3);
  const recommendations: Recommendation[] = helpful.map((r) => ({
    scenario: r.name,
    impact: r.impact,
    message:
      `${r.name}: +${(r.impact * 100).toFixed(1)} points, to ${(r.success_probability * 100).toFixed(1)}%` +
      (r.verdict_changed ? ` (${baseVerdict.label} -> ${r.verdict}).` : ` (still ${r.verdict}).`),
  }));
  // No placeholder recommendation with an empty scenario name: a client would render or act on it.
  const note =
    recommendations.length === 0
      ? "None of these changes raises the success probability by a point or more; look at the factors of /predict for what drives it."
      : null;
  return {
    base: { success_probability: baseProbability, verdict: baseVerdict.label, verdict_code: baseVerdict.id },
    scenarios: results,
    recommendations,
    note,
  };
}
