import { describe, expect, it } from "vitest";
import {
  HISTORY_LIMIT,
  applyPromote,
  applyRollback,
  applySplitUpdate,
  initialSplit,
  parseActionInput,
  parseSplitUpdate,
  shouldShadow,
  type ChangeResult,
  type SplitRecord,
} from "./split";

const t0 = new Date("2026-01-01T00:00:00Z");

function ok(result: ChangeResult): SplitRecord {
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

describe("split updates", () => {
  it("starts with everything on blue at revision 1", () => {
    const { split, history } = initialSplit(t0);
    expect(split).toMatchObject({ stable: "blue", candidate: "green", candidate_percent: 0, shadow_percent: 0, revision: 1 });
    expect(history).toHaveLength(1);
  });

  it("accepts a valid update and names the field of an invalid one", () => {
    expect(parseSplitUpdate({ candidate_percent: 5, reason: "canary" })).toEqual({ ok: true, value: { candidate_percent: 5, reason: "canary" } });
    const cases: Array<[unknown, string]> = [
      [{ reason: "x" }, "candidate_percent"],
      [{ candidate_percent: 101, reason: "x" }, "candidate_percent"],
      [{ candidate_percent: -1, reason: "x" }, "candidate_percent"],
      [{ candidate_percent: "5", reason: "x" }, "candidate_percent"],
      [{ candidate_percent: 5, shadow_percent: 100.5, reason: "x" }, "shadow_percent"],
      [{ candidate_percent: 5 }, "reason"],
      [{ candidate_percent: 5, reason: "  " }, "reason"],
      [{ candidate_percent: 5, reason: "x", expected_revision: 1.5 }, "expected_revision"],
      [[1, 2], "body"],
      [null, "body"],
    ];
    for (const [body, field] of cases) {
      const parsed = parseSplitUpdate(body);
      expect(parsed.ok, JSON.stringify(body)).toBe(false);
      if (!parsed.ok) expect(parsed.problem.field).toBe(field);
    }
    expect(parseActionInput(undefined, "rollback")).toEqual({ ok: true, value: { reason: "rollback" } });
    expect(parseActionInput({ force: "yes" }, "promote").ok).toBe(false);
  });

  it("bumps the revision on each change and refuses a stale expected_revision", () => {
    let record = initialSplit(t0);
    record = ok(applySplitUpdate(record, { candidate_percent: 5, reason: "canary", updated_by: "ci" }, t0));
    expect(record.split).toMatchObject({ candidate_percent: 5, revision: 2, updated_by: "ci", reason: "canary" });
    record = ok(applySplitUpdate(record, { candidate_percent: 25, reason: "step", expected_revision: 2 }, t0));
    expect(record.split.revision).toBe(3);
    const stale = applySplitUpdate(record, { candidate_percent: 50, reason: "late", expected_revision: 2 }, t0);
    expect(stale.ok).toBe(false);
    if (!stale.ok) {
      expect(stale.kind).toBe("conflict");
      expect(stale.current.revision).toBe(3);
    }
  });

  it("rolls back to 0% (and stops shadowing) and promotes by swapping colours", () => {
    let record = ok(applySplitUpdate(initialSplit(t0), { candidate_percent: 50, shadow_percent: 10, reason: "half" }, t0));
    const rolled = ok(applyRollback(record, { reason: "errors" }, t0));
    expect(rolled.split).toMatchObject({ stable: "blue", candidate: "green", candidate_percent: 0, shadow_percent: 0, revision: 3 });
    expect(rolled.history[0]).toMatchObject({ action: "rollback", from: { candidate_percent: 50 }, to: { candidate_percent: 0 } });

    const early = applyPromote(record, { reason: "too soon" }, t0);
    expect(early.ok).toBe(false);
    const forced = ok(applyPromote(record, { reason: "hotfix", force: true }, t0));
    expect(forced.split).toMatchObject({ stable: "green", candidate: "blue", candidate_percent: 0 });

    record = ok(applySplitUpdate(record, { candidate_percent: 100, reason: "all" }, t0));
    const promoted = ok(applyPromote(record, { reason: "done" }, t0));
    expect(promoted.split).toMatchObject({ stable: "green", candidate: "blue", candidate_percent: 0, shadow_percent: 0 });
    expect(applyPromote(record, { reason: "x", expected_revision: 1 }, t0).ok).toBe(false);
  });

  it("keeps the last 100 changes, newest first", () => {
    let record = initialSplit(t0);
    for (let i = 0; i < 150; i++) record = ok(applySplitUpdate(record, { candidate_percent: i % 101, reason: `step ${i}` }, t0));
    expect(record.history).toHaveLength(HISTORY_LIMIT);
    expect(record.history[0]!.revision).toBe(151);
    expect(record.history[99]!.revision).toBe(52);
  });

  it("shadows the configured share", () => {
    const split = { ...initialSplit(t0).split, shadow_percent: 10 };
    let n = 0;
    for (let i = 0; i < 1000; i++) if (shouldShadow(split, () => i / 1000)) n++;
    expect(n).toBe(100);
    expect(shouldShadow({ ...split, shadow_percent: 0 }, () => 0)).toBe(false);
  });
});
