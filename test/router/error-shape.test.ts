/**
 * Every error the router can give, in the one envelope of core/errors.ts: the admin API's 400,
 * 401, 403, 409 and 503, a forced colour's 403 and 400, and a failing version's 5xx
 * without a fallback. Extra fields beside `error` are allowed (the 409 carries the split).
 */
import { describe, expect, it } from "vitest";
import { checkErrorBody } from "../../core/errors";
import { ADMIN_TOKEN, Isolate, testEnv } from "./support/harness";

async function expectEnvelope(response: Response, status: number, label: string): Promise<any> {
  expect(response.status, label).toBe(status);
  expect(response.headers.get("content-type"), label).toContain("application/json");
  const body = (await response.json()) as any;
  expect(checkErrorBody(body), `${label}: ${JSON.stringify(body)}`).toEqual([]);
  expect(body.error.status, label).toBe(status);
  return body;
}

describe("the router's errors", () => {
  it("all have {error: {status, code, message, issues}}", async () => {
    const router = new Isolate();
    await expectEnvelope(await router.fetch("/admin/split"), 401, "admin without a token");
    await expectEnvelope(await router.admin("GET", "/admin/split", undefined, "wrong"), 403, "admin with a wrong token");
    const bad = await expectEnvelope(await router.admin("PUT", "/admin/split", { candidate_percent: 101, reason: "x" }), 400, "split out of range");
    expect(bad.error.issues[0].field).toBe("candidate_percent");
    await expectEnvelope(await router.admin("PUT", "/admin/split", "{not json"), 400, "split not JSON");
    const split = await router.adminJson("GET", "/admin/split");
    await router.setSplit(5);
    const conflict = await expectEnvelope(await router.admin("PUT", "/admin/split", { candidate_percent: 10, reason: "x", expected_revision: split.revision }), 409, "stale revision");
    expect(conflict.split.candidate_percent).toBe(5);
    await expectEnvelope(await router.admin("POST", "/admin/promote", {}), 409, "promote below 100%");
    await expectEnvelope(await router.predict({ funding_stage: "seed" }, { "x-flash-version": "green" }), 403, "forced colour without a token");
    await expectEnvelope(await router.predict({ funding_stage: "seed" }, { "x-flash-version": "purple", "x-flash-override-token": ADMIN_TOKEN }), 400, "unknown colour");
  });

  it("answers 503 in the same shape when the admin API has no token configured", async () => {
    const router = new Isolate(testEnv({ vars: { ADMIN_TOKEN: "" } }));
    await expectEnvelope(await router.admin("GET", "/admin/split"), 503, "no ADMIN_TOKEN");
  });

  it("answers a failing version's 5xx in the same shape when there is no fallback", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true, vars: { FALLBACK_ENABLED: "false" } }));
    await router.setSplit(100);
    const response = await router.predict({ funding_stage: "seed" }, { "x-client-id": "error-shape" });
    expect(response.status).toBeGreaterThanOrEqual(500);
    const body = (await response.json()) as any;
    expect(checkErrorBody(body), JSON.stringify(body)).toEqual([]);
  });
});
