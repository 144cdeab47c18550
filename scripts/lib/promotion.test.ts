/**
 * The rollout loop with a simulated clock and an in-memory control plane that follows the
 * router's admin API rules (revisions, 409 on a moved revision, rollback, promote swapping the
 * colours). The same loop runs against the real router in test/e2e/.
 */

import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, type RolloutPolicy } from "../policy/rollout-policy.js";
import { fakeVersion } from "../rollout/test-stats.js";
import { AdminApiError, type AdminApi, type SetSplitRequest } from "./admin-client.js";
import { formatPromotionEvent } from "./promotion-output.js";
import { runPromotion, type PromotionEvent } from "./promotion.js";
import type { StatsSource } from "./stats-source.js";
import type { Split, SplitChange, StatsSnapshot, VersionStats } from "./stats.js";

class FakeControlPlane implements AdminApi {
  split: Split = { stable: "blue", candidate: "green", candidate_percent: 0, shadow_percent: 0, revision: 1, updated_at: null, updated_by: null, reason: null, models: { blue: null, green: null } };
  log: Array<Split & { action: string }> = [];
  failRollbacks = 0;
  /** Called after each setSplit, e.g. to simulate an operator acting mid-run. */
  onSet: ((plane: FakeControlPlane) => void) | undefined;

  private change(patch: Partial<Split>, action: string, reason: string, by = "promote-test"): Split {
    this.split = { ...this.split, ...patch, revision: this.split.revision + 1, reason, updated_by: by, updated_at: new Date().toISOString() };
    this.log.push({ ...this.split, action });
    return { ...this.split };
  }
  async getSplit() {
    return { ...this.split };
  }
  async setSplit(r: SetSplitRequest) {
    if (r.expected_revision !== undefined && r.expected_revision !== this.split.revision) throw new AdminApiError("the split changed under us (409)", "conflict", 409);
    const s = this.change({ candidate_percent: r.candidate_percent, shadow_percent: r.shadow_percent ?? this.split.shadow_percent }, "set", r.reason);
    this.onSet?.(this);
    return s;
  }
  async rollback(reason: string) {
    if (this.failRollbacks > 0) {
      this.failRollbacks -= 1;
      throw new AdminApiError("cannot reach the router", "unreachable");
    }
    return this.change({ candidate_percent: 0 }, "rollback", reason);
  }
  async promote(reason: string) {
    return this.change({ stable: this.split.candidate, candidate: this.split.stable, candidate_percent: 0 }, "promote", reason);
  }
  operatorRollback(reason: string) {
    this.change({ candidate_percent: 0 }, "rollback", reason, "operator");
  }
  async history(): Promise<SplitChange[]> {
    return [...this.log].reverse().map((c) => ({
      revision: c.revision,
      action: c.action,
      at: c.updated_at ?? "",
      by: c.updated_by ?? "",
      reason: c.reason ?? "",
      from: { stable: c.stable, candidate_percent: c.candidate_percent, shadow_percent: 0 },
      to: { stable: c.stable, candidate_percent: c.candidate_percent, shadow_percent: 0 },
    }));
  }
}

/** Stats whose candidate figures come from `candidate(percent)`, with traffic proportional to the split. */
function statsFor(plane: FakeControlPlane, candidate: (percent: number) => VersionStats, totalPerWindow = 20_000): StatsSource & { calls: number } {
  return {
    name: "fake",
    calls: 0,
    async getStats(window: number): Promise<StatsSnapshot> {
      this.calls += 1;
      const percent = plane.split.candidate_percent;
      const stableRequests = Math.round((totalPerWindow * (100 - percent)) / 100);
      const c = candidate(percent);
      const s = fakeVersion({ requests: stableRequests, p99: stableRequests > 0 ? 20 : null });
      const versions = plane.split.candidate === "green" ? { green: c, blue: s } : { blue: c, green: s };
      return { window_seconds: window, generated_at: new Date().toISOString(), versions, source: "fake" };
    },
  };
}

function harness(policyOver: Partial<RolloutPolicy> = {}) {
  const plane = new FakeControlPlane();
  const events: PromotionEvent[] = [];
  let now = Date.UTC(2026, 3, 20, 12);
  const policy: RolloutPolicy = { ...structuredClone(DEFAULT_POLICY), bake_seconds: 60, check_interval_seconds: 10, window_seconds: 60, ...policyOver };
  const deps = (stats: StatsSource) => ({
    admin: plane,
    stats,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    emit: (e: PromotionEvent) => events.push(e),
  });
  return { plane, events, policy, deps, elapsed: () => now };
}

const healthy = (percent: number) => fakeVersion({ requests: Math.round(200 * percent), p99: 22 });

describe("runPromotion", () => {
  it("promotes a healthy candidate through every step, then swaps the colours", async () => {
    const h = harness();
    const result = await runPromotion(h.deps(statsFor(h.plane, healthy)), { policy: h.policy });
    expect(result).toMatchObject({ outcome: "promoted", exit_code: 0, steps_passed: 5 });
    const sets = h.plane.log.filter((c) => c.action === "set").map((c) => c.candidate_percent);
    expect(sets).toEqual([5, 25, 50, 75, 100]);
    expect(h.plane.split).toMatchObject({ stable: "green", candidate: "blue", candidate_percent: 0 });
    // each step baked at least its 60 s: 6 checks of 10 s
    expect(result.checks).toBe(30);
    const done = h.events.at(-1)!;
    expect(done).toMatchObject({ event: "done", outcome: "promoted", exit_code: 0 });
  });

  it("rolls back at the first step after two consecutive failed checks", async () => {
    const h = harness();
    const broken = (percent: number) => fakeVersion({ requests: Math.round(200 * percent), errors: Math.round(10 * percent) });
    const result = await runPromotion(h.deps(statsFor(h.plane, broken)), { policy: h.policy });
    expect(result).toMatchObject({ outcome: "rolled_back", exit_code: 1, checks: 2, steps_passed: 0 });
    expect(h.plane.log.map((c) => [c.action, c.candidate_percent])).toEqual([
      ["set", 5],
      ["rollback", 0],
    ]);
    expect(h.plane.split.reason).toMatch(/2 consecutive failed checks at 5%.*error_rate/);
    const checks = h.events.filter((e) => e.event === "check");
    expect(checks.every((c) => c.event === "check" && c.verdict === "FAIL")).toBe(true);
  });

  it("never promotes without evidence: no traffic ends by on_no_data at the deadline", async () => {
    for (const [mode, outcome, code, finalPercent] of [
      ["rollback", "rolled_back", 1, 0],
      ["hold", "held", 2, 5],
    ] as const) {
      const h = harness({ on_no_data: mode, deadline_seconds: 120 });
      const stats = statsFor(h.plane, () => fakeVersion({ requests: 0, p99: null }), 0);
      const result = await runPromotion(h.deps(stats), { policy: h.policy });
      expect(result).toMatchObject({ outcome, exit_code: code, steps_passed: 0 });
      expect(h.plane.split.candidate_percent).toBe(finalPercent);
      expect(h.plane.log.some((c) => c.action === "promote")).toBe(false);
      expect(h.events.filter((e) => e.event === "decision").every((e) => e.event === "decision" && e.action !== "advance")).toBe(true);
      expect(h.elapsed() - Date.UTC(2026, 3, 20, 12)).toBe(120_000); // ended exactly at the deadline
    }
  });

  it("stops when an operator rolls back mid-run, and says who did", async () => {
    const h = harness();
    h.plane.onSet = (plane) => {
      if (plane.split.candidate_percent === 25) plane.operatorRollback("green looks wrong");
    };
    const result = await runPromotion(h.deps(statsFor(h.plane, healthy)), { policy: h.policy });
    expect(result.outcome).toBe("rolled_back");
    expect(result.reason).toMatch(/rolled back by operator \(green looks wrong\)/);
    expect(h.plane.split.candidate_percent).toBe(0);
    expect(h.plane.log.filter((c) => c.action === "set").map((c) => c.candidate_percent)).toEqual([5, 25]);
  });

  it("dry run reads live stats and changes nothing", async () => {
    const h = harness();
    const stats = statsFor(h.plane, () => healthy(5));
    const result = await runPromotion(h.deps(stats), { policy: h.policy, dryRun: true });
    expect(result.outcome).toBe("promoted");
    expect(result.reason).toContain("dry run");
    expect(h.plane.log).toEqual([]);
    expect(stats.calls).toBeGreaterThan(0);
  });

  it("keeps checking when stats are unavailable and ends by policy at the deadline", async () => {
    const h = harness({ deadline_seconds: 60, on_no_data: "hold" });
    const stats: StatsSource = { name: "down", getStats: async () => Promise.reject(new Error("connection refused")) };
    const result = await runPromotion(h.deps(stats), { policy: h.policy });
    expect(result.outcome).toBe("held");
    expect(h.events.some((e) => e.event === "warning" && e.message.includes("connection refused"))).toBe(true);
  });

  it("retries a failing rollback call", async () => {
    const h = harness();
    h.plane.failRollbacks = 1;
    const broken = (percent: number) => fakeVersion({ requests: Math.round(200 * percent), errors: Math.round(10 * percent) });
    const result = await runPromotion(h.deps(statsFor(h.plane, broken)), { policy: h.policy });
    expect(result.outcome).toBe("rolled_back");
    expect(h.plane.split.candidate_percent).toBe(0);
    expect(h.events.some((e) => e.event === "warning" && e.message.includes("rollback attempt 1 of 3 failed"))).toBe(true);
  });

  it("compares with the last stable window at 100 %, when stable serves nothing", async () => {
    const h = harness({ steps: [50, 100] });
    const result = await runPromotion(h.deps(statsFor(h.plane, healthy)), { policy: h.policy });
    expect(result.outcome).toBe("promoted");
    const last = h.events.filter((e) => e.event === "check").at(-1)!;
    if (last.event !== "check") throw new Error("no check");
    const cmp = last.gates.find((g) => g.gate === "error_rate_vs_stable")!;
    expect(cmp.verdict).toBe("PASS");
    expect(cmp.detail).toContain("baseline");
  });

  it("turns shadowing on with --shadow and then checks the shadow gates", async () => {
    const h = harness({ steps: [100] });
    const drifting = (percent: number) => fakeVersion({ requests: 200 * percent, shadow: { comparisons: 500, mean_abs_diff: 0.3, verdict_changes: 250 } });
    const result = await runPromotion(h.deps(statsFor(h.plane, drifting)), { policy: h.policy, shadowPercent: 20 });
    expect(h.plane.log[0]).toMatchObject({ action: "set", candidate_percent: 100, shadow_percent: 20 });
    expect(result.outcome).toBe("rolled_back");
    const check = h.events.find((e) => e.event === "check");
    if (check?.event !== "check") throw new Error("no check");
    expect(check.gates.filter((g) => g.gate.startsWith("shadow")).map((g) => g.verdict)).toEqual(["FAIL", "FAIL"]);
  });

  it("ends held at once when interrupted", async () => {
    const h = harness();
    const controller = new AbortController();
    controller.abort();
    const result = await runPromotion(h.deps(statsFor(h.plane, healthy)), { policy: h.policy, signal: controller.signal });
    expect(result.outcome).toBe("held");
  });

  it("prints a readable line for every event", async () => {
    const h = harness({ steps: [100], max_consecutive_failures: 1 });
    await runPromotion(h.deps(statsFor(h.plane, (p) => fakeVersion({ requests: 200 * p, p99: 400 }))), { policy: h.policy });
    const text = h.events.flatMap(formatPromotionEvent).join("\n");
    expect(text).toContain("rolling out green over blue: 0% -> 100%");
    expect(text).toMatch(/FAIL\s+latency_p99\s+value=400\.0 ms\s+threshold <= 300\.0 ms window=\d+s n=20000/);
    expect(text).toContain("ROLLED BACK");
    expect(text).toContain("Exit 1.");
  });
});
