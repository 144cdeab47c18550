import { describe, expect, it } from "vitest";
import { calibrateProbability, checkCalibration, clampedLogit, PLATT_EPSILON, sigmoid } from "./calibration.js";

describe("calibrateProbability: isotonic", () => {
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

describe("calibrateProbability: platt", () => {
  it("is sigmoid(a * logit(raw) + b)", () => {
    const platt = { method: "platt" as const, a: 0.8, b: -0.3 };
    for (const raw of [0.01, 0.2, 0.5, 0.73, 0.99]) {
      const expected = 1 / (1 + Math.exp(-(0.8 * Math.log(raw / (1 - raw)) - 0.3)));
      expect(calibrateProbability(platt, raw)).toBeCloseTo(expected, 12);
    }
    // a = 1, b = 0 is the identity.
    expect(calibrateProbability({ method: "platt", a: 1, b: 0 }, 0.37)).toBeCloseTo(0.37, 12);
  });

  it("clamps raw 0 and 1 away from infinite log-odds and stays monotone", () => {
    const platt = { method: "platt" as const, a: 1.5, b: 0.2 };
    const at0 = calibrateProbability(platt, 0);
    const at1 = calibrateProbability(platt, 1);
    expect(Number.isFinite(clampedLogit(0))).toBe(true);
    expect(at0).toBeCloseTo(sigmoid(1.5 * Math.log(PLATT_EPSILON / (1 - PLATT_EPSILON)) + 0.2), 15);
    expect(at0).toBeGreaterThan(0);
    expect(at1).toBeLessThan(1);
    expect(calibrateProbability(platt, -3)).toBe(at0);
    expect(calibrateProbability(platt, 4)).toBe(at1);
    let previous = -1;
    for (let i = 0; i <= 1000; i++) {
      const p = calibrateProbability(platt, i / 1000);
      expect(p).toBeGreaterThan(previous);
      previous = p;
    }
  });

  it("passes NaN through", () => {
    expect(calibrateProbability({ method: "platt", a: 1, b: 0 }, Number.NaN)).toBeNaN();
  });
});

describe("calibrateProbability: none", () => {
  it("serves the raw probability, clamped to [0, 1], NaN staying NaN", () => {
    const none = { method: "none" as const };
    expect(calibrateProbability(none, 0.4242)).toBe(0.4242);
    expect(calibrateProbability(none, 0)).toBe(0);
    expect(calibrateProbability(none, 1.2)).toBe(1);
    expect(calibrateProbability(none, Number.NaN)).toBeNaN();
  });
});

describe("sigmoid", () => {
  it("does not overflow at either end", () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(0)).toBe(0.5);
  });
});

describe("checkCalibration", () => {
  it("accepts a good table and explains what is wrong with bad ones", () => {
    expect(checkCalibration({ method: "isotonic", x: [0.1, 0.2], y: [0.1, 0.3] })).toEqual([]);
    expect(checkCalibration(null)).toEqual(["calibration must be an object"]);
    expect(checkCalibration([])).toEqual(["calibration must be an object"]);
    expect(checkCalibration({ method: "isotonic", x: [0.2, 0.1], y: [0.5, 0.4, 2] })).toEqual([
      "calibration.x has 2 knots but calibration.y has 3",
      "calibration.x must be strictly increasing (at index 1)",
      "calibration.y must be non-decreasing (at index 1)",
      "calibration.y[2] must be a number in [0, 1]",
    ]);
    expect(checkCalibration({ method: "isotonic" })).toEqual(["calibration.x and calibration.y must be arrays"]);
  });

  it("accepts Platt numbers and names the field and rule of bad ones", () => {
    expect(checkCalibration({ method: "platt", a: 0.9, b: -0.1 })).toEqual([]);
    expect(checkCalibration({ method: "platt", a: "x", b: 0 })).toEqual(['calibration.a must be a finite number, got "x"']);
    expect(checkCalibration({ method: "platt", a: 1 })).toEqual(["calibration.b must be a finite number, got nothing"]);
    expect(checkCalibration({ method: "platt", a: null, b: Number.NaN })).toEqual([
      "calibration.a must be a finite number, got null",
      "calibration.b must be a finite number, got NaN",
    ]);
    expect(checkCalibration({ method: "platt", a: -0.5, b: 500 })).toEqual([
      "calibration.b must be within [-100, 100], got 500",
      "calibration.a must be positive (a slope <= 0 would reverse or erase the model's ranking), got -0.5",
    ]);
    expect(checkCalibration({ method: "platt", a: 0, b: 0 })).toEqual([
      "calibration.a must be positive (a slope <= 0 would reverse or erase the model's ranking), got 0",
    ]);
  });

  it("accepts none, and lists the allowed methods for an unknown or missing one", () => {
    expect(checkCalibration({ method: "none" })).toEqual([]);
    expect(checkCalibration({ method: "beta", a: 1 })).toEqual(['calibration.method must be one of "none", "platt", "isotonic", got "beta"']);
    expect(checkCalibration({ x: [0.1], y: [0.2] })).toEqual(['calibration.method must be one of "none", "platt", "isotonic", got nothing']);
  });
});
