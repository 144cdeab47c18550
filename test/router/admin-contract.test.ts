/**
 * The admin API's answers parse with the scripts' own parsers (scripts/lib/stats.ts), typed
 * against the shapes in core/admin-api.ts: promote, rollback and status read exactly what the
 * router writes, including nulls for quantities without data.
 */
import { describe, expect, it } from "vitest";
import { parseHistory, parseSplit, parseStatsResponse } from "../../scripts/lib/stats";
import { Isolate, startup } from "./support/harness";

describe("the admin API's wire contract", () => {
  it("a live /admin/stats, /admin/split and /admin/history parse as the scripts read them", async () => {
    const router = new Isolate();
    await router.setSplit(50, { shadow_percent: 0 });
    for (let i = 0; i < 20; i++) expect((await router.predict(startup(i), { "x-client-id": `contract-${i}` })).status).toBe(200);
    const stats = parseStatsResponse(await router.adminJson("GET", "/admin/stats?window=60"));
    const served = stats.versions.blue.requests + stats.versions.green.requests;
    expect(served).toBe(20);
    for (const v of Object.values(stats.versions)) {
      if (v.requests === 0) expect(v.error_rate).toBeNull();
      else expect(v.error_rate).toBe(0);
      // No shadowing here: nothing to compare, so null, not 0.
      expect(v.shadow.mean_abs_diff).toBeNull();
      expect(v.shadow.max_abs_diff).toBeNull();
    }
    const split = parseSplit(await router.adminJson("GET", "/admin/split"));
    expect(split.candidate_percent).toBe(50);
    expect(parseHistory(await router.adminJson("GET", "/admin/history")).length).toBeGreaterThan(0);
  });
});
