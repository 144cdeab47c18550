import { describe, expect, it } from "vitest";
import { calibrateProbability, checkCalibration, sigmoid } from "../../core/calibration.js";
import { assignFolds, chooseCalibration, fitCalibration } from "./calibration-choice.js";
import { computeEce, computeLogLoss } from "./metrics.js";
import { createRandom, normal } from "./random.js";

/**
 * Rows whose true probability is sigmoid(z), z ~ N(-1.5, 1.6) (a base rate near 25%), with the
 * raw score a distortion of it: what a model with that calibration error would output.
 */
function simulate(rows: number, seed: number, distort: (truth: number) => number): { raw: number[]; labels: number[] } {
  const rng = createRandom(seed);
  const raw: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < rows; i++) {
    const truth = sigmoid(-1.5 + 1.6 * normal(rng));
    raw.push(distort(truth));
    labels.push(rng.next() < truth ? 1 : 0);
  }
  return { raw, labels };
}

const logit = (p: number): number => Math.log(p / (1 - p));

describe("chooseCalibration", () => {
  it("serves the raw probabilities when they are calibrated already", () => {
    const { raw, labels } = simulate(5000, 1, (t) => t);
    const choice = chooseCalibration(raw, labels, { seed: 1 });
    expect(choice.method).toBe("none");
    expect(choice.calibration).toEqual({ method: "none" });
    expect(choice.candidates.map((c) => c.method)).toEqual(["none", "platt", "isotonic"]);
    expect(choice.reason).toMatch(/^no calibration: /);
    expect(choice.reason).toContain("(5-fold cross-validation on 5000 calibration rows)");
  });

  it("picks Platt for an over-confident model and undoes its slope", () => {
    // raw log-odds = 2.5 x the true log-odds: the fix is a = 1 / 2.5.
    const { raw, labels } = simulate(5000, 2, (t) => sigmoid(2.5 * logit(t)));
    const choice = chooseCalibration(raw, labels, { seed: 2 });
    expect(choice.method).toBe("platt");
    if (choice.calibration.method !== "platt") throw new Error("unreachable");
    expect(choice.calibration.a).toBeCloseTo(0.4, 1);
    expect(choice.calibration.b).toBeCloseTo(0, 0);
    expect(choice.reason).toMatch(/^Platt: the lowest CV log loss, [\d.]+ against raw [\d.]+, with CV ECE/);
  });

  it("picks isotonic for a distortion no logistic curve can undo", () => {
    // Monotone but S-shaped in the log-odds: a straight line in logit space cannot follow it.
    const { raw, labels } = simulate(20_000, 3, (t) => {
      const z = logit(t);
      return sigmoid(z + 2.5 * Math.sin(z));
    });
    const choice = chooseCalibration(raw, labels, { seed: 3 });
    expect(choice.method).toBe("isotonic");
    const [none, platt, isotonic] = choice.candidates;
    expect(isotonic!.cv_log_loss).toBeLessThan(platt!.cv_log_loss);
    expect(isotonic!.cv_ece).toBeLessThan(none!.cv_ece);
  });

  it("never chooses a method whose CV ECE or CV log loss is worse than raw", () => {
    for (let seed = 10; seed < 22; seed++) {
      // Mildly miscalibrated models, small splits: where noise makes the choice hard.
      const slope = 0.8 + (seed % 5) * 0.1;
      const { raw, labels } = simulate(600 + 300 * (seed % 4), seed, (t) => sigmoid(slope * logit(t) + 0.1 * (seed % 3)));
      const choice = chooseCalibration(raw, labels, { seed });
      const chosen = choice.candidates.find((c) => c.method === choice.method)!;
      const none = choice.candidates[0]!;
      expect(chosen.cv_ece, `seed ${seed}`).toBeLessThanOrEqual(none.cv_ece);
      expect(chosen.cv_log_loss, `seed ${seed}`).toBeLessThanOrEqual(none.cv_log_loss);
    }
  });

  it("prefers the simpler method when the better log loss is within one standard error", () => {
    // A tiny true correction on few rows: a fitted method may edge ahead in CV, but not by more
    // than noise, so the raw probabilities are kept.
    const { raw, labels } = simulate(800, 5, (t) => sigmoid(1.03 * logit(t)));
    const choice = chooseCalibration(raw, labels, { seed: 5 });
    const none = choice.candidates[0]!;
    const lower = choice.candidates.filter((c) => c.method !== "none" && c.cv_log_loss < none.cv_log_loss && c.cv_ece <= none.cv_ece);
    expect(lower.length).toBeGreaterThan(0); // the case this test is about
    expect(choice.method).toBe("none");
    expect(choice.reason).toMatch(/within one standard error \([\d.]+\), so the simpler method wins/);
  });

  it("does not serve a Platt fit that reverses the ranking", () => {
    // Scores ranked backwards (a mis-mapped output column): Platt's slope comes out negative.
    const { raw, labels } = simulate(3000, 5, (t) => 1 - t);
    const choice = chooseCalibration(raw, labels, { seed: 5 });
    expect(choice.method).not.toBe("platt");
    expect(checkCalibration(choice.calibration)).toEqual([]);
    expect(choice.reason).toMatch(/Platt's fit is unusable \(calibration\.a must be positive/);
  });

  it("refits the chosen method on every row, and is deterministic given the seed", () => {
    const { raw, labels } = simulate(3000, 6, (t) => sigmoid(1.8 * logit(t) - 0.4));
    const a = chooseCalibration(raw, labels, { seed: 9 });
    expect(a.calibration).toEqual(fitCalibration(a.method, raw, labels));
    expect(chooseCalibration(raw, labels, { seed: 9 })).toEqual(a);
    // Another seed gives other folds: other CV figures (the final fit does not depend on them).
    const b = chooseCalibration(raw, labels, { seed: 10 });
    expect(b.candidates[1]!.cv_log_loss).not.toBe(a.candidates[1]!.cv_log_loss);
    // "none" needs no fit, so its figures are the raw scores' own.
    expect(a.candidates[0]).toEqual({ method: "none", cv_log_loss: computeLogLoss(raw, labels), cv_ece: computeEce(raw, labels) });
  });

  it("scores every row out of fold", () => {
    // A 2-fold CV by hand: each half calibrated by the other half's fit.
    const { raw, labels } = simulate(1000, 7, (t) => sigmoid(1.5 * logit(t)));
    const choice = chooseCalibration(raw, labels, { folds: 2, seed: 3 });
    const fold = assignFolds(labels, 2, 3);
    const oof = new Array<number>(raw.length);
    for (const k of [0, 1]) {
      const rows = raw.map((_, i) => i).filter((i) => fold[i] !== k);
      const fitted = fitCalibration("platt", rows.map((i) => raw[i]!), rows.map((i) => labels[i]!));
      raw.forEach((r, i) => {
        if (fold[i] === k) oof[i] = calibrateProbability(fitted, r);
      });
    }
    expect(choice.candidates[1]!.cv_log_loss).toBeCloseTo(computeLogLoss(oof, labels), 12);
    expect(choice.candidates[1]!.cv_ece).toBeCloseTo(computeEce(oof, labels), 12);
  });

  it("deals the folds stratified", () => {
    const labels = Array.from({ length: 1003 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const fold = assignFolds(labels, 5, 1);
    for (let k = 0; k < 5; k++) {
      const members = labels.filter((_, i) => fold[i] === k);
      expect(members.length).toBeGreaterThanOrEqual(200);
      expect(members.length).toBeLessThanOrEqual(201);
      const positives = members.filter((y) => y === 1).length;
      expect(positives).toBeGreaterThanOrEqual(50);
      expect(positives).toBeLessThanOrEqual(51);
    }
  });

  it("refuses input it cannot choose on, saying why", () => {
    expect(() => chooseCalibration([0.1, 0.2], [0], {})).toThrow(/2 scores but 1 labels/);
    expect(() => chooseCalibration([0.1, 0.2], [0, 1], { folds: 1 })).toThrow(/folds must be an integer from 2 to 255, got 1/);
    expect(() => chooseCalibration([0.1, 0.2], [0, 1], { folds: 5 })).toThrow(/needs at least 5 rows, got 2/);
    expect(() => chooseCalibration([0.1, Number.NaN, 0.3, 0.4, 0.5], [0, 1, 0, 1, 0])).toThrow(/raw probability 1 must be a number in \[0, 1\], got NaN/);
    expect(() => chooseCalibration([0.1, 0.2, 0.3, 0.4, 0.5], [0, 2, 0, 1, 0])).toThrow(/label 1 must be 0 or 1, got 2/);
    expect(() => chooseCalibration([0.1, 0.2, 0.3, 0.4, 0.5], [0, 0, 0, 0, 0])).toThrow(/need both outcomes/);
  });
});
