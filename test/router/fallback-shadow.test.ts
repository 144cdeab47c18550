/**
 * Failure handling and shadowing against the real API: a green that answers 500 (its own fault
 * injection), one that is too slow, and a green whose predictions differ from blue's.
 */
import { describe, expect, it } from "vitest";
import { Isolate, startup, testEnv } from "./support/harness";
import { BROKEN_GREEN_LATENCY_MS, GREEN_CONSTANT_PROBABILITY } from "./support/constants";

async function stats(router: Isolate, window = 300): Promise<any> {
  return router.adminJson("GET", `/admin/stats?window=${window}`);
}

describe("fallback", () => {
  it("retries a 5xx from green once on blue, and counts the failure against green", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true }));
    await router.setSplit(100);
    const response = await router.predict(startup(5));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-flash-version")).toBe("blue");
    expect(response.headers.get("x-flash-fallback-from")).toBe("green");
    expect(Number(response.headers.get("x-flash-probability"))).toBeGreaterThanOrEqual(0);

    const { versions } = await stats(router);
    expect(versions.green).toMatchObject({ requests: 1, status: { "2xx": 0, "4xx": 0, "5xx": 1 }, error_rate: 1, fallbacks: 1 });
    expect(versions.blue).toMatchObject({ requests: 1, status: { "2xx": 1, "4xx": 0, "5xx": 0 }, fallbacks: 0 });
    // Green failed only after its injected delay: the latency recorded for it says so.
    expect(versions.green.latency_ms.p50).toBeGreaterThanOrEqual(BROKEN_GREEN_LATENCY_MS * 0.95);
  });

  it("treats a timeout as a failure and falls back", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true, vars: { UPSTREAM_TIMEOUT_MS: "100" } }));
    await router.setSplit(100);
    const started = Date.now();
    const response = await router.predict(startup(6));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-flash-fallback-from")).toBe("green");
    // Blue answered long before green's 400 ms would have.
    expect(Date.now() - started).toBeLessThan(BROKEN_GREEN_LATENCY_MS);
    const { versions } = await stats(router);
    expect(versions.green.status["5xx"]).toBe(1);
    expect(versions.green.fallbacks).toBe(1);
  });

  it("can be switched off: the client then sees green's error", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true, vars: { FALLBACK_ENABLED: "false" } }));
    await router.setSplit(100);
    const response = await router.predict(startup(7));
    expect(response.status).toBe(500);
    expect(response.headers.get("x-flash-version")).toBe("green");
    const { versions } = await stats(router);
    expect(versions.green).toMatchObject({ requests: 1, fallbacks: 0 });
    expect(versions.blue.requests).toBe(0);
  });

  it("keeps clients' error rate near zero while a partly broken green is at 25%", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true }));
    await router.setSplit(25);
    let failures = 0;
    let fellBack = 0;
    for (let i = 0; i < 40; i++) {
      const r = await router.predict(startup(i), { "x-client-id": `c-${i}` });
      if (r.status >= 500) failures++;
      if (r.headers.get("x-flash-fallback-from")) fellBack++;
    }
    expect(failures).toBe(0);
    const { versions } = await stats(router);
    expect(versions.green.fallbacks).toBe(fellBack);
    expect(versions.green.status["5xx"]).toBe(fellBack);
    expect(versions.blue.requests).toBe(40);
  });
});

describe("shadow", () => {
  it("sends a share of stable traffic to the candidate in the background and records the comparison", async () => {
    const router = new Isolate();
    await router.setSplit(0, { shadow_percent: 100 });
    const observed: Array<{ p: number; verdict: string }> = [];
    for (let i = 0; i < 5; i++) {
      const r = await router.predict(startup(i * 13));
      expect(r.headers.get("x-flash-version")).toBe("blue");
      observed.push({ p: Number(r.headers.get("x-flash-probability")), verdict: r.headers.get("x-flash-verdict")! });
    }
    const { versions } = await stats(router);
    // The client's answers all came from blue; green served no client.
    expect(versions.blue.requests).toBe(5);
    expect(versions.green.requests).toBe(0);
    const diffs = observed.map((o) => Math.abs(o.p - GREEN_CONSTANT_PROBABILITY));
    expect(versions.green.shadow.comparisons).toBe(5);
    expect(versions.green.shadow.mean_abs_diff).toBeCloseTo(diffs.reduce((a, b) => a + b, 0) / diffs.length, 6);
    expect(versions.green.shadow.max_abs_diff).toBeCloseTo(Math.max(...diffs), 6);
    expect(versions.green.shadow.verdict_changes).toBe(observed.filter((o) => o.verdict !== "strong_pass").length);
  });

  it("never delays the client: the answer is back before the shadow call ends", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true }));
    await router.setSplit(0, { shadow_percent: 100 });
    await router.predict(startup(1)); // warm blue
    const started = Date.now();
    const { response, ctx } = await router.fetchNoWait("/predict", {
      method: "POST",
      headers: { authorization: `Bearer flash_test_router_key_0123456789`, "content-type": "application/json" },
      body: JSON.stringify(startup(2)),
    });
    const clientMs = Date.now() - started;
    expect(response.status).toBe(200);
    // The broken green takes 400 ms to fail; the client did not wait for it.
    expect(clientMs).toBeLessThan(BROKEN_GREEN_LATENCY_MS);
    const { waitOnExecutionContext } = await import("cloudflare:test");
    await waitOnExecutionContext(ctx);
    // A failed shadow call gives nothing to compare and does not count as a green request.
    const { versions } = await stats(router);
    expect(versions.green.shadow.comparisons).toBe(0);
    expect(versions.green.requests).toBe(0);
  });

  it("shadows nothing at 0% and never shadows candidate traffic", async () => {
    const router = new Isolate();
    await router.setSplit(100, { shadow_percent: 0 });
    await router.predict(startup(1));
    await router.setSplit(100, { shadow_percent: 100 });
    await router.predict(startup(1));
    const { versions } = await stats(router);
    expect(versions.green.requests).toBe(2);
    expect(versions.green.shadow.comparisons).toBe(0);
    expect(versions.blue.shadow.comparisons).toBe(0);
  });
});
