/**
 * Transport protections inside workerd, on a tiny Hono app wired in the API's order: security
 * headers, CORS from the allow-list, API key. (415, 413 and 405 are the API's own, tested on the
 * real app in api.test.ts and api-protections.test.ts.)
 */

import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireApiKey } from "../../worker/src/auth/index.js";
import { corsFromAllowList, parseAllowedOrigins, securityHeaders } from "../../worker/src/middleware/security.js";

const DEV_KEY = `flash_dev_${"sec".repeat(7)}`;
const bindings = { ...env, FLASH_ENVIRONMENT: "development", FLASH_DEV_API_KEY: DEV_KEY, CORS_ALLOWED_ORIGINS: "https://app.example.com, https://partner.example.org/" };

function buildApp() {
  const app = new Hono();
  app.use(securityHeaders());
  app.use(corsFromAllowList());
  app.use(requireApiKey());
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/features", (c) => c.json({ features: [] }));
  app.get("/docs", (c) => c.html("<html></html>"));
  app.post("/predict", async (c) => {
    const body = await c.req.json<unknown>();
    return c.json({ received: JSON.stringify(body).length });
  });
  return app;
}

const auth = { authorization: `Bearer ${DEV_KEY}` };
const json = { "content-type": "application/json" };

async function request(path: string, init: RequestInit = {}) {
  return buildApp().request(path, init, bindings);
}

describe("securityHeaders", () => {
  it("sets nosniff, HSTS and no-store on predictions (200 and errors alike)", async () => {
    for (const res of [
      await request("/predict", { method: "POST", headers: { ...auth, ...json }, body: "{}" }),
      await request("/predict", { method: "POST", headers: json, body: "{}" }),
    ]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d{7,}; includeSubDomains$/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    }
  });

  it("leaves caching of non-prediction routes to them and exempts the docs page from the strict CSP", async () => {
    const features = await request("/features", { headers: auth });
    expect(features.headers.get("x-content-type-options")).toBe("nosniff");
    expect(features.headers.get("cache-control")).toBeNull();
    const docs = await request("/docs");
    expect(docs.headers.get("content-security-policy")).toBeNull();
    expect(docs.headers.get("strict-transport-security")).not.toBeNull();
    const missing = await request("/nope", { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("corsFromAllowList", () => {
  it("answers a preflight from an allowed origin before authentication", async () => {
    const res = await request("/predict", {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/Authorization/i);
    expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
  });

  it("allows listed origins (trailing slash in the list is ignored) and no others", async () => {
    const partner = await request("/features", { headers: { ...auth, origin: "https://partner.example.org" } });
    expect(partner.headers.get("access-control-allow-origin")).toBe("https://partner.example.org");
    expect(partner.headers.get("access-control-expose-headers")).toMatch(/X-Cache/);
    const evil = await request("/features", { headers: { ...auth, origin: "https://evil.example.net" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const none = await buildApp().request("/features", { headers: { ...auth, origin: "https://app.example.com" } }, { ...bindings, CORS_ALLOWED_ORIGINS: "" });
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
    expect(parseAllowedOrigins(" a , ,b/ ")).toEqual(["a", "b"]);
  });
});
