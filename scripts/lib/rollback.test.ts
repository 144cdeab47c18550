import { describe, expect, it } from "vitest";
import type { AdminApi } from "./admin-client.js";
import { requiredStableStreak, waitForStableOnly, type Probe } from "./rollback-probe.js";
import { formatRollbackOutcome, runRollback } from "./rollback.js";
import type { Split } from "./stats.js";

describe("requiredStableStreak", () => {
  it("needs enough stable answers that a candidate still at its share would have shown up (99.9 %)", () => {
    expect(requiredStableStreak(5)).toBe(Math.ceil(Math.log(0.001) / Math.log(0.95))); // 135
    expect(requiredStableStreak(50)).toBe(20); // 10 would do; at least 20
    expect(requiredStableStreak(0)).toBe(20);
    expect(requiredStableStreak(0.01)).toBe(2000); // capped
    expect(0.95 ** requiredStableStreak(5)).toBeLessThanOrEqual(0.001);
  });
});

/** A simulated router: serves the candidate to `share` of random clients until `switchAt` ms. */
function simulatedRouter(clock: { t: number }, switchAt: number, share: number, stable = "blue", candidate = "green"): Probe {
  let n = 0;
  return async () => {
    clock.t += 1; // each probe takes 1 ms
    n += 1;
    const toCandidate = clock.t < switchAt && n % Math.round(1 / share) === 0;
    return { color: (toCandidate ? candidate : stable) as "blue" | "green", status: 200 };
  };
}

describe("waitForStableOnly", () => {
  it("measures the time until only stable answers, to the round", async () => {
    const clock = { t: 0 };
    const result = await waitForStableOnly({
      probe: simulatedRouter(clock, 1500, 0.25),
      stable: "blue",
      candidatePercentBefore: 25,
      startedAt: 0,
      roundSize: 20,
      confirmMs: 500,
      now: () => clock.t,
    });
    expect(result.ok).toBe(true);
    expect(result.elapsed_ms!).toBeGreaterThanOrEqual(1480);
    expect(result.elapsed_ms!).toBeLessThanOrEqual(1520);
    expect(result.streak).toBeGreaterThanOrEqual(result.needed);
    expect(result.candidate_answers).toBeGreaterThan(0);
    expect(result.last_candidate_ms!).toBeLessThanOrEqual(1520); // read at the end of the round that saw it
  });

  it("does not stop at a short stable streak: the candidate coming back resets it", async () => {
    // The candidate is gone from 100 ms to 400 ms (say a stale copy of the split came back), then for good at 900 ms.
    const clock = { t: 0 };
    let n = 0;
    const probe: Probe = async () => {
      clock.t += 1;
      n += 1;
      const candidateTime = clock.t < 100 || (clock.t >= 400 && clock.t < 900);
      return { color: candidateTime && n % 4 === 0 ? "green" : "blue", status: 200 };
    };
    const result = await waitForStableOnly({ probe, stable: "blue", candidatePercentBefore: 25, startedAt: 0, confirmMs: 1000, now: () => clock.t });
    expect(result.ok).toBe(true);
    expect(result.elapsed_ms!).toBeGreaterThanOrEqual(880);
    expect(result.elapsed_ms!).toBeLessThanOrEqual(920);
    expect(clock.t).toBeGreaterThanOrEqual(1900); // it watched for confirmMs after that
  });

  it("gives up at the timeout while the candidate still answers", async () => {
    const clock = { t: 0 };
    const result = await waitForStableOnly({ probe: simulatedRouter(clock, Infinity, 0.25), stable: "blue", candidatePercentBefore: 25, startedAt: 0, timeoutMs: 500, now: () => clock.t });
    expect(result.ok).toBe(false);
    expect(result.elapsed_ms).toBeNull();
  });

  it("does not count failed probes as stable answers", async () => {
    const clock = { t: 0 };
    const probe: Probe = async () => {
      clock.t += 1;
      return { color: null, status: 0, error: "refused" };
    };
    const result = await waitForStableOnly({ probe, stable: "blue", candidatePercentBefore: 5, startedAt: 0, timeoutMs: 200, now: () => clock.t });
    expect(result.ok).toBe(false);
    expect(result.failed_requests).toBeGreaterThan(0);
  });
});

describe("runRollback", () => {
  const split: Split = { stable: "blue", candidate: "green", candidate_percent: 25, shadow_percent: 10, revision: 7, updated_at: null, updated_by: null, reason: null, models: { blue: null, green: null } };
  function admin(): AdminApi & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      getSplit: async () => ({ ...split }),
      setSplit: async () => Promise.reject(new Error("not used")),
      rollback: async (reason: string) => {
        calls.push(`rollback:${reason}`);
        return { ...split, candidate_percent: 0, shadow_percent: 0, revision: 8, reason };
      },
      promote: async () => Promise.reject(new Error("not used")),
      history: async () => [],
    };
  }

  it("rolls back, then measures, and reports against the 5 s target", async () => {
    const a = admin();
    const clock = { t: 1000 };
    const outcome = await runRollback({ admin: a, probe: simulatedRouter(clock, 1800, 0.25), reason: "green 5xx", now: () => clock.t });
    expect(a.calls).toEqual(["rollback:green 5xx"]);
    expect(outcome.after!.revision).toBe(8);
    expect(outcome.measurement!.ok).toBe(true);
    expect(outcome.within_target).toBe(true);
    expect(outcome.rollback_called_at).toBe(new Date(1000).toISOString());
    expect(Date.parse(outcome.stable_only_from!) - 1000).toBe(outcome.measurement!.elapsed_ms);
    const text = formatRollbackOutcome(outcome).join("\n");
    expect(text).toContain("candidate green 25% -> 0%, revision 7 -> 8");
    expect(text).toMatch(/the router serves only blue: 0\.\d\d s after the rollback call/);
    expect(text).toContain("target 5 s: met");
  });

  it("dry run changes nothing", async () => {
    const a = admin();
    const outcome = await runRollback({ admin: a, probe: async () => ({ color: "blue", status: 200 }), reason: "rehearsal", dryRun: true });
    expect(a.calls).toEqual([]);
    expect(formatRollbackOutcome(outcome)[0]).toContain("would set candidate green from 25% to 0%");
  });
});
