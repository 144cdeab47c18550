import { describe, expect, it } from "vitest";
import { calibrateProbability, checkCalibration } from "../../core/calibration.js";
import { fitIsotonic } from "./isotonic.js";
import { createRandom } from "./random.js";

describe("fitIsotonic", () => {
  it("pools adjacent violators and puts knots at block centroids (hand-computed)", () => {
    // sorted by score: labels 0, 1, 0, 1, 1 -> blocks {0.1}:0, {0.2, 0.3}:0.5, {0.4}:1, {0.5}:1 -> merged {0.4, 0.5}:1
    const table = fitIsotonic([0.3, 0.1, 0.5, 0.2, 0.4], [0, 0, 1, 1, 1], { floor: 0 });
    expect(table.method).toBe("isotonic");
    expect(table.x).toEqual([0.1, expect.closeTo(0.25, 12), expect.closeTo(0.45, 12)]);
    expect(table.y).toEqual([0, 0.5, 1]);
  });

  it("keeps rows with equal scores in one block", () => {
    const table = fitIsotonic([0.5, 0.5, 0.5, 0.9], [1, 0, 0, 1], { floor: 0 });
    expect(table.x).toEqual([0.5, 0.9]);
    expect(table.y).toEqual([expect.closeTo(1 / 3, 12), 1]);
  });

  it("keeps calibrated values inside [floor, 1 - floor]", () => {
    const table = fitIsotonic([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
    expect(Math.min(...table.y)).toBe(1e-3);
    expect(Math.max(...table.y)).toBe(1 - 1e-3);
  });

  it("gives a monotone table within [0, 1] that calibrates a miscalibrated score", () => {
    const rng = createRandom(3);
    const raw: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const truth = rng.next();
      raw.push(truth ** 2); // overconfident low, underconfident high
      labels.push(rng.next() < truth ? 1 : 0);
    }
    const table = fitIsotonic(raw, labels);
    expect(checkCalibration(table)).toEqual([]);
    for (let i = 1; i < table.x.length; i++) {
      expect(table.x[i]!).toBeGreaterThan(table.x[i - 1]!);
      expect(table.y[i]!).toBeGreaterThanOrEqual(table.y[i - 1]!);
    }
    // truth = sqrt(raw): raw 0.25 should map near 0.5
    expect(calibrateProbability(table, 0.25)).toBeCloseTo(0.5, 1);
    let previous = -1;
    for (let r = 0; r <= 1; r += 0.001) {
      const c = calibrateProbability(table, r);
      expect(c).toBeGreaterThanOrEqual(previous);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1);
      previous = c;
    }
  });
});
