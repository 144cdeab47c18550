import { describe, expect, it } from "vitest";
import { computeAuc, computeBrier, computeEce, computeLogLoss, computeReliability, computeSpread, evaluatePredictions } from "./metrics.js";

describe("computeAuc", () => {
  it("counts ties as one half (hand-computed)", () => {
    // positives 0.35, 0.8, 0.4; negatives 0.1, 0.4. Pairs won: 1+0+1+1+1+0.5 of 6.
    expect(computeAuc([0.1, 0.4, 0.35, 0.8, 0.4], [0, 0, 1, 1, 1])).toBeCloseTo(4.5 / 6, 12);
  });

  it("is 1 for a perfect ranking, 0 for a reversed one and 0.5 when everything ties", () => {
    expect(computeAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(computeAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(computeAuc([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1])).toBe(0.5);
  });

  it("matches the pairwise definition on random data", () => {
    const scores = Array.from({ length: 300 }, (_, i) => Math.round(Math.sin(i * 12.9898) * 43758.5453 % 1 * 20) / 20);
    const labels = scores.map((s, i) => (Math.abs(Math.sin(i * 78.233)) < 0.3 + s / 2 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < scores.length; i++) {
      for (let j = 0; j < scores.length; j++) {
        if (labels[i] === 1 && labels[j] === 0) {
          pairs++;
          wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
        }
      }
    }
    expect(computeAuc(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });

  it("is NaN when one class is absent", () => {
    expect(computeAuc([0.2, 0.4], [1, 1])).toBeNaN();
  });
});

describe("Brier, log loss, ECE (hand-computed)", () => {
  const p = [0.05, 0.15, 0.12, 0.95, 0.91];
  const y = [0, 0, 1, 1, 0];

  it("Brier is the mean squared error", () => {
    expect(computeBrier(p, y)).toBeCloseTo((0.0025 + 0.0225 + 0.7744 + 0.0025 + 0.8281) / 5, 12);
  });

  it("log loss is the mean negative log-likelihood, clipped at 1e-15", () => {
    const expected = -(Math.log(0.95) + Math.log(0.85) + Math.log(0.12) + Math.log(0.95) + Math.log(0.09)) / 5;
    expect(computeLogLoss(p, y)).toBeCloseTo(expected, 12);
    expect(computeLogLoss([0, 1], [1, 0])).toBeCloseTo((-Math.log(1e-15) - Math.log(1 - (1 - 1e-15))) / 2, 9);
  });

  it("ECE weights each bin's |mean predicted - observed| by its rows", () => {
    // bin 0: {0.05} vs 0; bin 1: {0.15, 0.12} mean 0.135 vs 0.5; bin 9: {0.95, 0.91} mean 0.93 vs 0.5
    expect(computeEce(p, y)).toBeCloseTo((0.05 + 2 * 0.365 + 2 * 0.43) / 5, 12);
  });

  it("the reliability table has 10 bins, the last one including 1", () => {
    const table = computeReliability([0, 0.1, 0.999, 1], [0, 0, 1, 1]);
    expect(table).toHaveLength(10);
    expect(table[0]).toMatchObject({ lower: 0, upper: 0.1, count: 1, mean_predicted: 0, observed_rate: 0 });
    expect(table[1]).toMatchObject({ count: 1, mean_predicted: 0.1 });
    expect(table[9]).toMatchObject({ count: 2, observed_rate: 1 });
    expect(table[5]).toMatchObject({ count: 0, mean_predicted: null, observed_rate: null });
  });

  it("a perfectly calibrated constant prediction has ECE 0", () => {
    expect(computeEce([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0])).toBeCloseTo(0, 15);
  });
});

describe("computeSpread and evaluatePredictions", () => {
  it("reports min, max, mean and population std", () => {
    expect(computeSpread([0.1, 0.3, 0.5, 0.7])).toEqual({
      min: 0.1,
      max: 0.7,
      mean: expect.closeTo(0.4, 12) as unknown as number,
      std: expect.closeTo(Math.sqrt(0.05), 12) as unknown as number,
    });
  });

  it("puts everything together with the base rate", () => {
    const m = evaluatePredictions([0.2, 0.8, 0.6, 0.1], [0, 1, 1, 0]);
    expect(m).toMatchObject({ n: 4, base_rate: 0.5, auc: 1 });
    expect(m.reliability).toHaveLength(10);
  });

  it("refuses predictions and labels of different lengths", () => {
    expect(() => computeBrier([0.1], [0, 1])).toThrow(/1 predictions but 2 labels/);
  });
});
