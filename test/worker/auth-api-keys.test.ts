/**
 * API keys inside workerd: requireApiKey on a tiny Hono app, with keys created the way
 * `npm run keys` creates them (hashes only in FLASH_API_KEYS).
 */

import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkApiKey,
  generateApiKey,
  generateKeyId,
  hashApiKey,
  parseApiKeys,
  requireApiKey,
  type ApiKeyRecord,
  type AuthEvent,
  type AuthVariables,
} from "../../worker/src/auth/index.js";

const DAY = 24 * 3600 * 1000;
const DEV_KEY = `flash_dev_${"test".repeat(5)}`;

interface Keys {
  active: string;
  partner: string;
  expired: string;
  revoked: string;
  records: ApiKeyRecord[];
}

async function record(key: string, name: string, extra: Partial<ApiKeyRecord> = {}): Promise<ApiKeyRecord> {
  return {
    id: generateKeyId(),
    name,
    sha256: await hashApiKey(key),
    created_at: new Date(Date.now() - DAY).toISOString(),
    expires_at: new Date(Date.now() + 90 * DAY).toISOString(),
    ...extra,
  };
}

let keys: Keys;
const events: AuthEvent[] = [];

beforeAll(async () => {
  const active = generateApiKey();
  const partner = generateApiKey();
  const expired = generateApiKey();
  const revoked = generateApiKey();
  keys = {
    active,
    partner,
    expired,
    revoked,
    records: [
      await record(active, "client-a"),
      await record(partner, "partner-x", { rate_limit: "partner", expires_at: null }),
      await record(expired, "old", { expires_at: new Date(Date.now() - DAY).toISOString() }),
      await record(revoked, "leaked", { revoked_at: new Date().toISOString() }),
    ],
  };
});

function buildApp() {
  const app = new Hono<{ Bindings: Record<string, unknown>; Variables: AuthVariables }>();
  app.use(requireApiKey({ log: (event) => events.push(event) }));
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/openapi.json", (c) => c.json({ openapi: "3.1.0" }));
  app.get("/docs", (c) => c.html("<h1>docs</h1>"));
  app.post("/predict", (c) => c.json({ key_id: c.get("apiKey").id, tier: c.get("apiKey").rateLimit ?? null }));
  return app;
}

function envWith(overrides: Record<string, unknown>) {
  return { ...env, FLASH_API_KEYS: JSON.stringify({ version: 1, keys: keys.records }), ...overrides };
}

async function call(bindings: Record<string, unknown>, authorization?: string, path = "/predict", method = "POST") {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await buildApp().request(path, { method, headers, body: method === "POST" ? "{}" : undefined }, bindings);
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

describe("requireApiKey", () => {
  it("lets a valid key through and puts its id (not the key) in the context", async () => {
    const res = await call(envWith({}), `Bearer ${keys.active}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ key_id: keys.records[0]!.id, tier: null });
    const partner = await call(envWith({}), `bearer  ${keys.partner}`);
    expect(partner.body).toEqual({ key_id: keys.records[1]!.id, tier: "partner" });
  });

  it("answers 401 with WWW-Authenticate for a missing, malformed, unknown, expired or revoked key", async () => {
    const cases: [string | undefined, RegExp, RegExp][] = [
      [undefined, /^Bearer realm="flash"$/, /Authorization: Bearer/],
      ["Basic dXNlcjpwYXNz", /error="invalid_request"/, /must be `Bearer <key>`/],
      [`Bearer ${keys.active} extra`, /error="invalid_request"/, /must be/],
      [`Bearer ${generateApiKey()}`, /error="invalid_token"/, /not valid/],
      [`Bearer ${keys.active.slice(0, -1)}x`, /error="invalid_token"/, /not valid/],
      [`Bearer ${keys.expired}`, /error="invalid_token"/, /expired/],
      [`Bearer ${keys.revoked}`, /error="invalid_token"/, /revoked/],
      [`Bearer ${"x".repeat(10_000)}`, /error="invalid_request"/, /must be/],
    ];
    for (const [authorization, challenge, message] of cases) {
      const res = await call(envWith({}), authorization);
      expect(res.status, authorization?.slice(0, 40)).toBe(401);
      expect(res.headers.get("www-authenticate"), authorization?.slice(0, 40)).toMatch(challenge);
      expect(res.body).toMatchObject({ error: "unauthorized", message: expect.stringMatching(message) });
    }
  });

  it("logs the key id on success and failure, never the key", async () => {
    events.length = 0;
    await call(envWith({}), `Bearer ${keys.active}`);
    await call(envWith({}), `Bearer ${keys.expired}`);
    // Another last character (the key is random: it may already end in "Q").
    await call(envWith({}), `Bearer ${keys.partner.slice(0, -1)}${keys.partner.endsWith("Q") ? "R" : "Q"}`);
    expect(events.map((e) => [e.outcome, e.keyId])).toEqual([
      ["ok", keys.records[0]!.id],
      ["expired", keys.records[2]!.id],
      ["unknown", undefined],
    ]);
    const logged = JSON.stringify(events);
    for (const key of [keys.active, keys.expired, keys.partner]) expect(logged).not.toContain(key.slice(9, 30));
  });

  it("exempts /health, /openapi.json, the docs page and CORS preflights", async () => {
    for (const path of ["/health", "/openapi.json", "/docs"]) {
      expect((await call(envWith({}), undefined, path, "GET")).status, path).toBe(200);
    }
    const preflight = await buildApp().request("/predict", { method: "OPTIONS" }, envWith({}));
    expect(preflight.status).not.toBe(401);
  });

  it("accepts FLASH_DEV_API_KEY outside production only, as the unlimited 'dev' key", async () => {
    const dev = await call(envWith({ FLASH_ENVIRONMENT: "development", FLASH_DEV_API_KEY: DEV_KEY }), `Bearer ${DEV_KEY}`);
    expect(dev).toMatchObject({ status: 200, body: { key_id: "dev", tier: "unlimited" } });
    const tiered = await call(envWith({ FLASH_DEV_API_KEY: DEV_KEY, FLASH_DEV_KEY_RATE_LIMIT: "default" }), `Bearer ${DEV_KEY}`);
    expect(tiered.body).toEqual({ key_id: "dev", tier: "default" });
    const prod = await call(envWith({ FLASH_ENVIRONMENT: "production", FLASH_DEV_API_KEY: DEV_KEY }), `Bearer ${DEV_KEY}`);
    expect(prod.status).toBe(401);
    // Real keys keep working in production.
    expect((await call(envWith({ FLASH_ENVIRONMENT: "production" }), `Bearer ${keys.active}`)).status).toBe(200);
  });

  it("in production with no usable key configured, refuses with 503 and says why, whatever the client sends", async () => {
    for (const secret of [undefined, "", "not json", JSON.stringify({ version: 1, keys: [keys.records[2], keys.records[3]] })]) {
      const bindings = { ...env, FLASH_ENVIRONMENT: "production", FLASH_API_KEYS: secret, FLASH_DEV_API_KEY: DEV_KEY };
      for (const authorization of [undefined, `Bearer ${DEV_KEY}`, `Bearer ${keys.active}`]) {
        const res = await call(bindings, authorization);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ error: "api_keys_not_configured", message: expect.stringMatching(/refuses to serve predictions.*npm run keys/s) });
      }
    }
    // /health still answers so the operator can see the deployment is up.
    expect((await call({ ...env, FLASH_ENVIRONMENT: "production" }, undefined, "/health", "GET")).status).toBe(200);
  });

  it("outside production with nothing configured, a 401 says how to get a development key", async () => {
    const res = await call({ ...env, FLASH_ENVIRONMENT: "development", FLASH_API_KEYS: undefined, FLASH_DEV_API_KEY: undefined }, "Bearer anything");
    expect(res.status).toBe(401);
    expect(String(res.body?.message)).toMatch(/FLASH_DEV_API_KEY.*\.dev\.vars\.example/);
  });
});

describe("key records", () => {
  it("parseApiKeys reports broken entries without key material and keeps the good ones", () => {
    const good = { id: "key_1", name: "a", sha256: "ab".repeat(32), created_at: "2026-01-01T00:00:00Z", expires_at: null };
    const parsed = parseApiKeys(JSON.stringify([good, { id: "key_2", sha256: "nothex" }, { name: "no id" }, 7, { ...good, id: "key_3", expires_at: "soon" }]));
    expect(parsed.keys.map((k) => k.id)).toEqual(["key_1"]);
    expect(parsed.errors).toHaveLength(4);
    expect(parseApiKeys("{oops").errors).toEqual(["FLASH_API_KEYS is not valid JSON"]);
    expect(parseApiKeys(undefined)).toEqual({ keys: [], errors: [] });
  });

  it("checkApiKey compares against every record and honours expiry at the given time", async () => {
    const key = generateApiKey();
    expect(key).toMatch(/^flash_sk_[A-Za-z0-9]{40}$/);
    const rec = await record(key, "k", { expires_at: "2030-01-01T00:00:00Z" });
    const others = await Promise.all([1, 2, 3].map(() => record(generateApiKey(), "other")));
    expect(await checkApiKey(key, [...others, rec], Date.parse("2029-12-31T23:59:59Z"))).toEqual({ status: "valid", record: rec });
    expect(await checkApiKey(key, [...others, rec], Date.parse("2030-01-01T00:00:00Z"))).toEqual({ status: "expired", record: rec });
    expect(await checkApiKey(key, others)).toEqual({ status: "unknown" });
  });
});
