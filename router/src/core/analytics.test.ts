import { describe, expect, it } from "vitest";
import { AE_LIMITS, buildDataPoint, dataPointProblems } from "./analytics";

describe("Analytics Engine data points", () => {
  it("follow the column contract and the documented limits", () => {
    const point = buildDataPoint({
      version: "green",
      route: "/predict",
      statusClass: "2xx",
      cache: "hit",
      verdict: "pass",
      latencyMs: 3.5,
      probability: 0.71,
      fellBack: false,
    });
    expect(point).toEqual({ blobs: ["green", "/predict", "2xx", "hit", "pass"], doubles: [3.5, 0.71, 0], indexes: ["green"] });
    expect(dataPointProblems(point)).toEqual([]);
    const empty = buildDataPoint({ version: "blue", route: "other", statusClass: "5xx", cache: null, verdict: null, latencyMs: 2000, probability: null, fellBack: true });
    expect(empty.blobs[3]).toBe("none");
    expect(empty.doubles).toEqual([2000, -1, 1]);
    expect(dataPointProblems(empty)).toEqual([]);
  });

  it("names each limit a point breaks", () => {
    expect(dataPointProblems({ blobs: [], doubles: [], indexes: ["a", "b"] })).toEqual([`more than ${AE_LIMITS.indexes} index`]);
    expect(dataPointProblems({ blobs: ["x".repeat(AE_LIMITS.blobBytes + 1)], doubles: [Number.NaN], indexes: ["y".repeat(97)] })).toHaveLength(3);
  });
});
