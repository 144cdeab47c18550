/**
 * The API's protections as wired in worker/src/app.ts (the same createApp the deployed entry
 * point uses), inside workerd: API keys (401 with WWW-Authenticate, exempt paths, rotation,
 * production without keys), the per-key rate limit on the real rate-limiting binding (429 with
 * Retry-After), security headers on every answer, the CORS allow-list, and 413/415/405 passing
 * through all of it. Every refusal is the API's one JSON error shape.
 */

import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_EXEMPT_PATHS, generateApiKey, hashApiKey, type ApiKeyRecord } from "../../worker/src/auth/index.js";
import { BASE, DEV_API_KEY, StubModel, createTestApp, readJson } from "./api-helpers.js";

const DAY = 24 * 3600 * 1000;
const V1_CASE = { total_capital_raised_usd: 1000000, funding_stage: "seed" };
const app = createTestApp({ createModel: async () => new StubModel() });

interface Keys {
  current: string;
  previous: string;
  expired: string;
  revoked: string;
  limited: string;
  limitedId: string;
  secret: string;
}
let keys: Keys;

async function record(key: string, extra: Partial<ApiKeyRecord> = {}): Promise<ApiKeyRecord> {
  return {
    id: `key_${crypto.randomUUID().slice(0, 12)}`,
    name: "test client",
    sha256: await hashApiKey(key),
    created_at: new Date(Date.now() - DAY).toISOString(),
    expires_at: new Date(Date.now() + 90 * DAY).toISOString(),
    ...extra,
  };
}

beforeAll(async () => {
  const [current, previous, expired, revoked, limited] = Array.from({ length: 5 }, () => generateApiKey());
  const limitedRecord = await record(limited!, { rate_limit: "default" });
  const records = [
    await record(current!),
    await record(previous!, { created_at: new Date(Date.now() - 80 * DAY).toISOString(), expires_at: new Date(Date.now() + 10 * DAY).toISOString() }),
    await record(expired!, { expires_at: new Date(Date.now() - DAY).toISOString() }),
    await record(revoked!, { revoked_at: new Date().toISOString() }),
    limitedRecord,
  ];
  keys = { current: current!, previous: previous!, expired: expired!, revoked: revoked!, limited: limited!, limitedId: limitedRecord.id, secret: JSON.stringify({ version: 1, keys: records }) };
});

function withKeys(extra: Partial<Env> = {}): Partial<Env> {
  return { FLASH_API_KEYS: keys.secret, ...extra } as Partial<Env>;
}

function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

async function expectApiError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = await readJson(res);
  expect(body.error).toMatchObject({ status, code, message: expect.any(String) });
  return body.error as { message: string; issues?: { field: string; rule: string }[] };
}

describe("API keys on the API", () => {
  it("401 with WWW-Authenticate for a missing, wrong, malformed, expired or revoked key, in the API's error shape", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ authorization: "" }, /^Bearer realm="flash"$/],
      [bearer(generateApiKey()), /error="invalid_token"/],
      [{ authorization: `Basic ${btoa("user:pass")}` }, /error="invalid_request"/],
      [bearer(keys.expired), /error="invalid_token".*expired/],
      [bearer(keys.revoked), /error="invalid_token".*revoked/],
    ];
    for (const [headers, challenge] of cases) {
      const res = await app.fetch("/predict", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(V1_CASE) }, withKeys());
      expect(res.headers.get("www-authenticate"), JSON.stringify(headers)).toMatch(challenge);
      const error = await expectApiError(res, 401, "unauthorized");
      expect(error.issues).toEqual([expect.objectContaining({ field: "authorization", rule: "api_key" })]);
    }
    // The deployed entry point is wired the same way.
    const self = await SELF.fetch(`${BASE}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(V1_CASE) });
    expect(self.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expectApiError(self, 401, "unauthorized");
  });

  it("keeps /health, /openapi.json and /docs open; everything else needs a key", async () => {
    for (const path of ["/health", "/openapi.json", "/docs"]) {
      const res = await app.fetch(path, { headers: { authorization: "" } });
      expect(res.status, path).toBe(200);
    }
    for (const path of ["/", "/features", "/model", "/nope"]) {
      expect((await app.fetch(path, { headers: { authorization: "" } })).status, path).toBe(401);
    }
  });

  it("the OpenAPI document says the same: bearer keys everywhere except the open paths", async () => {
    const doc = await readJson(await app.fetch("/openapi.json", { headers: { authorization: "" } }));
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ apiKey: [] }]);
    const open = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>)
      .filter(([, ops]) => Object.values(ops).every((op) => Array.isArray(op.security) && op.security.length === 0))
      .map(([path]) => path);
    expect(open.sort()).toEqual([...DEFAULT_EXEMPT_PATHS].sort());
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>)) {
      if (open.includes(path)) continue;
      for (const op of Object.values(ops)) expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(["401", "429"]));
    }
  });

  it("accepts every valid key at once (rotation without downtime) and the development key outside production", async () => {
    for (const key of [keys.current, keys.previous, DEV_API_KEY]) {
      expect((await app.post("/predict", V1_CASE, withKeys(), bearer(key))).status).toBe(200);
    }
  });

  it("in production: refuses the development key (401) and, without any usable key, refuses to predict (503)", async () => {
    const production = withKeys({ FLASH_ENVIRONMENT: "production" });
    expect((await app.post("/predict", V1_CASE, production, bearer(keys.current))).status).toBe(200);
    await expectApiError(await app.post("/predict", V1_CASE, production, bearer(DEV_API_KEY)), 401, "unauthorized");
    const unconfigured = await app.post("/predict", V1_CASE, { FLASH_ENVIRONMENT: "production" } as Partial<Env>, bearer(DEV_API_KEY));
    const error = await expectApiError(unconfigured, 503, "api_keys_not_configured");
    expect(error.message).toMatch(/npm run keys/);
    expect((await app.fetch("/health", { headers: { authorization: "" } }, { FLASH_ENVIRONMENT: "production" } as Partial<Env>)).status).toBe(200);
  });
});

describe("rate limit per key (the wrangler.toml binding, run by miniflare)", () => {
  /** Start early in a 10 s window so it cannot roll over in the middle of the burst. */
  async function atWindowStart(): Promise<void> {
    const into = Date.now() % 10_000;
    if (into > 4_000) await new Promise((r) => setTimeout(r, 10_000 - into + 50));
  }

  it("a default-tier key bursts to 100 per 10 s, then 429 with Retry-After in the API's error shape; the dev key is unlimited", async () => {
    await atWindowStart();
    const statuses: number[] = [];
    let first: Response | undefined;
    for (let i = 0; i < 100; i++) {
      const res = await app.fetch("/features", { headers: bearer(keys.limited) }, withKeys());
      first ??= res;
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(first!.headers.get("ratelimit-policy")).toBe("100;w=10");
    const limited = await app.post("/predict", V1_CASE, withKeys(), bearer(keys.limited));
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    const error = await expectApiError(limited, 429, "rate_limited");
    expect(error.message).toMatch(/100 requests per 10 s/);
    expect(limited.headers.get("x-content-type-options")).toBe("nosniff");
    // Other keys have their own budget; the development key (unlimited by default) has none.
    expect((await app.post("/predict", V1_CASE, withKeys(), bearer(keys.current))).status).toBe(200);
    for (let i = 0; i < 120; i++) {
      const res = await app.fetch("/features", {}, withKeys());
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });
});

describe("security headers, CORS, 413/415/405 through the whole stack", () => {
  const cors = { CORS_ALLOWED_ORIGINS: "https://app.example.com" } as Partial<Env>;

  it("puts nosniff and HSTS on every answer, and no-store on every prediction answer, errors included", async () => {
    const answers: [string, Response][] = [
      ["200 predict", await app.post("/predict", V1_CASE)],
      ["200 batch", await app.post("/predict/batch", [V1_CASE])],
      ["401", await app.post("/predict", V1_CASE, {}, { authorization: "" })],
      ["422", await app.post("/predict", { runway_months: -1 })],
      ["415", await app.fetch("/predict", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" })],
      ["413", await app.post("/predict", { startup_name: "x".repeat(70_000) })],
      ["405", await app.fetch("/predict", { method: "GET" })],
      ["404", await app.fetch("/nope")],
      ["health", await app.fetch("/health", { headers: { authorization: "" } })],
      ["docs", await app.fetch("/docs", { headers: { authorization: "" } })],
      ["features", await app.fetch("/features")],
    ];
    for (const [what, res] of answers) {
      expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
      expect(res.headers.get("strict-transport-security"), what).toMatch(/^max-age=\d{7,}; includeSubDomains$/);
      expect(res.headers.get("x-frame-options"), what).toBe("DENY");
      if (what !== "docs") expect(res.headers.get("content-security-policy"), what).toMatch(/default-src 'none'/);
      if (!["404", "health", "docs", "features"].includes(what)) expect(res.headers.get("cache-control"), what).toBe("no-store");
    }
    expect(answers.map(([, r]) => r.status)).toEqual([200, 200, 401, 422, 415, 413, 405, 404, 200, 200, 200]);
  });

  it("CORS: preflights from listed origins before authentication, nothing for other origins", async () => {
    const preflight = await app.fetch(
      "/predict",
      { method: "OPTIONS", headers: { authorization: "", origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } },
      cors,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/i);

    const allowed = await app.post("/predict", V1_CASE, cors, { origin: "https://app.example.com" });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/X-Cache/);
    // A browser can read why it was refused.
    const refused = await app.post("/predict", V1_CASE, cors, { origin: "https://app.example.com", authorization: "" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("https://app.example.com");

    const other = await app.post("/predict", V1_CASE, cors, { origin: "https://evil.example.net" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const otherPreflight = await app.fetch("/predict", { method: "OPTIONS", headers: { authorization: "", origin: "https://evil.example.net", "access-control-request-method": "POST" } }, cors);
    expect(otherPreflight.headers.get("access-control-allow-origin")).toBeNull();
    const none = await app.post("/predict", V1_CASE, { CORS_ALLOWED_ORIGINS: "" } as Partial<Env>, { origin: "https://app.example.com" });
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("413 above 64 KB (declared or streamed), 415 for non-JSON, 405 with Allow: one implementation each, after the key check", async () => {
    await expectApiError(await app.post("/predict", { startup_name: "x".repeat(64 * 1024) }), 413, "body_too_large");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(4096)));
        controller.close();
      },
    });
    await expectApiError(await app.fetch("/predict", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit), 413, "body_too_large");
    await expectApiError(await app.fetch("/predict", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }), 415, "unsupported_media_type");
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const res = await app.fetch("/predict/batch", { method });
      expect(res.headers.get("allow"), method).toBe("POST");
      await expectApiError(res, 405, "method_not_allowed");
    }
    // Without a key, nothing about the body is looked at.
    await expectApiError(await app.fetch("/predict", { method: "POST", headers: { authorization: "", "content-type": "text/plain" }, body: "x" }), 401, "unauthorized");
  });
});
