import { describe, expect, it } from "vitest";
import { validateFeatures } from "../../core/encoding.js";
import { FEATURES, FUNDING_STAGES } from "../../core/schema.js";
import { computeAuc } from "./metrics.js";
import { generateSynthetic } from "./synthetic.js";

describe("generateSynthetic", () => {
  const { rows, trueLogOdds, successRate } = generateSynthetic({ rows: 20_000, seed: 7 });

  it("is deterministic for a seed", () => {
    const once = generateSynthetic({ rows: 300, seed: 7 });
    const again = generateSynthetic({ rows: 300, seed: 7 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(once));
    expect(JSON.stringify(generateSynthetic({ rows: 300, seed: 8 }).rows)).not.toBe(JSON.stringify(once.rows));
  });

  it("produces only values the schema accepts, in canonical form", () => {
    for (const row of rows) {
      const { values, issues, unknownFields } = validateFeatures(row.features);
      expect(issues).toEqual([]);
      expect(unknownFields).toEqual([]);
      expect(values).toEqual(row.features);
    }
  });

  it("has a success rate near 19%", () => {
    expect(successRate).toBeGreaterThan(0.17);
    expect(successRate).toBeLessThan(0.21);
  });

  it("leaves more fields empty at early stages", () => {
    const missingShare = (stage: string): number => {
      const group = rows.filter((r) => r.features.funding_stage === stage);
      const missing = group.reduce((s, r) => s + FEATURES.length - Object.keys(r.features).length, 0);
      return missing / (group.length * FEATURES.length);
    };
    expect(missingShare("pre_seed")).toBeGreaterThan(1.8 * missingShare("series_b"));
  });

  it("has stage-dependent, heavy-tailed money", () => {
    const raised = (stage: (typeof FUNDING_STAGES)[number]): number[] =>
      rows.flatMap((r) => (r.features.funding_stage === stage && typeof r.features.total_capital_raised_usd === "number" ? [r.features.total_capital_raised_usd] : [])).sort((a, b) => a - b);
    const median = (v: number[]): number => v[Math.floor(v.length / 2)]!;
    const seed = raised("seed");
    expect(median(raised("series_b"))).toBeGreaterThan(10 * median(seed));
    expect(seed[Math.floor(seed.length * 0.99)]!).toBeGreaterThan(4 * median(seed)); // a long right tail
  });

  it("has a learnable signal that spans the whole probability range", () => {
    const labels = rows.map((r) => (r.success ? 1 : 0));
    expect(computeAuc(trueLogOdds, labels)).toBeGreaterThan(0.88);
    const p = Array.from(trueLogOdds, (z) => 1 / (1 + Math.exp(-z)));
    expect(p.filter((x) => x < 0.02).length).toBeGreaterThan(rows.length * 0.1);
    expect(p.filter((x) => x > 0.9).length).toBeGreaterThan(rows.length * 0.02);
  });

  it("refuses a bad row count", () => {
    expect(() => generateSynthetic({ rows: 0, seed: 1 })).toThrow(/positive integer/);
  });
});
