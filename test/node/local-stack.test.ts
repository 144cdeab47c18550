/**
 * `npm start`'s launcher, started programmatically as the scripts' end-to-end tests do: the
 * router, blue and green on workerd (real bundles), Redis when installed, green with injected
 * faults; real HTTP all the way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRedisServer } from "../../tools/upstash-bridge/redis-server.js";
import { checkFaults, startLocalStack, type LocalStack } from "../../tools/local-stack/stack.js";

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, greenFaults: { errorRate: 1 }, routerVars: { SPLIT_CACHE_MS: "0" } });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

const predict = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/predict`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.devApiKey}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ total_capital_raised_usd: 1_000_000, funding_stage: "seed" }),
  });

const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.routerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("the local stack", () => {
  it("serves the router with blue and green behind it, each also reachable directly", async () => {
    expect(stack.routerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.cache).toBe(findRedisServer() ? "redis" : "embedded");
    for (const [url, color] of [[stack.blueUrl, "blue"], [stack.greenUrl, "green"]] as const) {
      const health = (await (await fetch(`${url}/health`)).json()) as { color: string; model: { version: string } };
      expect(health.color).toBe(color);
    }
    const routed = await predict(stack.routerUrl);
    expect(routed.status).toBe(200);
    expect(routed.headers.get("x-flash-version")).toBe("blue");
    // The API really uses the cache the launcher announced (its /health says which), and it caches.
    const blueHealth = (await (await fetch(`${stack.blueUrl}/health`)).json()) as { cache: { backend: string } };
    expect(blueHealth.cache.backend).toBe(stack.cache === "redis" ? "redis" : "memory");
    const unique = { total_capital_raised_usd: 1_000_000 + Math.floor(Math.random() * 1e9), funding_stage: "seed" };
    const twice = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${stack.blueUrl}/predict`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.devApiKey}`, "content-type": "application/json" },
        body: JSON.stringify(unique),
      });
      twice.push(res.headers.get("x-cache"));
    }
    expect(twice).toEqual(["MISS", "HIT"]);
    // Both deployments serve the same bundled model.
    const [b, g] = await Promise.all([fetch(`${stack.blueUrl}/health`), fetch(`${stack.greenUrl}/health`)]);
    expect(((await b.json()) as any).model.version).toBe(((await g.json()) as any).model.version);
  });

  it("runs green with the faults asked for, and the router falls back to blue", async () => {
    expect((await predict(stack.greenUrl)).status).toBe(500);
    expect((await admin("PUT", "/admin/split", { candidate_percent: 100, reason: "local stack test" })).status).toBe(200);
    const routed = await predict(stack.routerUrl);
    expect(routed.status).toBe(200);
    expect(routed.headers.get("x-flash-fallback-from")).toBe("green");
    const stats = (await (await admin("GET", "/admin/stats?window=60")).json()) as any;
    expect(stats.versions.green.status["5xx"]).toBe(1);
    expect(stats.versions.green.fallbacks).toBe(1);
    const metrics = await (await fetch(`${stack.routerUrl}/metrics`, { headers: { authorization: `Bearer ${stack.adminToken}` } })).text();
    expect(metrics).toContain('flash_fallbacks_total{version="green"} 1');
  });

  it("refuses fault values the API would ignore", () => {
    expect(() => checkFaults("green", { errorRate: 1.5 })).toThrow(/error rate must be from 0 to 1/);
    expect(() => checkFaults("blue", { latencyMs: -1 })).toThrow(/latency/);
    expect(() => checkFaults("green", { constantProbability: 2 })).toThrow(/constant probability/);
    expect(() => checkFaults("green", { errorRate: 0.05, latencyMs: 300, constantProbability: 0.5 })).not.toThrow();
  });

  it("stops everything", async () => {
    const url = stack.routerUrl;
    await stack.stop();
    await expect(fetch(`${url}/router/health`)).rejects.toThrow();
  });
});
