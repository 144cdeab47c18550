/**
 * The control plane through the admin API: auth, revisions and conflicts, validation, rollback,
 * promote, history, and how fast a rollback reaches an isolate that cached the split.
 */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, Isolate, TESTER_TOKEN, testEnv } from "./support/harness";

describe("admin auth", () => {
  it("answers 401 without a token, 403 with a wrong one, and works with ADMIN_TOKEN", async () => {
    const router = new Isolate();
    const none = await router.fetch("/admin/split");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    const body = (await none.json()) as any;
    expect(body.error).toMatchObject({ status: 401, code: "unauthorized" });
    expect(body.error.issues[0].field).toBe("Authorization");

    expect((await router.admin("GET", "/admin/split", undefined, "wrong-token")).status).toBe(403);
    expect((await router.admin("GET", "/admin/split", undefined, TESTER_TOKEN)).status).toBe(403);
    expect((await router.admin("GET", "/admin/split", undefined, ADMIN_TOKEN.slice(0, -1))).status).toBe(403);
    expect((await router.admin("PUT", "/admin/split", { candidate_percent: 5, reason: "x" }, "wrong")).status).toBe(403);
    expect((await router.admin("GET", "/admin/split")).status).toBe(200);
  });

  it("is switched off (503) when no ADMIN_TOKEN is configured", async () => {
    const router = new Isolate(testEnv({ vars: { ADMIN_TOKEN: "" } }));
    const response = await router.admin("GET", "/admin/split");
    expect(response.status).toBe(503);
    expect(((await response.json()) as any).error.message).toContain("ADMIN_TOKEN");
  });
});

describe("the split", () => {
  it("starts with all traffic on blue and bumps the revision on each change", async () => {
    const router = new Isolate();
    const initial = await router.adminJson("GET", "/admin/split");
    expect(initial).toMatchObject({ stable: "blue", candidate: "green", candidate_percent: 0, shadow_percent: 0, revision: 1 });
    expect(typeof initial.updated_at).toBe("string");

    const next = await router.adminJson("PUT", "/admin/split", { candidate_percent: 25, shadow_percent: 10, reason: "canary step", updated_by: "alice" });
    expect(next).toMatchObject({ candidate_percent: 25, shadow_percent: 10, revision: 2, updated_by: "alice", reason: "canary step" });
    // GET adds what each colour serves, read live from its /health (the split itself stores no model).
    const served = ((await (await router.fetch("/health")).json()) as { model: { version: string } }).model.version;
    expect(served).toMatch(/^[0-9a-f]{12}$/);
    expect(await router.adminJson("GET", "/admin/split")).toEqual({ ...next, models: { blue: served, green: served } });
  });

  it("answers 409 when expected_revision is stale, and changes nothing", async () => {
    const router = new Isolate();
    await router.setSplit(5, { expected_revision: 1 });
    const conflict = await router.admin("PUT", "/admin/split", { candidate_percent: 50, reason: "late", expected_revision: 1 });
    expect(conflict.status).toBe(409);
    const body = (await conflict.json()) as any;
    expect(body.error.code).toBe("conflict");
    expect(body.split).toMatchObject({ revision: 2, candidate_percent: 5 });
    expect((await router.adminJson("GET", "/admin/split")).candidate_percent).toBe(5);
  });

  it("answers 400 naming the field for values outside 0..100 and bad bodies", async () => {
    const router = new Isolate();
    const cases: Array<[unknown, string]> = [
      [{ candidate_percent: 101, reason: "x" }, "candidate_percent"],
      [{ candidate_percent: -5, reason: "x" }, "candidate_percent"],
      [{ candidate_percent: 5, shadow_percent: 200, reason: "x" }, "shadow_percent"],
      [{ candidate_percent: 5 }, "reason"],
      ["{not json", "body"],
      ["", "body"],
    ];
    for (const [body, field] of cases) {
      const response = await router.admin("PUT", "/admin/split", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as any).error.issues[0].field).toBe(field);
    }
    expect((await router.adminJson("GET", "/admin/split")).revision).toBe(1);
  });

  it("rolls back to 0% at once and records who and why", async () => {
    const router = new Isolate();
    await router.setSplit(50, { shadow_percent: 20 });
    const rolled = await router.fetch("/admin/rollback", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "x-flash-actor": "oncall", "content-type": "application/json" },
      body: JSON.stringify({ reason: "error rate 4%" }),
    });
    expect(rolled.status).toBe(200);
    expect(await rolled.json()).toMatchObject({ stable: "blue", candidate_percent: 0, shadow_percent: 0, revision: 3, updated_by: "oncall", reason: "error rate 4%" });
    // An empty body is fine: the reason defaults.
    expect(await router.adminJson("POST", "/admin/rollback")).toMatchObject({ revision: 4, reason: "rollback" });
  });

  it("promotes only a candidate at 100% (or forced), swapping the colours", async () => {
    const router = new Isolate();
    await router.setSplit(25);
    const early = await router.admin("POST", "/admin/promote", { reason: "too soon" });
    expect(early.status).toBe(409);
    expect(((await early.json()) as any).error.message).toContain("100%");

    await router.setSplit(100);
    const promoted = await router.adminJson("POST", "/admin/promote", { reason: "green is good" });
    expect(promoted).toMatchObject({ stable: "green", candidate: "blue", candidate_percent: 0, revision: 4 });
    // The next deploy goes to blue, now the candidate; a canary step sends blue the traffic.
    const next = await router.setSplit(5);
    expect(next).toMatchObject({ stable: "green", candidate: "blue", candidate_percent: 5 });
    const forced = await router.adminJson("POST", "/admin/promote", { reason: "hotfix", force: true });
    expect(forced).toMatchObject({ stable: "blue", candidate: "green" });
  });

  it("keeps the last 100 changes, newest first", async () => {
    const router = new Isolate();
    for (let i = 1; i <= 104; i++) await router.setSplit(i % 100, { reason: `step ${i}` });
    const { changes } = await router.adminJson("GET", "/admin/history");
    expect(changes).toHaveLength(100);
    expect(changes[0]).toMatchObject({ revision: 105, action: "set", reason: "step 104", by: "admin", to: { candidate_percent: 4 } });
    expect(changes[99].revision).toBe(6);
    expect((await router.adminJson("GET", "/admin/history?limit=3")).changes.map((c: any) => c.revision)).toEqual([105, 104, 103]);
    expect((await router.admin("GET", "/admin/history?limit=0")).status).toBe(400);
  });
});

describe("the split cache of each isolate", () => {
  it("makes a rollback reach an isolate that cached the old split within the cache time", async () => {
    const cacheMs = 1000;
    const env = testEnv({ vars: { SPLIT_CACHE_MS: String(cacheMs) } });
    const admin = new Isolate(env);
    const edge = new Isolate(env);
    // Warm both colours first (their first /health loads the model), so timings below are the cache's.
    await admin.fetch("/health");
    await admin.setSplit(100);
    await admin.fetch("/health");
    // The edge isolate reads the split (100% green) and caches it.
    const before = await edge.fetch("/health");
    expect(before.headers.get("x-flash-version")).toBe("green");

    const rolledAt = Date.now();
    await admin.adminJson("POST", "/admin/rollback", { reason: "test" });
    // Right after the rollback the edge still uses its copy: the cache is real...
    expect((await edge.fetch("/health")).headers.get("x-flash-version")).toBe("green");
    // ...and it is gone within the cache time: every request after that is on blue.
    let servedGreenUntil = rolledAt;
    for (;;) {
      const version = (await edge.fetch("/health")).headers.get("x-flash-version");
      if (version === "blue") break;
      servedGreenUntil = Date.now();
      expect(Date.now() - rolledAt).toBeLessThan(cacheMs + 1500);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(servedGreenUntil - rolledAt).toBeLessThanOrEqual(cacheMs + 100);
    for (let i = 0; i < 5; i++) expect((await edge.fetch("/health")).headers.get("x-flash-version")).toBe("blue");
    // The isolate that made the change uses it at once.
    await admin.setSplit(100);
    expect((await admin.fetch("/health")).headers.get("x-flash-version")).toBe("green");
  });

  it("serves from the last known split (or all-stable) when the control plane is unreachable", async () => {
    const broken = testEnv();
    const throwing = {
      idFromName: () => {
        throw new Error("control plane down");
      },
    };
    const router = new Isolate({ ...broken, SPLIT_CONTROL: throwing } as unknown as Env);
    const response = await router.fetch("/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-flash-version")).toBe("blue");
  });
});
