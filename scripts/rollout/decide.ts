/**
 * The rollout's decisions, pure: which steps to take (`planPromotion`) and, after each check,
 * whether to wait, go on, promote, roll back or hold (`decideStep`). Time is passed in, so the
 * whole state machine is tested without waiting.
 *
 * Rules (issue 6):
 * - A step passes once it has run `bake_seconds` since it started or since its last failed
 *   check, and the latest check passed. A NOT ENOUGH DATA check never passes a step.
 * - `max_consecutive_failures` failed checks in a row roll back. PASS resets the count;
 *   NOT ENOUGH DATA leaves it as it is.
 * - At the deadline the run ends: with a failed check pending it rolls back; otherwise (no
 *   evidence yet, or a step not yet baked) it ends by `on_no_data` (hold or rollback).
 */

import type { RolloutPolicy } from "../policy/rollout-policy.js";
import type { Color, Split } from "../lib/stats.js";
import { PolicyError, resolveDeadlineSeconds, validatePolicy } from "./policy.js";
import { formatGateEvidence, type CheckResult, type GateRecord } from "./gates.js";

export interface PlannedStep {
  index: number;
  percent: number;
  bake_seconds: number;
}

export interface PromotionPlan {
  stable: Color;
  candidate: Color;
  starting_percent: number;
  steps: PlannedStep[];
  check_interval_seconds: number;
  window_seconds: number;
  deadline_seconds: number;
  /** Shortest possible run: every step baked once. */
  minimum_seconds: number;
}

/**
 * The steps of a rollout from the current split. A split already part-way through resumes at
 * its current percentage (it is re-baked, since nothing says it was judged) and goes on from
 * there; steps below it are skipped, never walked back down.
 */
export function planPromotion(policy: RolloutPolicy, split: Pick<Split, "stable" | "candidate" | "candidate_percent">): PromotionPlan {
  validatePolicy(policy);
  if (split.stable === split.candidate) {
    throw new PolicyError(`the split names ${split.stable} as both stable and candidate; fix it with PUT /admin/split first`);
  }
  const current = split.candidate_percent;
  const percents = policy.steps.filter((p) => p > current);
  if (current > 0) percents.unshift(current);
  const steps = percents.map((percent, index) => ({ index, percent, bake_seconds: policy.bake_seconds }));
  const minimum = steps.reduce((s, step) => s + step.bake_seconds, 0);
  return {
    stable: split.stable,
    candidate: split.candidate,
    starting_percent: current,
    steps,
    check_interval_seconds: policy.check_interval_seconds,
    window_seconds: policy.window_seconds,
    deadline_seconds: resolveDeadlineSeconds(policy, steps.length),
    minimum_seconds: minimum,
  };
}

export interface StepState {
  step_index: number;
  /** ms since epoch */
  step_started_at: number;
  /** When the current bake began: the step's start, or its last failed check. */
  bake_started_at: number;
  consecutive_failures: number;
  checks: number;
  failed_checks: number;
}

export function startStep(stepIndex: number, now: number): StepState {
  return { step_index: stepIndex, step_started_at: now, bake_started_at: now, consecutive_failures: 0, checks: 0, failed_checks: 0 };
}

export type StepAction = "wait" | "advance" | "promote" | "rollback" | "hold";

export interface StepDecision {
  action: StepAction;
  reason: string;
  state: StepState;
  /** Seconds the step has baked without a failure, and how many it needs. */
  baked_seconds: number;
  bake_seconds: number;
}

export interface DecideStepInput {
  policy: RolloutPolicy;
  plan: PromotionPlan;
  state: StepState;
  check: CheckResult;
  now: number;
  /** ms since epoch */
  deadline: number;
}

/** The failing gates with their evidence, so a rollback's reason says what was measured against what. */
function failedGates(gates: readonly GateRecord[]): string {
  return gates
    .filter((g) => g.verdict === "FAIL")
    .map(formatGateEvidence)
    .join("; ");
}

export function decideStep(input: DecideStepInput): StepDecision {
  const { policy, plan, check, now, deadline } = input;
  const step = plan.steps[input.state.step_index];
  if (!step) throw new RangeError(`decideStep: no step ${input.state.step_index} in the plan`);
  const state: StepState = { ...input.state, checks: input.state.checks + 1 };

  if (check.verdict === "FAIL") {
    state.consecutive_failures += 1;
    state.failed_checks += 1;
    state.bake_started_at = now; // a failure restarts the bake: the step must run clean for its full time
  } else if (check.verdict === "PASS") {
    state.consecutive_failures = 0;
  }

  const baked = Math.max(0, (now - state.bake_started_at) / 1000);
  const result = (action: StepAction, reason: string): StepDecision => ({ action, reason, state, baked_seconds: baked, bake_seconds: step.bake_seconds });
  const isLast = state.step_index === plan.steps.length - 1;

  if (check.verdict === "FAIL" && state.consecutive_failures >= policy.max_consecutive_failures) {
    return result("rollback", `${state.consecutive_failures} consecutive failed checks at ${step.percent}% (failed: ${failedGates(check.gates)})`);
  }
  if (check.verdict === "PASS" && baked >= step.bake_seconds) {
    return isLast
      ? result("promote", `step ${step.percent}% baked ${Math.round(baked)}s with every gate passing: promoting ${plan.candidate} to stable`)
      : result("advance", `step ${step.percent}% baked ${Math.round(baked)}s with every gate passing`);
  }
  if (now >= deadline) {
    if (state.consecutive_failures > 0) {
      return result("rollback", `deadline reached at ${step.percent}% with ${state.consecutive_failures} failed check(s) pending`);
    }
    const why = check.verdict === "NOT ENOUGH DATA" ? "NOT ENOUGH DATA" : `step ${step.percent}% baked only ${Math.round(baked)}s of ${step.bake_seconds}s`;
    return result(policy.on_no_data, `deadline reached at ${step.percent}% with ${why}: on_no_data=${policy.on_no_data}`);
  }
  if (check.verdict === "FAIL") {
    return result("wait", `failed check ${state.consecutive_failures} of ${policy.max_consecutive_failures} allowed in a row (failed: ${failedGates(check.gates)}); bake restarts`);
  }
  if (check.verdict === "NOT ENOUGH DATA") {
    return result("wait", `NOT ENOUGH DATA at ${step.percent}%: waiting for more traffic (never promotes on no evidence)`);
  }
  return result("wait", `baking ${step.percent}%: ${Math.round(baked)}s of ${step.bake_seconds}s`);
}

/**
 * The stats window for a check: the policy's window, but never reaching back before the run
 * started (a previous deployment's numbers must not count), rounded up to the router's 10 s
 * buckets and at least one bucket.
 */
export function effectiveWindowSeconds(policy: RolloutPolicy, runStartedAt: number, now: number): number {
  const elapsed = Math.max(0, (now - runStartedAt) / 1000);
  const rounded = Math.max(10, Math.ceil(elapsed / 10) * 10);
  return Math.min(policy.window_seconds, rounded);
}
