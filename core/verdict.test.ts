import { describe, expect, it } from "vitest";
import { VERDICT_BANDS, computeVerdictConfidence, findVerdict } from "./verdict.js";

describe("findVerdict", () => {
  it.each([
    [1, "STRONG PASS"],
    [0.8, "STRONG PASS"],
    [0.7999, "PASS"],
    [0.65, "PASS"],
    [0.6499, "CONDITIONAL PASS"],
    [0.5, "CONDITIONAL PASS"],
    [0.4999, "CONDITIONAL FAIL"],
    [0.35, "CONDITIONAL FAIL"],
    [0.3499, "FAIL"],
    [0.2, "FAIL"],
    [0.1999, "STRONG FAIL"],
    [0, "STRONG FAIL"],
  ])("%s is %s", (p, label) => {
    expect(findVerdict(p).label).toBe(label);
  });

  it("bands tile [0, 1] without gaps, best first", () => {
    for (let i = 1; i < VERDICT_BANDS.length; i++) expect(VERDICT_BANDS[i]!.max).toBe(VERDICT_BANDS[i - 1]!.min);
    expect(VERDICT_BANDS[0]!.max).toBe(1);
    expect(VERDICT_BANDS[VERDICT_BANDS.length - 1]!.min).toBe(0);
  });
});

describe("computeVerdictConfidence", () => {
  it("is 1 when the interval sits inside the band, or is a point", () => {
    expect(computeVerdictConfidence(0.7, 0.66, 0.78)).toBe(1);
    expect(computeVerdictConfidence(0.7, 0.7, 0.7)).toBe(1);
    expect(computeVerdictConfidence(0.95, 0.9, 1)).toBe(1);
  });

  it("is the share of the interval on the verdict's side of a threshold", () => {
    expect(computeVerdictConfidence(0.651, 0.6, 0.7)).toBeCloseTo(0.5, 4);
    expect(computeVerdictConfidence(0.1, 0.05, 0.25)).toBeCloseTo(0.75, 4);
  });

  it("falls as the interval spreads over more bands", () => {
    const narrow = computeVerdictConfidence(0.55, 0.45, 0.62);
    const wide = computeVerdictConfidence(0.55, 0.2, 0.9);
    expect(wide).toBeLessThan(narrow);
    expect(wide).toBeGreaterThan(0);
  });
});
