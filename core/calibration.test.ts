import { describe, expect, it } from "vitest";
import { calibrateProbability, checkCalibration } from "./calibration.js";

describe("calibrateProbability", () => {
  const table = { method: "isotonic" as const, x: [0.1, 0.5, 0.9], y: [0.05, 0.3, 0.95] };

  it("interpolates linearly between knots", () => {
    expect(calibrateProbability(table, 0.3)).toBeCloseTo(0.175, 12);
    expect(calibrateProbability(table, 0.5)).toBe(0.3);
    expect(calibrateProbability(table, 0.7)).toBeCloseTo(0.625, 12);
  });

  it("is flat outside the knots and clamped to [0, 1]", () => {
    expect(calibrateProbability(table, 0)).toBe(0.05);
    expect(calibrateProbability(table, 1)).toBe(0.95);
    expect(calibrateProbability({ method: "isotonic", x: [0.5], y: [1.2] }, 0.7)).toBe(1);
    expect(calibrateProbability({ method: "isotonic", x: [], y: [] }, 1.5)).toBe(1);
  });

  it("passes NaN through so a broken model stays visible", () => {
    expect(calibrateProbability(table, Number.NaN)).toBeNaN();
  });
});

describe("checkCalibration", () => {
  it("accepts a good table and explains what is wrong with bad ones", () => {
    expect(checkCalibration({ method: "isotonic", x: [0.1, 0.2], y: [0.1, 0.3] })).toEqual([]);
    expect(checkCalibration(null)).toEqual(["calibration must be an object"]);
    expect(checkCalibration({ method: "platt", x: [0.2, 0.1], y: [0.5, 0.4, 2] })).toEqual([
      'calibration.method must be "isotonic", got "platt"',
      "calibration.x has 2 knots but calibration.y has 3",
      "calibration.x must be strictly increasing (at index 1)",
      "calibration.y must be non-decreasing (at index 1)",
      "calibration.y[2] must be a number in [0, 1]",
    ]);
  });
});
