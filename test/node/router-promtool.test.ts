/**
 * The router's /metrics text, checked by Prometheus's own linter (`promtool check metrics`, from
 * the Debian package prometheus): if promtool accepts it, a Prometheus server can scrape it.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderPrometheus } from "../../router/src/core/prometheus.js";
import { initialSplit } from "../../router/src/core/split.js";
import { emptyAggregate, recordRequest, recordShadow } from "../../router/src/core/stats.js";

describe("router /metrics and promtool", () => {
  it("passes promtool check metrics", () => {
    const blue = emptyAggregate();
    const green = emptyAggregate();
    for (let i = 0; i < 500; i++) {
      recordRequest(blue, { status: i % 50 === 0 ? 503 : 200, latencyMs: 0.5 + (i % 200), cache: (["hit", "miss", "bypass"] as const)[i % 3]!, probability: (i % 100) / 100, verdict: "pass", fellBack: i % 50 === 0 });
      recordShadow(green, { absDiff: (i % 10) / 100, verdictChanged: i % 7 === 0 });
    }
    recordRequest(green, { status: 200, latencyMs: 3, cache: null, probability: 0.4, verdict: "other", fellBack: false });
    const text = renderPrometheus({
      totals: { blue, green },
      recent: { blue, green },
      split: { ...initialSplit(new Date()).split, candidate_percent: 5 },
      up: { blue: true, green: false },
    });
    const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(result.error, "promtool must be installed (Debian package prometheus)").toBeUndefined();
    // promtool exits 0 with no output when the exposition is valid (lint warnings exit non-zero).
    expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
    expect(result.status).toBe(0);
  });
});
