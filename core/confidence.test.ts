import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyUncertainty, computeConfidenceInterval, logit, sigmoid, type ConfidenceInputs } from "./confidence.js";

const base: ConfidenceInputs = {
  probability: 0.4,
  pillarProbabilities: [0.4, 0.45, 0.35],
  missingImportanceShare: 0.3,
  populationLogitStd: 1.5,
  calibrationCount: 500,
};

describe("computeConfidenceInterval", () => {
  it("always contains p, stays in [0, 1] and reports its width (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 100000 }),
        (probability, pillarProbabilities, missingImportanceShare, populationLogitStd, calibrationCount) => {
          const r = computeConfidenceInterval({ probability, pillarProbabilities, missingImportanceShare, populationLogitStd, calibrationCount });
          expect(r.lower).toBeLessThanOrEqual(probability);
          expect(r.upper).toBeGreaterThanOrEqual(probability);
          expect(r.lower).toBeGreaterThanOrEqual(0);
          expect(r.upper).toBeLessThanOrEqual(1);
          expect(r.width).toBeCloseTo(r.upper - r.lower, 5);
          expect(r.confidence_score).toBeCloseTo(1 - r.width, 5);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("widens monotonically as more of the important data is missing", () => {
    const widths = [0, 0.1, 0.3, 0.6, 1].map((m) => computeConfidenceInterval({ ...base, missingImportanceShare: m }).width);
    for (let i = 1; i < widths.length; i++) expect(widths[i]!).toBeGreaterThan(widths[i - 1]!);
  });

  it("widens when the pillars disagree (the model is unsure)", () => {
    const agree = computeConfidenceInterval({ ...base, pillarProbabilities: [0.4, 0.41, 0.39] });
    const disagree = computeConfidenceInterval({ ...base, pillarProbabilities: [0.1, 0.8, 0.4] });
    expect(disagree.width).toBeGreaterThan(agree.width);
  });

  it("widens when few test rows support the calibration at p", () => {
    const many = computeConfidenceInterval({ ...base, calibrationCount: 5000 });
    const few = computeConfidenceInterval({ ...base, calibrationCount: 20 });
    expect(few.width).toBeGreaterThan(many.width);
  });

  it("is symmetric on the logit scale around p", () => {
    const r = computeConfidenceInterval(base);
    expect(logit(0.4) - logit(r.lower)).toBeCloseTo(logit(r.upper) - logit(0.4), 3);
  });

  it("with full data, agreeing pillars and plenty of calibration rows it is narrow (low)", () => {
    const r = computeConfidenceInterval({ ...base, missingImportanceShare: 0, pillarProbabilities: [0.4], calibrationCount: 5000 });
    expect(r.uncertainty_level).toBe("low");
  });

  it("with nothing known it spans most of the range (very_high)", () => {
    const r = computeConfidenceInterval({ ...base, probability: 0.2, missingImportanceShare: 1, pillarProbabilities: [] });
    expect(r.uncertainty_level).toBe("very_high");
  });

  it("exposes the three terms", () => {
    const r = computeConfidenceInterval(base);
    expect(r.components.missing_data).toBeCloseTo(1.5 * Math.sqrt(0.3), 5);
    expect(r.components.calibration).toBeCloseTo(1 / Math.sqrt(500 * 0.4 * 0.6), 5);
    expect(r.components.pillar_conflict).toBeGreaterThan(0);
  });
});

describe("helpers", () => {
  it("sigmoid inverts logit", () => {
    for (const p of [0.01, 0.2, 0.5, 0.77, 0.99]) expect(sigmoid(logit(p))).toBeCloseTo(p, 9);
  });

  it("classifies widths into the four levels", () => {
    expect(classifyUncertainty(0.05)).toBe("low");
    expect(classifyUncertainty(0.2)).toBe("moderate");
    expect(classifyUncertainty(0.4)).toBe("high");
    expect(classifyUncertainty(0.6)).toBe("very_high");
  });
});
