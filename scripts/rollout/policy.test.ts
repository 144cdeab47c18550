import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../policy/rollout-policy.js";
import { defaultPolicy, mergePolicy, PolicyError, resolveDeadlineSeconds, validatePolicy } from "./policy.js";

describe("the example policies in scripts/policy/examples and test/e2e/support", () => {
  it("each merge onto the defaults and validate (unknown fields are refused, so a typo fails here)", () => {
    const dirs = [join(import.meta.dirname, "..", "policy", "examples"), join(import.meta.dirname, "..", "..", "test", "e2e", "support")];
    const files = dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => join(dir, f)));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) expect(() => validatePolicy(mergePolicy(defaultPolicy(), JSON.parse(readFileSync(file, "utf8")), file)), file).not.toThrow();
    const retrained = validatePolicy(mergePolicy(defaultPolicy(), JSON.parse(readFileSync(join(dirs[0]!, "retrained-model.json"), "utf8"))));
    expect(retrained.predictions.max_psi).toBe(0.5);
    expect(retrained.predictions.min_std).toBe(0.05);
  });
});

describe("the default policy", () => {
  it("is valid and carries the issue's thresholds", () => {
    const p = validatePolicy(defaultPolicy());
    expect(p.steps).toEqual([5, 25, 50, 75, 100]);
    expect(p).toMatchObject({ bake_seconds: 600, check_interval_seconds: 30, max_consecutive_failures: 2, on_no_data: "rollback", min_samples: 200 });
    expect(p.error_rate).toEqual({ max: 0.01, confidence: 0.95 });
    expect(p.latency).toEqual({ max_p99_ms: 300, max_ratio_to_stable: 1.5, slack_ms: 5 });
    expect(p.predictions.min_std).toBe(0.05);
    expect(p.predictions.max_psi).toBe(0.2);
  });

  it("is copied, never shared", () => {
    const p = defaultPolicy();
    p.steps.push(1000);
    expect(DEFAULT_POLICY.steps).toEqual([5, 25, 50, 75, 100]);
  });
});

describe("mergePolicy", () => {
  it("overrides nested fields and keeps the rest", () => {
    const p = mergePolicy(defaultPolicy(), { bake_seconds: 5, error_rate: { max: 0.005 }, $comment: "test" });
    expect(p.bake_seconds).toBe(5);
    expect(p.error_rate).toEqual({ max: 0.005, confidence: 0.95 });
    expect(p.latency.max_p99_ms).toBe(300);
  });

  it("rejects unknown settings so a typo cannot leave a default in force", () => {
    expect(() => mergePolicy(defaultPolicy(), { bake_second: 5 }, "my.json")).toThrow(/my\.json\.bake_second: unknown setting/);
    expect(() => mergePolicy(defaultPolicy(), { latency: { p99: 5 } })).toThrow(/policy\.latency\.p99: unknown setting/);
    expect(() => mergePolicy(defaultPolicy(), [1, 2])).toThrow(PolicyError);
  });
});

describe("validatePolicy", () => {
  const bad: Array<[string, (p: ReturnType<typeof defaultPolicy>) => void, RegExp]> = [
    ["empty steps", (p) => (p.steps = []), /non-empty/],
    ["step above 100", (p) => (p.steps = [5, 150]), /steps\[1\]/],
    ["no final 100", (p) => (p.steps = [5, 50]), /last step must be 100/],
    ["negative interval", (p) => (p.check_interval_seconds = -1), /check_interval_seconds/],
    ["fractional failures", (p) => (p.max_consecutive_failures = 1.5), /max_consecutive_failures/],
    ["bad on_no_data", (p) => ((p as { on_no_data: string }).on_no_data = "pause"), /on_no_data/],
    ["error cap above 1", (p) => (p.error_rate.max = 2), /error_rate\.max/],
    ["confidence 1", (p) => (p.error_rate.confidence = 1), /error_rate\.confidence/],
    ["ratio below 1", (p) => (p.latency.max_ratio_to_stable = 0.5), /max_ratio_to_stable/],
    ["epsilon 0", (p) => (p.predictions.psi_epsilon = 0), /psi_epsilon/],
    ["deadline 0", (p) => (p.deadline_seconds = 0), /deadline_seconds/],
  ];
  for (const [name, mutate, message] of bad) {
    it(`rejects ${name}`, () => {
      const p = defaultPolicy();
      mutate(p);
      expect(() => validatePolicy(p)).toThrow(message);
    });
  }
});

describe("resolveDeadlineSeconds", () => {
  it("is explicit when set, else deadline_factor x total bake", () => {
    expect(resolveDeadlineSeconds({ ...defaultPolicy(), deadline_seconds: 42 })).toBe(42);
    expect(resolveDeadlineSeconds({ ...defaultPolicy(), bake_seconds: 10, deadline_factor: 3 }, 4)).toBe(120);
  });
});
