import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LATENCY_ANCHORS_MS,
  LATENCY_EDGES_MS,
  LATENCY_MAX_RATIO,
  PREDICTION_EDGES,
  binIndex,
  buildLogEdges,
  emptyCounts,
  quantile,
} from "./histogram";

/** Nearest-rank quantile of raw values: the exact answer the histogram approximates. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("log-spaced latency edges", () => {
  it("never grow by more than 10% and hit every anchor exactly", () => {
    for (let i = 2; i < LATENCY_EDGES_MS.length; i++) {
      expect(LATENCY_EDGES_MS[i]! / LATENCY_EDGES_MS[i - 1]!).toBeLessThanOrEqual(LATENCY_MAX_RATIO + 1e-5);
    }
    for (const anchor of LATENCY_ANCHORS_MS) expect(LATENCY_EDGES_MS).toContain(anchor);
    expect(LATENCY_EDGES_MS[0]).toBe(0);
    expect(LATENCY_EDGES_MS.length).toBeLessThan(200);
  });

  it("rejects anchors that do not ascend", () => {
    expect(() => buildLogEdges([1, 1], 1.1)).toThrow();
    expect(() => buildLogEdges([1], 1.1)).toThrow();
  });
});

describe("binIndex", () => {
  it("follows the Prometheus le rule: a bin holds (lower, upper]", () => {
    expect(binIndex(PREDICTION_EDGES, 0)).toBe(0);
    expect(binIndex(PREDICTION_EDGES, 0.05)).toBe(0);
    expect(binIndex(PREDICTION_EDGES, 0.050001)).toBe(1);
    expect(binIndex(PREDICTION_EDGES, 0.15)).toBe(2);
    expect(binIndex(PREDICTION_EDGES, 1)).toBe(19);
    expect(binIndex(PREDICTION_EDGES, 7)).toBe(19);
    expect(binIndex(PREDICTION_EDGES, Number.NaN)).toBe(0);
  });

  it("agrees with a linear scan", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 200_000, noNaN: true }), (v) => {
        const bins = LATENCY_EDGES_MS.length - 1;
        let expected = bins - 1;
        for (let i = 0; i < bins; i++) {
          if (i === 0 ? v <= LATENCY_EDGES_MS[1]! : v > LATENCY_EDGES_MS[i]! && v <= LATENCY_EDGES_MS[i + 1]!) {
            expected = i;
            break;
          }
        }
        expect(binIndex(LATENCY_EDGES_MS, v)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("percentiles from the histogram", () => {
  const distributions: Record<string, (r: () => number) => number> = {
    // Latency-like: log-normal around 4 ms with a long tail.
    lognormal: (r) => Math.exp(Math.log(4) + 0.8 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
    uniform: (r) => 0.5 + 300 * r(),
    bimodal: (r) => (r() < 0.9 ? 2 + r() : 250 + 100 * r()),
    constant: () => 7.3,
  };

  for (const [name, draw] of Object.entries(distributions)) {
    it(`reads p50, p95 and p99 within 5% of the exact values (${name})`, () => {
      const random = seeded(name.length * 7919);
      const values = Array.from({ length: 20_000 }, () => draw(random));
      const counts = emptyCounts(LATENCY_EDGES_MS);
      for (const v of values) counts[binIndex(LATENCY_EDGES_MS, v)]! += 1;
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0.5, 0.95, 0.99]) {
        const exact = exactQuantile(sorted, q);
        const estimate = quantile(LATENCY_EDGES_MS, counts, q)!;
        expect(Math.abs(estimate - exact) / exact, `q=${q} exact=${exact} estimate=${estimate}`).toBeLessThanOrEqual(0.05);
      }
    });
  }

  // Above the first edge (0.1 ms, below the Workers clock's resolution) the bound is guaranteed.
  it("holds the 5% bound for any sample above 0.1 ms (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.1000001, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.constantFrom(0.5, 0.95, 0.99), (values, q) => {
        const counts = emptyCounts(LATENCY_EDGES_MS);
        for (const v of values) counts[binIndex(LATENCY_EDGES_MS, v)]! += 1;
        const exact = exactQuantile([...values].sort((a, b) => a - b), q);
        expect(Math.abs(quantile(LATENCY_EDGES_MS, counts, q)! - exact) / exact).toBeLessThanOrEqual(0.05);
      }),
      { numRuns: 500 },
    );
  });

  it("is null for an empty histogram", () => {
    expect(quantile(LATENCY_EDGES_MS, emptyCounts(LATENCY_EDGES_MS), 0.5)).toBeNull();
  });
});
