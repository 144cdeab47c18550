/**
 * Merging and validating rollout policies. Pure: the CLI reads the files and flags, this decides
 * whether the result makes sense and says which field breaks which rule.
 */

import { DEFAULT_POLICY, type RolloutPolicy } from "../policy/rollout-policy.js";

export class PolicyError extends Error {
  override name = "PolicyError";
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Deep-merges `override` into `base`. Unknown keys are an error (a typo in a policy file must not
 * silently leave a default in force).
 */
export function mergePolicy(base: RolloutPolicy, override: unknown, path = "policy"): RolloutPolicy {
  if (!isObject(override)) throw new PolicyError(`${path}: expected a JSON object`);
  return mergeInto(base as unknown as Json, override, path) as unknown as RolloutPolicy;
}

function mergeInto(base: Json, override: Json, path: string): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (key.startsWith("$") || key === "comment") continue; // "$comment", "$schema": documentation in the file
    if (!(key in base)) {
      const known = Object.keys(base).join(", ");
      throw new PolicyError(`${path}.${key}: unknown setting (known: ${known})`);
    }
    const current = base[key];
    out[key] = isObject(current) && isObject(value) ? mergeInto(current, value, `${path}.${key}`) : value;
  }
  return out;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new PolicyError(message);
}

function isNum(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function positive(value: unknown, name: string): void {
  check(isNum(value) && value > 0, `${name} must be a number above 0 (got ${JSON.stringify(value)})`);
}

function share(value: unknown, name: string, { open = false } = {}): void {
  check(
    isNum(value) && value >= 0 && (open ? value < 1 : value <= 1),
    `${name} must be a number in 0..1${open ? " (exclusive of 1)" : ""} (got ${JSON.stringify(value)})`,
  );
}

/** Throws a PolicyError naming the first field that breaks its rule. */
export function validatePolicy(policy: RolloutPolicy): RolloutPolicy {
  const p = policy;
  check(Array.isArray(p.steps) && p.steps.length > 0, "steps must be a non-empty list of percentages, e.g. [5, 25, 50, 75, 100]");
  p.steps.forEach((step, i) => {
    check(isNum(step) && step > 0 && step <= 100, `steps[${i}] must be a percentage in (0, 100] (got ${JSON.stringify(step)})`);
    if (i > 0) check(step > p.steps[i - 1]!, `steps must increase strictly (steps[${i}] = ${step} after ${p.steps[i - 1]})`);
  });
  check(p.steps[p.steps.length - 1] === 100, `the last step must be 100 (got ${p.steps[p.steps.length - 1]}): a rollout ends with the candidate serving everything`);
  positive(p.bake_seconds, "bake_seconds");
  positive(p.check_interval_seconds, "check_interval_seconds");
  positive(p.window_seconds, "window_seconds");
  check(p.deadline_seconds === null || (isNum(p.deadline_seconds) && p.deadline_seconds > 0), `deadline_seconds must be null or a number above 0 (got ${JSON.stringify(p.deadline_seconds)})`);
  check(isNum(p.deadline_factor) && p.deadline_factor >= 1, `deadline_factor must be at least 1 (got ${JSON.stringify(p.deadline_factor)})`);
  check(Number.isInteger(p.max_consecutive_failures) && p.max_consecutive_failures >= 1, `max_consecutive_failures must be an integer >= 1 (got ${JSON.stringify(p.max_consecutive_failures)})`);
  check(p.on_no_data === "hold" || p.on_no_data === "rollback", `on_no_data must be "hold" or "rollback" (got ${JSON.stringify(p.on_no_data)})`);
  check(Number.isInteger(p.min_samples) && p.min_samples >= 1, `min_samples must be an integer >= 1 (got ${JSON.stringify(p.min_samples)})`);
  share(p.error_rate.max, "error_rate.max");
  check(isNum(p.error_rate.confidence) && p.error_rate.confidence > 0.5 && p.error_rate.confidence < 1, `error_rate.confidence must be in (0.5, 1), e.g. 0.95 (got ${JSON.stringify(p.error_rate.confidence)})`);
  positive(p.latency.max_p99_ms, "latency.max_p99_ms");
  check(isNum(p.latency.max_ratio_to_stable) && p.latency.max_ratio_to_stable >= 1, `latency.max_ratio_to_stable must be at least 1 (got ${JSON.stringify(p.latency.max_ratio_to_stable)})`);
  check(isNum(p.latency.slack_ms) && p.latency.slack_ms >= 0, `latency.slack_ms must be >= 0 (got ${JSON.stringify(p.latency.slack_ms)})`);
  share(p.predictions.min_std, "predictions.min_std");
  positive(p.predictions.max_psi, "predictions.max_psi");
  check(isNum(p.predictions.psi_epsilon) && p.predictions.psi_epsilon > 0 && p.predictions.psi_epsilon < 0.01, `predictions.psi_epsilon must be in (0, 0.01) (got ${JSON.stringify(p.predictions.psi_epsilon)})`);
  share(p.shadow.max_mean_abs_diff, "shadow.max_mean_abs_diff");
  share(p.shadow.max_verdict_change_rate, "shadow.max_verdict_change_rate");
  return p;
}

/** The deadline of a run in seconds: explicit, or `deadline_factor` x the total bake time. */
export function resolveDeadlineSeconds(policy: RolloutPolicy, stepCount = policy.steps.length): number {
  if (policy.deadline_seconds !== null) return policy.deadline_seconds;
  return Math.ceil(policy.deadline_factor * policy.bake_seconds * Math.max(1, stepCount));
}

export function defaultPolicy(): RolloutPolicy {
  return structuredClone(DEFAULT_POLICY);
}
