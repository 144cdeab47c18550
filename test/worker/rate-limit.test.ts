/**
 * Per-key rate limits on the Workers rate-limiting bindings declared in wrangler.toml (miniflare
 * runs them for real: fixed windows, counted per key).
 */

import { env } from "cloudflare:workers";
import { Hono, type Context } from "hono";
import { describe, expect, it, vi } from "vitest";
import { rateLimitByKey, secondsUntilWindowEnds, DEFAULT_RATE_LIMIT_TIERS, type RateLimitEvent } from "../../worker/src/middleware/rate-limit.js";

type Key = { id: string; rateLimit?: string };

function buildApp(options: Parameters<typeof rateLimitByKey>[0] = {}) {
  const app = new Hono<{ Bindings: Record<string, unknown>; Variables: { apiKey: Key } }>();
  // Stand-in for requireApiKey: the tests choose the caller with headers.
  app.use(async (c, next) => {
    const id = c.req.header("x-test-key");
    if (id) c.set("apiKey", { id, rateLimit: c.req.header("x-test-tier") });
    await next();
  });
  app.use(rateLimitByKey(options));
  app.post("/predict", (c) => c.json({ ok: true }));
  return app;
}

/** Start a burst early in a 10 s window so the window cannot roll over in the middle of it. */
async function atWindowStart(): Promise<void> {
  const into = Date.now() % 10_000;
  if (into > 5_000) await new Promise((r) => setTimeout(r, 10_000 - into + 50));
}

async function burst(app: ReturnType<typeof buildApp>, n: number, headers: Record<string, string>, bindings: Record<string, unknown> = env as never) {
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < n; i++) {
    last = await app.request("/predict", { method: "POST", headers }, bindings);
    statuses.push(last.status);
  }
  return { statuses, last: last! };
}

const unique = () => `key_${crypto.randomUUID().slice(0, 12)}`;

describe("rateLimitByKey on the wrangler.toml bindings", () => {
  it("declares the default tier as 100 requests per 10 s (10/s with a burst) in wrangler.toml", async () => {
    expect(DEFAULT_RATE_LIMIT_TIERS.default).toEqual({ binding: "RATE_LIMIT_DEFAULT", limit: 100, periodSeconds: 10 });
    for (const tier of Object.values(DEFAULT_RATE_LIMIT_TIERS)) {
      expect(typeof (env as unknown as Record<string, { limit?: unknown }>)[tier.binding]?.limit, tier.binding).toBe("function");
    }
  });

  it("lets a key burst to its budget, then answers 429 with Retry-After; other keys are unaffected", async () => {
    await atWindowStart();
    const app = buildApp();
    const key = unique();
    const { statuses, last } = await burst(app, 103, { "x-test-key": key });
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(100)).toEqual([429, 429, 429]);
    const retryAfter = Number(last.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(last.headers.get("ratelimit-policy")).toBe("100;w=10");
    expect(await last.json()).toMatchObject({ error: "rate_limited", retry_after_seconds: retryAfter, message: expect.stringMatching(/100 requests per 10 s/) });
    // Another key has its own budget.
    expect((await burst(app, 1, { "x-test-key": unique() })).statuses).toEqual([200]);
  });

  it("gives a key its own tier (partner: 1000 per 10 s) and 'unlimited' no limit at all", async () => {
    await atWindowStart();
    const app = buildApp();
    const partner = await burst(app, 150, { "x-test-key": unique(), "x-test-tier": "partner" });
    expect(partner.statuses.every((s) => s === 200)).toBe(true);
    const unlimited = await burst(app, 250, { "x-test-key": "dev", "x-test-tier": "unlimited" });
    expect(unlimited.statuses.every((s) => s === 200)).toBe(true);
  });

  it("falls back to the default tier for an unknown tier name, with one warning", async () => {
    await atWindowStart();
    const warn = vi.fn();
    const app = buildApp({ warn });
    const { statuses } = await burst(app, 101, { "x-test-key": unique(), "x-test-tier": "platinum" });
    expect(statuses.at(-1)).toBe(429);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/unknown rate-limit tier "platinum"/);
  });

  it("fails open (with a warning) when the binding is missing or throws", async () => {
    const events: RateLimitEvent[] = [];
    const warn = vi.fn();
    const app = buildApp({ warn, log: (e) => events.push(e) });
    const key = unique();
    const missing = await burst(app, 3, { "x-test-key": key }, {});
    expect(missing.statuses).toEqual([200, 200, 200]);
    const broken = { RATE_LIMIT_DEFAULT: { limit: async () => Promise.reject(new Error("limiter down")) } };
    expect((await burst(app, 2, { "x-test-key": key }, broken)).statuses).toEqual([200, 200]);
    expect(events.map((e) => e.reason)).toEqual(["missing binding", "missing binding", "missing binding", "limiter error", "limiter error"]);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/missing/), expect.stringMatching(/limiter down/)]);
  });

  it("does not count requests without an API key (requireApiKey has answered those already)", async () => {
    const app = buildApp({ keyOf: (c: Context) => (c.get("apiKey") as Key | undefined)?.id });
    const { statuses } = await burst(app, 120, {});
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it("computes Retry-After to the end of the fixed window", () => {
    expect(secondsUntilWindowEnds(1_700_000_000_000, 10)).toBe(10);
    expect(secondsUntilWindowEnds(1_700_000_000_001, 10)).toBe(10);
    expect(secondsUntilWindowEnds(1_700_000_009_500, 10)).toBe(1);
    expect(secondsUntilWindowEnds(1_700_000_010_000, 60)).toBe(30); // 30 s into a minute window
  });
});
