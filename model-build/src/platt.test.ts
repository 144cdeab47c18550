import { describe, expect, it } from "vitest";
import { calibrateProbability, checkCalibration, sigmoid } from "../../core/calibration.js";
import { fitPlatt } from "./platt.js";
import { createRandom, normal } from "./random.js";

/** Raw scores sigmoid(z), z ~ N(0, spread), labels drawn from sigmoid(a * z + b). */
function simulate(rows: number, a: number, b: number, seed: number, spread = 2): { raw: number[]; labels: number[] } {
  const rng = createRandom(seed);
  const raw: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < rows; i++) {
    const z = spread * normal(rng);
    raw.push(sigmoid(z));
    labels.push(rng.next() < sigmoid(a * z + b) ? 1 : 0);
  }
  return { raw, labels };
}

describe("fitPlatt", () => {
  it("recovers a known slope and intercept", () => {
    for (const [a, b] of [
      [0.6, -0.8],
      [1.7, 0.5],
      [1, 0],
    ] as const) {
      const { raw, labels } = simulate(60_000, a, b, 11);
      const { calibration, iterations } = fitPlatt(raw, labels);
      // Maximum-likelihood standard errors at 60,000 rows are about 0.01-0.02.
      expect(calibration.a).toBeCloseTo(a, 1);
      expect(calibration.b).toBeCloseTo(b, 1);
      expect(Math.abs(calibration.a - a)).toBeLessThan(0.05);
      expect(Math.abs(calibration.b - b)).toBeLessThan(0.05);
      expect(iterations).toBeLessThan(15);
      expect(checkCalibration(calibration)).toEqual([]);
    }
  });

  it("stops at the minimum: the penalised gradient is zero there", () => {
    const { raw, labels } = simulate(5000, 0.8, -1.2, 5);
    const ridge = 1e-3;
    const { calibration } = fitPlatt(raw, labels, { ridge });
    let ga = 2 * ridge * (calibration.a - 1);
    let gb = 2 * ridge * calibration.b;
    for (let i = 0; i < raw.length; i++) {
      const z = Math.log(raw[i]! / (1 - raw[i]!));
      const r = calibrateProbability(calibration, raw[i]!) - labels[i]!;
      ga += r * z;
      gb += r;
    }
    expect(Math.abs(ga)).toBeLessThan(1e-6);
    expect(Math.abs(gb)).toBeLessThan(1e-6);
  });

  it("converges to finite numbers where plain maximum likelihood has no minimum", () => {
    // Perfectly separated: every success scores above every failure.
    const separated = fitPlatt([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1]);
    expect(Number.isFinite(separated.calibration.a) && Number.isFinite(separated.calibration.b)).toBe(true);
    expect(separated.calibration.a).toBeGreaterThan(1);
    expect(separated.iterations).toBeLessThan(100);
    // One class only, and raw scores of exactly 0 and 1 (clamped before the logit).
    const oneClass = fitPlatt([0, 0.5, 1, 0.2], [0, 0, 0, 0]);
    expect(Number.isFinite(oneClass.calibration.a) && Number.isFinite(oneClass.calibration.b)).toBe(true);
    expect(calibrateProbability(oneClass.calibration, 0.5)).toBeLessThan(0.5);
  });

  it("refuses what it cannot fit", () => {
    expect(() => fitPlatt([0.1], [0, 1])).toThrow(/1 scores but 2 labels/);
    expect(() => fitPlatt([], [])).toThrow(/no rows/);
    expect(() => fitPlatt([0.5], [1], { ridge: 0 })).toThrow(/ridge must be positive/);
  });
});
