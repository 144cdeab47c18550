/**
 * The rollout policy: every threshold `npm run promote` decides by, in one place.
 *
 * Change a default here (and in docs/runbook.md's policy table), or leave this file alone and
 * pass `--policy my-policy.json` with only the fields to override, for example
 *   {"bake_seconds": 300, "error_rate": {"max": 0.005}}
 * Command-line flags (--steps, --bake, --interval, --window, --deadline, --min-samples,
 * --max-failures, --on-no-data) override both. `loadPolicy` validates the result and names the
 * field and the rule when something is off.
 *
 * Where the numbers come from: the v1 guide's runbook (5 -> 25 -> 50 -> 75 -> 100 %, 10 min per
 * step, errors at most 1 %), its alerts (p99 over 300 ms, std of predictions under 0.05), and
 * common practice for distribution drift (PSI over 0.2 is a significant shift).
 */

export type OnNoData = "hold" | "rollback";

export interface RolloutPolicy {
  /** Candidate traffic share at each step, percent, strictly increasing, ending at 100. */
  steps: number[];
  /** How long a step must run with no failed check before the next step (seconds). */
  bake_seconds: number;
  /** Time between checks (seconds). */
  check_interval_seconds: number;
  /** Each check reads the stats of the last `window_seconds` (never reaching back before the run started). */
  window_seconds: number;
  /** Hard deadline for the whole run (seconds); null = `deadline_factor` x the total bake time. */
  deadline_seconds: number | null;
  /** Used when `deadline_seconds` is null. */
  deadline_factor: number;
  /** This many failed checks in a row roll back. A NOT ENOUGH DATA check neither adds nor resets. */
  max_consecutive_failures: number;
  /** What the deadline does to a run that never gathered enough evidence: keep the split (exit 2) or roll back (exit 1). */
  on_no_data: OnNoData;
  /** Minimum candidate samples in the window for any gate to decide; below it the gate says NOT ENOUGH DATA. */
  min_samples: number;
  error_rate: {
    /** The candidate's 5xx share may not exceed this, absolute. */
    max: number;
    /** Confidence of the one-sided two-proportion z-test "candidate's 5xx rate above stable's". */
    confidence: number;
  };
  latency: {
    /** The candidate's p99 may not exceed this (the v1 guide's alert). */
    max_p99_ms: number;
    /** ...nor `max_ratio_to_stable` x stable's p99 + `slack_ms`. */
    max_ratio_to_stable: number;
    slack_ms: number;
  };
  predictions: {
    /** The v1 guide's calibration alert: a model whose predictions barely vary is broken. */
    min_std: number;
    /** Population stability index between candidate and stable prediction histograms. */
    max_psi: number;
    /** Share given to an empty histogram bin so the PSI stays finite. */
    psi_epsilon: number;
  };
  shadow: {
    /** Only checked while shadowing is on (split.shadow_percent > 0). */
    max_mean_abs_diff: number;
    /** Share of shadow comparisons whose verdict changed. */
    max_verdict_change_rate: number;
  };
}

export const DEFAULT_POLICY: RolloutPolicy = {
  steps: [5, 25, 50, 75, 100],
  bake_seconds: 600,
  check_interval_seconds: 30,
  window_seconds: 300,
  deadline_seconds: null,
  deadline_factor: 2,
  max_consecutive_failures: 2,
  on_no_data: "rollback",
  min_samples: 200,
  error_rate: { max: 0.01, confidence: 0.95 },
  latency: { max_p99_ms: 300, max_ratio_to_stable: 1.5, slack_ms: 5 },
  predictions: { min_std: 0.05, max_psi: 0.2, psi_epsilon: 1e-4 },
  shadow: { max_mean_abs_diff: 0.1, max_verdict_change_rate: 0.2 },
};
