import { describe, expect, it } from "vitest";
import { applyBins, binOf, computeBins, computeFeatureBins, MISSING_BIN } from "./binning.js";
import { createRandom, normal } from "./random.js";
import { makeDataset } from "./test-helpers.js";

describe("binning", () => {
  it("gives each distinct value its own bin when there are few, with cuts halfway between", () => {
    const { cuts } = computeFeatureBins(Float32Array.from([1, 1, 2, 4, 4, 4]), 255);
    expect(Array.from(cuts)).toEqual([1.5, 3]);
  });

  it("keeps at most maxBins bins and gives a heavy value its own bin", () => {
    const values = Float32Array.from([...new Array<number>(500).fill(0), ...Array.from({ length: 500 }, (_, i) => i + 1)]).sort();
    const { cuts } = computeFeatureBins(values, 16);
    expect(cuts.length).toBeLessThanOrEqual(15);
    expect(cuts[0]).toBe(0.5); // zero is half the data: a bin of its own
  });

  it("routes any float32 value by bin exactly as by threshold (x <= cuts[b] iff bin <= b)", () => {
    const rng = createRandom(11);
    const values = Float32Array.from({ length: 5000 }, () => Math.exp(3 * normal(rng)) * (rng.next() < 0.1 ? -1 : 1));
    const { cuts } = computeFeatureBins(values.slice().sort(), 32);
    // probe the training values, values between them, and float32 neighbours of every cut
    const probes: number[] = [...values, -1e30, 1e30];
    const buf = new Float32Array(1);
    const ints = new Int32Array(buf.buffer);
    for (const c of cuts) {
      buf[0] = c;
      const i = ints[0]!;
      for (const d of [-1, 0, 1]) {
        ints[0] = i + d;
        probes.push(buf[0]!);
      }
    }
    const mismatches: string[] = [];
    for (const x of probes) {
      const b = binOf(cuts, x);
      for (let k = 0; k < cuts.length; k++) if (x <= cuts[k]! !== b <= k) mismatches.push(`x=${x} bin=${b} cut ${k}=${cuts[k]}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("codes missing values as MISSING_BIN", () => {
    const data = makeDataset([[1, Number.NaN], [2, 5], [Number.NaN, 6]], [0, 1, 0]);
    const bins = computeBins(data, 255);
    const { codes } = applyBins(data, bins);
    expect(Array.from(codes)).toEqual([0, MISSING_BIN, 1, 0, MISSING_BIN, 1]);
  });
});
