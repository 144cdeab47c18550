import { describe, expect, it } from "vitest";
import type { ScenarioChange } from "./requests.js";
import { analyzeScenarios, applyScenario, listStandardScenarios } from "./scenarios.js";

describe("applyScenario", () => {
  it("sets and removes values without touching the base", () => {
    const base = { runway_months: 6, burn_multiple: 3 };
    expect(applyScenario(base, { runway_months: 18, burn_multiple: null, sector: "saas" })).toEqual({ runway_months: 18, sector: "saas" });
    expect(base).toEqual({ runway_months: 6, burn_multiple: 3 });
  });
});

describe("listStandardScenarios", () => {
  it("offers only improvements on this base", () => {
    const names = listStandardScenarios({ runway_months: 24, burn_multiple: 1, investor_tier_primary: "tier_1" }).map((s) => s.name);
    expect(names).not.toContain("Extend runway to 18 months");
    expect(names).not.toContain("Cut burn multiple to 1.5");
    expect(names).not.toContain("Land a tier-1 lead investor");
    expect(names).toContain("Reach 120% net dollar retention");
    const doubled = listStandardScenarios({ revenue_growth_rate_percent: 40 }).find((s) => s.name === "Double revenue growth");
    expect(doubled?.changes).toEqual({ revenue_growth_rate_percent: 80 });
  });
});

describe("analyzeScenarios", () => {
  const scenarios: ScenarioChange[] = [
    { name: "small", changes: { runway_months: 9 } },
    { name: "big", changes: { runway_months: 24 } },
    { name: "worse", changes: { burn_multiple: 15 } },
  ];

  it("sorts by impact, marks verdict changes and recommends the helpful ones", () => {
    const a = analyzeScenarios(0.6, scenarios, [0.605, 0.7, 0.4]);
    expect(a.base).toEqual({ success_probability: 0.6, verdict: "CONDITIONAL PASS", verdict_code: "conditional_pass" });
    expect(a.scenarios.map((s) => s.name)).toEqual(["big", "small", "worse"]);
    expect(a.scenarios[0]).toMatchObject({ impact: 0.1, verdict: "PASS", verdict_changed: true });
    expect(a.scenarios[1]).toMatchObject({ impact: 0.005, verdict_changed: false });
    expect(a.scenarios[2]).toMatchObject({ impact: -0.2, verdict: "CONDITIONAL FAIL", verdict_changed: true });
    expect(a.recommendations.map((r) => r.scenario)).toEqual(["big"]);
    expect(a.recommendations[0]!.message).toBe("big: +10.0 points, to 70.0% (CONDITIONAL PASS -> PASS).");
  });

  it("says so when nothing helps", () => {
    const a = analyzeScenarios(0.5, scenarios, [0.5, 0.49, 0.3]);
    expect(a.recommendations).toEqual([]);
    expect(a.note).toMatch(/None of these changes/);
  });

  it("never recommends a scenario without a name, and has no note when something helps", () => {
    const a = analyzeScenarios(0.5, scenarios, [0.6, 0.49, 0.3]);
    expect(a.recommendations.every((r) => r.scenario.length > 0)).toBe(true);
    expect(a.note).toBeNull();
  });
});
