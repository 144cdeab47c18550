import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, type RolloutPolicy } from "../policy/rollout-policy.js";
import { decideStep, effectiveWindowSeconds, planPromotion, startStep, type PromotionPlan, type StepState } from "./decide.js";
import type { CheckResult, CheckVerdict } from "./gates.js";
import { PolicyError } from "./policy.js";

function policy(over: Partial<RolloutPolicy> = {}): RolloutPolicy {
  return { ...structuredClone(DEFAULT_POLICY), ...over };
}

const split = { stable: "blue" as const, candidate: "green" as const, candidate_percent: 0 };

function check(verdict: CheckVerdict, failing = "error_rate"): CheckResult {
  return {
    verdict,
    window_seconds: 300,
    gates: [{ gate: failing, verdict, value: 0.05, threshold: "<= 1.00%", window_seconds: 300, sample_size: 400, min_samples: 200, detail: "" }],
  };
}

describe("planPromotion", () => {
  it("plans the v1 guide's steps by default", () => {
    const plan = planPromotion(policy(), split);
    expect(plan.steps.map((s) => s.percent)).toEqual([5, 25, 50, 75, 100]);
    expect(plan.steps.every((s) => s.bake_seconds === 600)).toBe(true);
    expect(plan).toMatchObject({ stable: "blue", candidate: "green", starting_percent: 0, check_interval_seconds: 30, window_seconds: 300 });
    expect(plan.minimum_seconds).toBe(3000);
    expect(plan.deadline_seconds).toBe(6000); // 2 x total bake
  });

  it("takes configured steps, bake time and deadline", () => {
    const plan = planPromotion(policy({ steps: [10, 50, 100], bake_seconds: 60, deadline_seconds: 900 }), split);
    expect(plan.steps.map((s) => s.percent)).toEqual([10, 50, 100]);
    expect(plan.minimum_seconds).toBe(180);
    expect(plan.deadline_seconds).toBe(900);
  });

  it("resumes a split part-way through: re-bakes the current share, never walks back down", () => {
    expect(planPromotion(policy(), { ...split, candidate_percent: 25 }).steps.map((s) => s.percent)).toEqual([25, 50, 75, 100]);
    expect(planPromotion(policy(), { ...split, candidate_percent: 30 }).steps.map((s) => s.percent)).toEqual([30, 50, 75, 100]);
    expect(planPromotion(policy(), { ...split, candidate_percent: 100 }).steps.map((s) => s.percent)).toEqual([100]);
  });

  it("rejects invalid policies and splits with a message naming the problem", () => {
    expect(() => planPromotion(policy({ steps: [5, 50] }), split)).toThrow(/last step must be 100/);
    expect(() => planPromotion(policy({ steps: [50, 25, 100] }), split)).toThrow(/increase strictly/);
    expect(() => planPromotion(policy({ bake_seconds: 0 }), split)).toThrow(/bake_seconds/);
    expect(() => planPromotion(policy(), { ...split, candidate: "blue" })).toThrow(PolicyError);
  });
});

describe("decideStep", () => {
  const p = policy({ steps: [5, 25, 100], bake_seconds: 60, max_consecutive_failures: 2 });
  const plan: PromotionPlan = planPromotion(p, split);
  const t0 = 1_000_000;
  const deadline = t0 + 3_600_000;
  const s = (sec: number) => t0 + sec * 1000;

  function run(steps: Array<[number, CheckVerdict]>, state: StepState = startStep(0, t0), pol = p, dl = deadline) {
    const decisions = [];
    for (const [sec, verdict] of steps) {
      const d = decideStep({ policy: pol, plan, state, check: check(verdict), now: s(sec), deadline: dl });
      decisions.push(d);
      state = d.state;
    }
    return decisions;
  }

  it("waits while baking and advances once the bake time passed with the latest check passing", () => {
    const d = run([
      [30, "PASS"],
      [60, "PASS"],
    ]);
    expect(d[0]!.action).toBe("wait");
    expect(d[0]!.reason).toContain("30s of 60s");
    expect(d[1]!.action).toBe("advance");
  });

  it("promotes after the last step's bake", () => {
    const d = decideStep({ policy: p, plan, state: startStep(2, t0), check: check("PASS"), now: s(61), deadline });
    expect(d.action).toBe("promote");
  });

  it("never advances on NOT ENOUGH DATA, however long the step ran", () => {
    const d = run([
      [30, "NOT ENOUGH DATA"],
      [600, "NOT ENOUGH DATA"],
      [1200, "NOT ENOUGH DATA"],
    ]);
    expect(d.map((x) => x.action)).toEqual(["wait", "wait", "wait"]);
    expect(d[2]!.reason).toContain("NOT ENOUGH DATA");
  });

  it("rolls back after the configured number of consecutive failures", () => {
    const d = run([
      [30, "FAIL"],
      [60, "FAIL"],
    ]);
    expect(d[0]!.action).toBe("wait");
    expect(d[0]!.reason).toContain("failed check 1 of 2");
    expect(d[1]!.action).toBe("rollback");
    expect(d[1]!.reason).toMatch(/2 consecutive failed checks at 5% \(failed: error_rate \S+ \(threshold [^,]+, n=\d+\)\)/);
  });

  it("rolls back at once with max_consecutive_failures = 1", () => {
    const d = run([[30, "FAIL"]], startStep(0, t0), { ...p, max_consecutive_failures: 1 });
    expect(d[0]!.action).toBe("rollback");
  });

  it("a passing check resets the failure count; NOT ENOUGH DATA does not", () => {
    expect(run([[30, "FAIL"], [60, "PASS"], [90, "FAIL"]]).map((x) => x.action)).toEqual(["wait", "wait", "wait"]);
    expect(run([[30, "FAIL"], [60, "NOT ENOUGH DATA"], [90, "FAIL"]]).map((x) => x.action)).toEqual(["wait", "wait", "rollback"]);
  });

  it("a failed check restarts the bake: the step needs its full bake time clean", () => {
    const d = run([
      [50, "FAIL"],
      [70, "PASS"],
      [100, "PASS"],
      [110, "PASS"],
    ]);
    expect(d.map((x) => x.action)).toEqual(["wait", "wait", "wait", "advance"]);
    expect(d[3]!.baked_seconds).toBe(60);
  });

  it("at the deadline with no evidence ends by on_no_data", () => {
    const early = t0 + 100_000;
    const rollback = run([[100, "NOT ENOUGH DATA"]], startStep(0, t0), { ...p, on_no_data: "rollback" }, early);
    expect(rollback[0]!.action).toBe("rollback");
    expect(rollback[0]!.reason).toContain("on_no_data=rollback");
    const hold = run([[100, "NOT ENOUGH DATA"]], startStep(0, t0), { ...p, on_no_data: "hold" }, early);
    expect(hold[0]!.action).toBe("hold");
  });

  it("at the deadline with a failure pending rolls back whatever on_no_data says", () => {
    const d = run([[100, "FAIL"]], startStep(0, t0), { ...p, on_no_data: "hold", max_consecutive_failures: 3 }, t0 + 100_000);
    expect(d[0]!.action).toBe("rollback");
    expect(d[0]!.reason).toContain("deadline");
  });

  it("at the deadline with a step passing but not baked ends by on_no_data", () => {
    const d = run([[30, "PASS"]], startStep(0, t0), { ...p, on_no_data: "hold" }, t0 + 30_000);
    expect(d[0]!.action).toBe("hold");
    expect(d[0]!.reason).toContain("baked only 30s of 60s");
  });

  it("counts checks and failures in the state", () => {
    const d = run([
      [10, "FAIL"],
      [20, "PASS"],
      [30, "NOT ENOUGH DATA"],
    ]);
    expect(d[2]!.state).toMatchObject({ checks: 3, failed_checks: 1, consecutive_failures: 0 });
  });
});

describe("effectiveWindowSeconds", () => {
  const p = policy({ window_seconds: 300 });
  it("never reaches back before the run started, in 10 s buckets", () => {
    expect(effectiveWindowSeconds(p, 0, 3_000)).toBe(10);
    expect(effectiveWindowSeconds(p, 0, 41_000)).toBe(50);
    expect(effectiveWindowSeconds(p, 0, 3_600_000)).toBe(300);
  });
});
