/**
 * The progressive rollout loop behind `npm run promote`: set a step's weight, check the gates
 * every interval, and act on `decideStep`'s verdict until the run reaches a terminal state
 * (promoted, rolled back, held). All I/O goes through `PromotionDeps`, so the loop is tested with
 * a fake clock and a fake control plane, and end to end against the real router.
 */

import type { RolloutPolicy } from "../policy/rollout-policy.js";
import { decideStep, effectiveWindowSeconds, planPromotion, startStep, type PromotionPlan, type StepAction } from "../rollout/decide.js";
import { evaluateGates, unavailableCheck, type CheckResult, type GateRecord } from "../rollout/gates.js";
import type { AdminApi } from "./admin-client.js";
import type { StatsSource } from "./stats-source.js";
import type { Split, VersionStats } from "./stats.js";

export type PromotionOutcome = "promoted" | "rolled_back" | "held";

export const EXIT_CODES: Record<PromotionOutcome, number> = { promoted: 0, rolled_back: 1, held: 2 };

export type PromotionEvent =
  | { event: "plan"; time: string; dry_run: boolean; source: string; split: Split; plan: PromotionPlan; policy: RolloutPolicy }
  | { event: "step"; time: string; step: number; of: number; percent: number; revision: number | null; dry_run: boolean }
  | {
      event: "check";
      time: string;
      step: number;
      percent: number;
      check: number;
      verdict: CheckResult["verdict"];
      window_seconds: number;
      source: string;
      gates: GateRecord[];
    }
  | {
      event: "decision";
      time: string;
      step: number;
      percent: number;
      action: StepAction;
      reason: string;
      consecutive_failures: number;
      baked_seconds: number;
      bake_seconds: number;
    }
  | { event: "warning"; time: string; message: string }
  | { event: "done"; time: string; outcome: PromotionOutcome; exit_code: number; reason: string; dry_run: boolean; split: Split | null; elapsed_seconds: number };

export interface PromotionDeps {
  admin: AdminApi;
  stats: StatsSource;
  /** ms since epoch */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  emit(event: PromotionEvent): void;
}

export interface PromotionOptions {
  policy: RolloutPolicy;
  dryRun?: boolean;
  /** Aborting ends the run at once, leaving the split as it is (held). */
  signal?: AbortSignal;
  /** Attempts at the rollback call before giving up loudly. */
  rollbackAttempts?: number;
  /**
   * Share of the stable version's requests also sent to the candidate in the background while
   * the run lasts (0..100); the shadow gates apply while it is above 0. Unset: leave it as it is.
   */
  shadowPercent?: number;
}

export interface PromotionResult {
  outcome: PromotionOutcome;
  exit_code: number;
  reason: string;
  checks: number;
  steps_passed: number;
}

export async function runPromotion(deps: PromotionDeps, options: PromotionOptions): Promise<PromotionResult> {
  const { policy } = options;
  const dryRun = options.dryRun ?? false;
  const started = deps.now();
  const time = () => new Date(deps.now()).toISOString();
  const warn = (message: string) => deps.emit({ event: "warning", time: time(), message });

  const initial = await deps.admin.getSplit();
  const plan = planPromotion(policy, initial);
  const deadline = started + plan.deadline_seconds * 1000;
  deps.emit({ event: "plan", time: time(), dry_run: dryRun, source: deps.stats.name, split: initial, plan, policy });

  let revision = initial.revision;
  let lastSplit: Split | null = initial;
  let checks = 0;
  let stepsPassed = 0;
  let baseline: { stats: VersionStats; label: string } | undefined;

  const finish = async (outcome: PromotionOutcome, reason: string): Promise<PromotionResult> => {
    deps.emit({
      event: "done",
      time: time(),
      outcome,
      exit_code: EXIT_CODES[outcome],
      reason,
      dry_run: dryRun,
      split: lastSplit,
      elapsed_seconds: Math.round((deps.now() - started) / 100) / 10,
    });
    return { outcome, exit_code: EXIT_CODES[outcome], reason, checks, steps_passed: stepsPassed };
  };

  const rollback = async (reason: string): Promise<PromotionResult> => {
    if (dryRun) return finish("rolled_back", `${reason} (dry run: the split was not changed)`);
    const attempts = options.rollbackAttempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        lastSplit = await deps.admin.rollback(`promote: ${reason}`);
        return finish("rolled_back", `${reason}; candidate ${plan.candidate} set to 0% (revision ${lastSplit.revision})`);
      } catch (error) {
        warn(`rollback attempt ${attempt} of ${attempts} failed: ${message(error)}`);
        if (attempt < attempts) await deps.sleep(1000);
      }
    }
    return finish("rolled_back", `${reason}; ROLLBACK FAILED: run \`npm run rollback -- --reason "..."\` now`);
  };

  const interrupted = () => options.signal?.aborted === true;

  for (const step of plan.steps) {
    if (interrupted()) return finish("held", `interrupted before step ${step.percent}%: split left as it is`);
    if (!dryRun) {
      try {
        lastSplit = await deps.admin.setSplit({
          candidate_percent: step.percent,
          ...(options.shadowPercent !== undefined ? { shadow_percent: options.shadowPercent } : {}),
          reason: `promote: step ${step.index + 1}/${plan.steps.length} (${step.percent}%)`,
          expected_revision: revision,
        });
        revision = lastSplit.revision;
      } catch (error) {
        const external = await readSplit(deps);
        if (external && external.candidate_percent === 0) {
          lastSplit = external;
          return finish("rolled_back", `the split was changed by ${external.updated_by ?? "someone"} (${external.reason ?? "no reason"}): candidate at 0%, stopping`);
        }
        return finish("held", `could not set ${step.percent}%: ${message(error)}`);
      }
    }
    deps.emit({ event: "step", time: time(), step: step.index + 1, of: plan.steps.length, percent: step.percent, revision: dryRun ? null : revision, dry_run: dryRun });

    let state = startStep(step.index, deps.now());
    for (;;) {
      const wait = Math.min(plan.check_interval_seconds * 1000, Math.max(0, deadline - deps.now()));
      if (wait > 0) await deps.sleep(wait, options.signal);
      if (interrupted()) return finish("held", `interrupted at ${step.percent}%: split left as it is; roll back with \`npm run rollback\` or resume with \`npm run promote\``);

      if (!dryRun) {
        const current = await readSplit(deps);
        if (current === null) {
          warn("could not read the split; checking stats anyway");
        } else if (current.revision !== revision) {
          lastSplit = current;
          const who = `${current.updated_by ?? "someone"} (${current.reason ?? "no reason given"})`;
          if (current.candidate_percent === 0) return finish("rolled_back", `rolled back by ${who} at revision ${current.revision}: stopping`);
          return finish("held", `the split was changed by ${who} at revision ${current.revision}: stopping, the split is theirs now`);
        }
      }

      const now = deps.now();
      const window = effectiveWindowSeconds(policy, started, now);
      let check: CheckResult;
      try {
        const snapshot = await deps.stats.getStats(window);
        const candidate = snapshot.versions[plan.candidate];
        const stable = snapshot.versions[plan.stable];
        check = evaluateGates({
          policy,
          candidate,
          stable,
          stableBaseline: baseline,
          window_seconds: window,
          shadowEnabled: (dryRun && options.shadowPercent !== undefined ? options.shadowPercent : (lastSplit?.shadow_percent ?? 0)) > 0,
        });
        if (stable.requests >= policy.min_samples) baseline = { stats: stable, label: `window ending ${snapshot.generated_at}` };
      } catch (error) {
        warn(`stats unavailable: ${message(error)}`);
        check = unavailableCheck(policy, window, message(error));
      }
      checks += 1;
      deps.emit({
        event: "check",
        time: time(),
        step: step.index + 1,
        percent: step.percent,
        check: checks,
        verdict: check.verdict,
        window_seconds: window,
        source: deps.stats.name,
        gates: check.gates,
      });

      const decision = decideStep({ policy, plan, state, check, now: deps.now(), deadline });
      state = decision.state;
      deps.emit({
        event: "decision",
        time: time(),
        step: step.index + 1,
        percent: step.percent,
        action: decision.action,
        reason: decision.reason,
        consecutive_failures: state.consecutive_failures,
        baked_seconds: Math.round(decision.baked_seconds),
        bake_seconds: decision.bake_seconds,
      });

      switch (decision.action) {
        case "wait":
          continue;
        case "advance":
          stepsPassed += 1;
          if (deps.now() >= deadline) {
            const reason = `deadline reached just after step ${step.percent}% passed: on_no_data=${policy.on_no_data}`;
            return policy.on_no_data === "rollback" ? rollback(reason) : finish("held", `${reason}; split left at ${step.percent}%`);
          }
          break;
        case "promote": {
          stepsPassed += 1;
          if (dryRun) return finish("promoted", `${decision.reason} (dry run: nothing was changed)`);
          try {
            lastSplit = await deps.admin.promote(`promote: every step passed (${plan.steps.map((s) => `${s.percent}%`).join(" -> ")})`);
          } catch (error) {
            return finish("held", `every step passed but /admin/promote failed: ${message(error)}; the candidate serves 100%: retry with \`npm run promote\``);
          }
          return finish("promoted", `${plan.candidate} is now stable (revision ${lastSplit.revision}); ${plan.stable} is the next candidate`);
        }
        case "rollback":
          return rollback(decision.reason);
        case "hold":
          return finish("held", `${decision.reason}; split left at ${step.percent}%`);
      }
      break;
    }
  }
  // Unreachable: the last step either promotes or ends the run above.
  return finish("held", "no steps left to run");
}

async function readSplit(deps: PromotionDeps): Promise<Split | null> {
  try {
    return await deps.admin.getSplit();
  } catch {
    return null;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Sleeps `ms`, waking early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
