import { describe, expect, it } from "vitest";
import { createRandom } from "./random.js";
import { splitStratified } from "./split.js";

describe("splitStratified", () => {
  const rng = createRandom(1);
  const labels = Array.from({ length: 1003 }, () => (rng.next() < 0.2 ? 1 : 0));

  it("uses every row exactly once and keeps the success rate in each split", () => {
    const split = splitStratified(labels, 42);
    const all = [...split.train, ...split.validation, ...split.calibration, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual(labels.map((_, i) => i));
    const rate = labels.reduce<number>((s, y) => s + y, 0) / labels.length;
    for (const part of [split.train, split.validation, split.calibration, split.test]) {
      const partRate = Array.from(part).reduce((s, i) => s + labels[i]!, 0) / part.length;
      expect(Math.abs(partRate - rate)).toBeLessThan(0.01);
    }
    expect(Math.abs(split.train.length - 0.6 * labels.length)).toBeLessThanOrEqual(2);
    expect(Math.abs(split.test.length - 0.15 * labels.length)).toBeLessThanOrEqual(2);
  });

  it("depends only on labels and seed", () => {
    expect(splitStratified(labels, 42)).toEqual(splitStratified(labels, 42));
    expect(splitStratified(labels, 43).test).not.toEqual(splitStratified(labels, 42).test);
  });

  it("rejects fractions that do not add up", () => {
    expect(() => splitStratified(labels, 1, { train: 0.5, validation: 0.2, calibration: 0.2, test: 0.2 })).toThrow(/sum to 1/);
  });
});
