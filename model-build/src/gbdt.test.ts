import { describe, expect, it } from "vitest";
import { trainGbdt } from "./gbdt.js";
import { computeAuc } from "./metrics.js";
import { createRandom } from "./random.js";
import { makeDataset } from "./test-helpers.js";
import { predictProbabilities, type TreeEnsemble } from "./tree-model.js";

const exact = { rowSubsample: 1, columnSubsample: 1, minChildWeight: 0, l2: 0 } as const;

function predict(model: TreeEnsemble, rows: readonly (readonly number[])[]): number[] {
  return Array.from(predictProbabilities(model, Float32Array.from(rows.flat()), rows.length));
}

describe("trainGbdt fits known problems", () => {
  it("finds a step function's threshold and separates it completely", () => {
    const xs = Array.from({ length: 200 }, (_, i) => i / 199);
    const data = makeDataset(xs.map((x) => [x]), xs.map((x) => (x > 0.5 ? 1 : 0)));
    const { model } = trainGbdt(data, null, { ...exact, maxDepth: 1, maxIterations: 30, learningRate: 0.5 });
    const root = model.trees[0]!.nodes[0]!;
    expect(root.kind).toBe("split");
    if (root.kind === "split") {
      // halfway between the last x <= 0.5 (99/199) and the first x > 0.5 (100/199)
      expect(root.threshold).toBe(Math.fround(99.5 / 199));
    }
    const p = predict(model, xs.map((x) => [x]));
    xs.forEach((x, i) => (x > 0.5 ? expect(p[i]).toBeGreaterThan(0.99) : expect(p[i]).toBeLessThan(0.01)));
  });

  it("fits XOR with depth 2 but not with depth 1 (which is additive)", () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    // unequal quadrant sizes, so the first split has a positive gain
    const quadrants: [number, number, number, number][] = [[0, 0, 40, 0], [0, 1, 30, 1], [1, 0, 20, 1], [1, 1, 10, 0]];
    for (const [a, b, n, y] of quadrants) {
      for (let i = 0; i < n; i++) {
        rows.push([a, b]);
        labels.push(y);
      }
    }
    const data = makeDataset(rows, labels);
    const deep = trainGbdt(data, null, { ...exact, maxDepth: 2, maxIterations: 50, learningRate: 0.5 }).model;
    const p = predict(deep, rows);
    labels.forEach((y, i) => (y ? expect(p[i]).toBeGreaterThan(0.95) : expect(p[i]).toBeLessThan(0.05)));
    const shallow = trainGbdt(data, null, { ...exact, maxDepth: 1, maxIterations: 50, learningRate: 0.5 }).model;
    // An additive score ranks (1,1) above (0,1) and (1,0) once both beat (0,0): AUC <= 0.8.
    expect(computeAuc(predict(shallow, rows), labels)).toBeLessThanOrEqual(0.8 + 1e-9);
  });

  it("learns where missing values go from the training data", () => {
    const rng = createRandom(5);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const x = rng.next();
      const missing = rng.next() < 0.3;
      rows.push([missing ? Number.NaN : x, rng.next()]);
      // missing rows mostly succeed; present rows succeed when x > 0.7
      labels.push(missing ? (rng.next() < 0.9 ? 1 : 0) : x > 0.7 ? 1 : 0);
    }
    const { model } = trainGbdt(makeDataset(rows, labels), null, { ...exact, maxDepth: 2, maxIterations: 40, learningRate: 0.3, minChildWeight: 1 });
    const [nan, low, high] = predict(model, [[Number.NaN, 0.5], [0.2, 0.5], [0.9, 0.5]]);
    expect(nan).toBeGreaterThan(0.8);
    expect(low).toBeLessThan(0.1);
    expect(high).toBeGreaterThan(0.9);
    // and the opposite: missing rows mostly fail
    const flipped = labels.map((y, i) => (Number.isNaN(rows[i]![0]) ? 1 - y : y));
    const other = trainGbdt(makeDataset(rows, flipped), null, { ...exact, maxDepth: 2, maxIterations: 40, learningRate: 0.3, minChildWeight: 1 }).model;
    expect(predict(other, [[Number.NaN, 0.5]])[0]).toBeLessThan(0.2);
  });

  it("sends missing values that training never saw to the heavier side", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const data = makeDataset(xs.map((x) => [x]), xs.map((x) => (x >= 80 ? 1 : 0)));
    const { model } = trainGbdt(data, null, { ...exact, maxDepth: 1, maxIterations: 20, learningRate: 0.5 });
    expect(predict(model, [[Number.NaN]])[0]).toBeLessThan(0.05); // 80 rows left vs 20 right
  });
});

describe("trainGbdt settings", () => {
  const rng = createRandom(9);
  const rows = Array.from({ length: 600 }, () => [rng.next(), rng.next(), rng.next() < 0.2 ? Number.NaN : rng.next()]);
  const labels = rows.map((r) => (r[0]! + r[1]! * r[1]! + (rng.next() - 0.5) > 0.9 ? 1 : 0));
  const data = makeDataset(rows, labels);
  const validation = makeDataset(rows.slice(0, 150), labels.slice(0, 150));

  it("is deterministic for a seed and varies with it when subsampling", () => {
    const options = { maxIterations: 30, rowSubsample: 0.7, columnSubsample: 0.67 };
    const a = trainGbdt(data, null, { ...options, seed: 1 }).model;
    const b = trainGbdt(data, null, { ...options, seed: 1 }).model;
    const c = trainGbdt(data, null, { ...options, seed: 2 }).model;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it("respects the depth limit and the minimum child weight", () => {
    const { model } = trainGbdt(data, null, { maxIterations: 20, maxDepth: 3, minChildWeight: 5 });
    for (const tree of model.trees) {
      const depth = (i: number): number => {
        const n = tree.nodes[i]!;
        return n.kind === "leaf" ? 0 : 1 + Math.max(depth(n.left), depth(n.right));
      };
      expect(depth(0)).toBeLessThanOrEqual(3);
      // covers are measured on the row sample the tree saw, which is what the limit applies to
      for (const n of tree.nodes) if (n.kind === "leaf") expect(n.cover).toBeGreaterThanOrEqual(5);
    }
  });

  it("stops early when the validation loss stops improving and keeps the best trees", () => {
    const noise = makeDataset(rows, rows.map(() => (rng.next() < 0.3 ? 1 : 0)));
    const result = trainGbdt(noise, validation, { maxIterations: 300, earlyStoppingRounds: 10 });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.length).toBe(result.bestIteration + 10);
    expect(result.model.trees).toHaveLength(result.bestIteration);
    const best = Math.min(...result.history.map((h) => h.validationLoss!));
    expect(result.history[result.bestIteration - 1]!.validationLoss).toBe(best);
  });

  it("starts from the base rate's log-odds and reports gain per feature", () => {
    const result = trainGbdt(data, null, { maxIterations: 10 });
    const rate = labels.reduce<number>((s, y) => s + y, 0) / labels.length;
    expect(result.model.baseMargin).toBeCloseTo(Math.log(rate / (1 - rate)), 5);
    expect(result.featureGain[0]).toBeGreaterThan(0);
    expect(result.featureGain.length).toBe(3);
  });

  it("rejects settings it cannot honour", () => {
    expect(() => trainGbdt(data, null, { learningRate: 0 })).toThrow(/learningRate/);
    expect(() => trainGbdt(data, null, { maxDepth: 0 })).toThrow(/maxDepth/);
    expect(() => trainGbdt(makeDataset([], []), null)).toThrow(/empty/);
  });
});
