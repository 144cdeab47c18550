/**
 * Transport protections inside workerd, on a tiny Hono app wired in the suggested order:
 * security headers, CORS from the allow-list, API key; then, on the POST route, JSON only (415) and
 * the body limit (413); 405 for the route's other methods.
 */

import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireApiKey } from "../../worker/src/auth/index.js";
import {
  corsFromAllowList,
  limitBody,
  methodNotAllowed,
  parseAllowedOrigins,
  requireJson,
  securityHeaders,
} from "../../worker/src/middleware/security.js";

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
  // On the POST routes themselves, so other methods reach their 405 instead of a 415.
  app.post("/predict", requireJson(), limitBody(), async (c) => {
    const body = await c.req.json<unknown>();
    return c.json({ received: JSON.stringify(body).length });
  });
  app.on(["GET", "PUT", "DELETE", "PATCH"], "/predict", methodNotAllowed(["POST"]));
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

describe("requireJson and limitBody", () => {
  it("answers 415 for a POST that is not JSON, naming what was sent", async () => {
    const variants: Record<string, string>[] = [{}, { "content-type": "text/plain" }, { "content-type": "application/x-www-form-urlencoded" }];
    for (const headers of variants) {
      const res = await request("/predict", { method: "POST", headers: { ...auth, ...headers }, body: "a=1" });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ error: "unsupported_media_type", message: expect.stringMatching(/application\/json/) });
    }
    const ok = await request("/predict", { method: "POST", headers: { ...auth, "content-type": "application/json; charset=utf-8" }, body: "{}" });
    expect(ok.status).toBe(200);
  });

  it("answers 413 above 64 KB, with or without Content-Length, and accepts exactly 64 KB", async () => {
    const fits = JSON.stringify({ pad: "x".repeat(64 * 1024 - 10) });
    expect(fits.length).toBe(64 * 1024);
    const ok = await request("/predict", { method: "POST", headers: { ...auth, ...json }, body: fits });
    expect(ok.status).toBe(200);
    const big = JSON.stringify({ pad: "x".repeat(64 * 1024) });
    const res = await request("/predict", { method: "POST", headers: { ...auth, ...json }, body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "payload_too_large", message: expect.stringMatching(/65536 bytes/) });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("x".repeat(4096)));
        controller.close();
      },
    });
    const streamed = await request("/predict", { method: "POST", headers: { ...auth, ...json }, body: stream, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});

describe("methodNotAllowed", () => {
  it("answers 405 with Allow for other methods on a route", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await request("/predict", { method, headers: auth });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST, OPTIONS");
      expect(await res.json()).toMatchObject({ error: "method_not_allowed" });
    }
  });
});
