import { describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "./schema.js";
import { computeDataWarnings, computeEditDistance, suggestFeatureName, warnUnknownFields } from "./warnings.js";

describe("suggestFeatureName", () => {
  it.each([
    ["total_capital_raised", "total_capital_raised_usd"],
    ["totalCapitalRaisedUsd", "total_capital_raised_usd"],
    ["Runway-Months", "runway_months"],
    ["runway_month", "runway_months"],
    ["vertical", "sector"],
    ["industry", "sector"],
    ["stage", "funding_stage"],
    ["arr", "annual_revenue_run_rate"],
    ["burn_multipel", "burn_multiple"],
    ["team_size", "team_size_full_time"],
    ["founder_count", "founders_count"],
  ])("%s -> %s", (input, expected) => {
    expect(suggestFeatureName(input)).toBe(expected);
  });

  it("suggests nothing for names unlike any feature", () => {
    expect(suggestFeatureName("hq_location")).toBeUndefined();
    expect(suggestFeatureName("zzzzzz")).toBeUndefined();
    expect(suggestFeatureName("")).toBeUndefined();
    expect(suggestFeatureName("__proto__")).toBeUndefined();
    for (const name of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
      const s = suggestFeatureName(name);
      expect(s === undefined || typeof s === "string", name).toBe(true);
    }
  });

  it("every feature name suggests itself", () => {
    for (const name of FEATURE_NAMES) expect(suggestFeatureName(name)).toBe(name);
  });
});

describe("warnUnknownFields", () => {
  it("says the field was ignored and names the nearest feature (the issue's own example)", () => {
    const [w] = warnUnknownFields(["total_capital_raised"]);
    expect(w).toMatchObject({ code: "unknown_field", field: "total_capital_raised", suggestion: "total_capital_raised_usd" });
    expect(w!.message).toContain("total_capital_raised is not a feature; did you mean total_capital_raised_usd?");
  });

  it("without a close name it points at /features", () => {
    const [w] = warnUnknownFields(["hq_location"]);
    expect(w!.suggestion).toBeUndefined();
    expect(w!.message).toContain("/features");
  });

  it("shortens absurdly long field names", () => {
    const [w] = warnUnknownFields(["x".repeat(5000)]);
    expect(w!.field!.length).toBeLessThan(100);
    expect(w!.message.length).toBeLessThan(300);
  });
});

describe("computeEditDistance", () => {
  it("counts insertions, deletions and substitutions", () => {
    expect(computeEditDistance("kitten", "sitting")).toBe(3);
    expect(computeEditDistance("", "abc")).toBe(3);
    expect(computeEditDistance("same", "same")).toBe(0);
  });

  it("with a limit: the distance when within it, else limit + 1 (the early exit never changes a close answer)", () => {
    const words = ["", "a", "burn", "burn_multiple", "runway_months", "runway", "team_size", "team_size_full_time", "xyz", "customer_count"];
    for (const a of words) {
      for (const b of words) {
        const exact = computeEditDistance(a, b);
        for (const limit of [0, 1, 2, 3, 5, 8]) expect(computeEditDistance(a, b, limit), `${a}/${b}/${limit}`).toBe(Math.min(exact, limit + 1));
      }
    }
  });
});

describe("computeDataWarnings", () => {
  const codes = (values: Record<string, number | string | boolean>) => computeDataWarnings(values).map((w) => w.code);

  it("an empty startup gets the no-features warning; a sparse one low completeness", () => {
    expect(codes({})).toEqual(["no_features"]);
    expect(codes({ total_capital_raised_usd: 1e6, funding_stage: "seed" })).toEqual(["low_completeness"]);
  });

  it("flags implausible values and percentages sent as fractions", () => {
    const values = Object.fromEntries(FEATURE_NAMES.slice(0, 20).map((n) => [n, 1]));
    expect(codes({ ...values, runway_months: 100 })).toContain("extreme_value");
    expect(codes({ ...values, customer_concentration_percent: 0.4 })).toContain("fraction_as_percent");
  });

  it("flags inconsistent values", () => {
    const w = computeDataWarnings({ tam_size_usd: 1e9, sam_size_usd: 5e9 });
    expect(w.some((x) => x.code === "inconsistent" && x.field === "sam_size_usd")).toBe(true);
    const runway = computeDataWarnings({ cash_on_hand_usd: 1_200_000, monthly_burn_usd: 100_000, runway_months: 40 });
    expect(runway.some((x) => x.code === "inconsistent" && x.field === "runway_months")).toBe(true);
    const fine = computeDataWarnings({ cash_on_hand_usd: 1_200_000, monthly_burn_usd: 100_000, runway_months: 12 });
    expect(fine.some((x) => x.code === "inconsistent")).toBe(false);
  });
});
