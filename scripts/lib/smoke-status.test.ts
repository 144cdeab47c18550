import { describe, expect, it } from "vitest";
import { fakeVersion } from "../rollout/test-stats.js";
import { checkPredictionContract, formatSmoke, runSmoke } from "./smoke-checks.js";
import { formatStatusReport, wrapWords } from "./status-report.js";
import type { Split, SplitChange } from "./stats.js";
import { sendJson, useTestServers } from "./test-server.js";

/** A /predict answer in the documented shape (docs/api.md). */
export const GOOD_PREDICTION = {
  prediction_id: "pred_123",
  success_probability: 0.27,
  confidence_interval: { lower: 0.19, upper: 0.36, width: 0.17 },
  confidence_score: 0.7,
  uncertainty_level: "moderate",
  verdict: "STRONG FAIL",
  verdict_confidence: 0.6,
  pillar_scores: { capital: 0.4, advantage: 0.3, market: 0.5, people: 0.2, product: 0.3 },
  factors: [],
  flags: [],
  warnings: [],
  data_completeness: 0.04,
  model: { version: "00d338eefced", sha256: "abc" },
  processing_time_ms: 1.2,
  timestamp: "2026-04-20T12:00:00.000Z",
};

describe("checkPredictionContract", () => {
  it("accepts a complete answer", () => {
    expect(checkPredictionContract(GOOD_PREDICTION)).toEqual([]);
  });

  it("names every broken field", () => {
    const bad = { ...GOOD_PREDICTION, success_probability: 1.2, verdict: "MAYBE", pillar_scores: { capital: 0.1 }, timestamp: "yesterday" };
    const problems = checkPredictionContract(bad);
    expect(problems.join("\n")).toMatch(/success_probability must be a number in 0\.\.1/);
    expect(problems.join("\n")).toMatch(/verdict must be one of/);
    expect(problems.join("\n")).toMatch(/pillar_scores/);
    expect(problems.join("\n")).toMatch(/timestamp/);
    expect(checkPredictionContract({ ...GOOD_PREDICTION, confidence_interval: { lower: 0.3, upper: 0.4, width: 0.1 } })).toEqual([
      "confidence_interval must contain the probability (0.3 <= 0.27 <= 0.4)",
    ]);
    expect(checkPredictionContract([])).toEqual(["the answer is not a JSON object"]);
  });
});

describe("runSmoke against a single deployment", () => {
  const serve = useTestServers();

  it("passes a correct API and skips the colour checks with the reason when there is no router", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/health") return sendJson(res, 200, { status: "ok" });
      if (req.headers.authorization !== "Bearer key") return sendJson(res, 401, { error: "unauthorized" }, { "www-authenticate": 'Bearer realm="flash"' });
      const body = JSON.parse(req.body) as Record<string, unknown>;
      if (typeof body.total_capital_raised_usd !== "number") return sendJson(res, 400, { error: "invalid", issues: [{ field: "total_capital_raised_usd" }] });
      sendJson(res, 200, GOOD_PREDICTION, { "x-cache": "MISS" });
    });
    const checks = await runSmoke({ url: server.url, apiKey: "key", overrideToken: "admin" });
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ["health", "PASS"],
      ["validation case", "PASS"],
      ["response contract", "PASS"],
      ["bad input", "PASS"],
      ["missing key", "PASS"],
      ["forced to blue", "SKIP"],
      ["forced to green", "SKIP"],
    ]);
    expect(checks[5]!.detail).toContain("not behind the router");
    expect(formatSmoke(server.url, checks)).toContain("5 passed, 0 failed, 2 skipped");
  });

  it("fails what is wrong and says so", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/health") return sendJson(res, 503, { status: "model checksum mismatch" });
      sendJson(res, 500, { error: "internal" }); // no auth, no validation
    });
    const checks = await runSmoke({ url: server.url, apiKey: "key" });
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.health!.status).toBe("FAIL");
    expect(byName.health!.detail).toContain("503");
    expect(byName["validation case"]!.status).toBe("FAIL");
    expect(byName["bad input"]!.detail).toContain("expected 4xx");
    expect(byName["missing key"]!.detail).toContain("expected 401");
    expect(byName["forced to green"]!.status).toBe("SKIP");
    expect(byName["forced to green"]!.detail).toContain("no override token");
  });

  it("reports an unreachable URL as failures, not a crash", async () => {
    const checks = await runSmoke({ url: "http://127.0.0.1:9", apiKey: "k", timeoutMs: 1000 });
    expect(checks[0]).toMatchObject({ name: "health", status: "FAIL" });
    expect(checks[0]!.detail).toContain("is http://127.0.0.1:9 up?");
  });
});

describe("formatStatusReport", () => {
  it("shows the split, the history and both versions side by side", () => {
    const split: Split = { stable: "blue", candidate: "green", candidate_percent: 25, shadow_percent: 0, revision: 9, updated_at: "2026-04-20T12:00:00Z", updated_by: "npm run promote", reason: "promote: step 2/5 (25%)", models: { blue: "a778a0a4d58a", green: "3f9c2a1b7d4e" } };
    const history: SplitChange[] = [
      { revision: 9, action: "set", at: "2026-04-20T12:00:00.000Z", by: "npm run promote", reason: "promote: step 2/5 (25%)", from: { stable: "blue", candidate_percent: 5, shadow_percent: 0 }, to: { stable: "blue", candidate_percent: 25, shadow_percent: 0 } },
    ];
    const stats = { window_seconds: 300, generated_at: "2026-04-20T12:01:00Z", source: "router", versions: { blue: fakeVersion({ requests: 7500, errors: 3 }), green: fakeVersion({ requests: 2500, errors: 1, p99: 31 }) } };
    const text = formatStatusReport({ split, history, stats });
    expect(text).toContain("split (revision 9): stable blue 75%, candidate green 25%, shadow 0%");
    expect(text).toMatch(/9\s+2026-04-20 12:00:00Z\s+set\s+blue\/5%\s+blue\/25%\s+npm run promote/);
    expect(text).toMatch(/blue \(stable\)\s+green \(candidate\)/);
    expect(text).toMatch(/requests\s+7,500\s+2,500/);
    expect(text).toMatch(/latency p99\s+20\.0 ms\s+31\.0 ms/);
    expect(text).toContain("models: blue (stable) a778a0a4d58a, green (candidate) 3f9c2a1b7d4e");
    // Without a model version in the window's answers, the row falls back to what /health said.
    expect(text).toMatch(/model\s+a778a0a4d58a\s+3f9c2a1b7d4e/);
  });

  it("fits 100 columns with long reasons and every verdict present", () => {
    const split: Split = { stable: "green", candidate: "blue", candidate_percent: 0, shadow_percent: 0, revision: 6, updated_at: "2026-04-20T12:00:00Z", updated_by: "npm run promote", reason: "promote: every step passed", models: { blue: "a778a0a4d58a", green: "3ba90d8a43bc" } };
    const reason = "promote: 2 consecutive failed checks at 25% (failed: prediction_psi 1.0729 (threshold <= 0.5, n=200))";
    const history: SplitChange[] = [
      { revision: 6, action: "rollback", at: "2026-04-20T12:00:00.000Z", by: "npm run promote", reason, from: { stable: "green", candidate_percent: 25, shadow_percent: 50 }, to: { stable: "green", candidate_percent: 0, shadow_percent: 0 } },
    ];
    const verdicts = { strong_pass: 3, pass: 5, conditional_pass: 4, conditional_fail: 4, fail: 13, strong_fail: 71 };
    const stats = { window_seconds: 300, generated_at: "2026-04-20T12:01:00Z", source: "router", versions: { blue: { ...fakeVersion({ requests: 100, errors: 0 }), verdicts }, green: { ...fakeVersion({ requests: 100, errors: 0 }), verdicts: { fail: 1, strong_fail: 3 } } } };
    const text = formatStatusReport({ split, history, stats });
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
    // The reason wraps in its column rather than losing the gate's evidence.
    expect(text.replace(/\s+/g, " ")).toContain(reason);
    expect(text).toMatch(/verdict strong_fail\s+75%\s+71%/);
    expect(text).toMatch(/verdict strong_pass\s+0%\s+3%/);
  });
});

describe("wrapWords", () => {
  it("breaks at spaces within the width and cuts only words longer than it", () => {
    expect(wrapWords("a bb ccc dddd", 6)).toEqual(["a bb", "ccc", "dddd"]);
    expect(wrapWords("abcdefgh ij", 3)).toEqual(["abc", "def", "gh", "ij"]);
    expect(wrapWords("", 5)).toEqual([""]);
  });
});
