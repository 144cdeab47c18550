import { describe, expect, it } from "vitest";
import { AdminApiError, AdminClient } from "./admin-client.js";
import { ContractError, parseHistory, parseSplit, parseStatsResponse } from "./stats.js";
import { sendJson, useTestServers } from "./test-server.js";

const SPLIT = { stable: "blue", candidate: "green", candidate_percent: 25, shadow_percent: 0, revision: 8, updated_at: "2026-04-20T10:00:00Z", updated_by: "ops", reason: "step 2" };

function change(revision: number) {
  const state = { stable: "blue", candidate_percent: 25, shadow_percent: 0 };
  return { revision, action: "set", at: "2026-04-20T10:00:00Z", by: "ops", reason: "step 2", from: { ...state, candidate_percent: 5 }, to: state };
}

const VERSION = {
  requests: 1000,
  status: { "2xx": 990, "4xx": 5, "5xx": 5 },
  error_rate: 0.005,
  fallbacks: 5,
  latency_ms: { p50: 2, p95: 6, p99: 12, histogram: { bounds: [0, 1, 2, 4, 8, 16], counts: [100, 400, 300, 150, 50] } },
  cache: { hit: 700, miss: 290, bypass: 0, hit_rate: 0.707 },
  predictions: { count: 990, mean: 0.31, std: 0.21, histogram: { bounds: Array.from({ length: 21 }, (_, i) => i / 20), counts: new Array(20).fill(49.5) } },
  verdicts: { pass: 200, fail: 790 },
  shadow: { comparisons: 0, mean_abs_diff: null, max_abs_diff: null, verdict_changes: 0 },
};

describe("contract parsers", () => {
  it("parse the agreed /admin/stats shape", () => {
    const s = parseStatsResponse({ window_seconds: 300, generated_at: "2026-04-20T10:00:00Z", versions: { blue: VERSION, green: VERSION }, split: SPLIT });
    expect(s.window_seconds).toBe(300);
    expect(s.versions.green.status["5xx"]).toBe(5);
    expect(s.versions.green.latency_ms.p99).toBe(12);
    expect(s.versions.blue.predictions.histogram.bounds).toHaveLength(21);
    expect(s.source).toBe("router");
  });

  it("keep a null error rate (no requests) null, as the router sends it", () => {
    const s = parseStatsResponse({ window_seconds: 60, versions: { green: { ...VERSION, requests: 0, error_rate: null, status: { "2xx": 0, "4xx": 0, "5xx": 0 } } } });
    expect(s.versions.green.error_rate).toBeNull();
  });

  it("treat a colour missing from versions as no traffic", () => {
    const s = parseStatsResponse({ window_seconds: 60, versions: { blue: VERSION } });
    expect(s.versions.green).toMatchObject({ requests: 0, latency_ms: { p99: null } });
  });

  it("name the field that breaks the contract", () => {
    expect(() => parseStatsResponse({ window_seconds: 60, versions: { green: { ...VERSION, requests: "lots" } } })).toThrow(/stats\.versions\.green\.requests: expected a finite number, got "lots"/);
    expect(() => parseStatsResponse({ window_seconds: 60, versions: { green: { ...VERSION, status: { "5xx": -1 } } } })).toThrow(/cannot be negative/);
    const badHistogram = { ...VERSION, predictions: { ...VERSION.predictions, histogram: { bounds: [0, 1], counts: [1, 2] } } };
    expect(() => parseStatsResponse({ window_seconds: 60, versions: { green: badHistogram } })).toThrow(/2 counts need 3 bounds/);
    expect(() => parseSplit({ ...SPLIT, candidate: "red" })).toThrow(ContractError);
    expect(() => parseSplit({ ...SPLIT, candidate_percent: 101 })).toThrow(/outside 0\.\.100/);
  });

  it("parse the history, newest first", () => {
    const list = [1, 3, 2].map((revision) => change(revision));
    expect(parseHistory({ changes: list }).map((c) => c.revision)).toEqual([3, 2, 1]);
    expect(parseHistory({ changes: list })[0]).toMatchObject({ action: "set", by: "ops", to: { candidate_percent: 25 } });
    expect(() => parseHistory({ nope: 1 })).toThrow(/expected \{changes/);
    expect(() => parseHistory({ changes: [{ ...change(1), to: { stable: "red" } }] })).toThrow(/history\.changes\[0\]\.to\.stable/);
  });
});

describe("AdminClient", () => {
  const serve = useTestServers();

  it("sends the bearer token and the agreed bodies", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/admin/split" && req.method === "GET") return sendJson(res, 200, SPLIT);
      if (req.url === "/admin/split" && req.method === "PUT") return sendJson(res, 200, { ...SPLIT, ...JSON.parse(req.body), revision: 9 });
      if (req.url === "/admin/rollback") return sendJson(res, 200, { split: { ...SPLIT, candidate_percent: 0, revision: 10 } });
      if (req.url === "/admin/promote") return sendJson(res, 200, { ...SPLIT, stable: "green", candidate: "blue", candidate_percent: 0, revision: 11 });
      if (req.url?.startsWith("/admin/history")) return sendJson(res, 200, { changes: [change(8)] });
      if (req.url?.startsWith("/admin/stats")) return sendJson(res, 200, { window_seconds: 120, versions: { blue: VERSION, green: VERSION } });
      sendJson(res, 404, { error: "not found" });
    });
    const client = new AdminClient({ baseUrl: `${server.url}/`, token: "admin-secret", actor: "test" });
    expect((await client.getSplit()).candidate_percent).toBe(25);
    const set = await client.setSplit({ candidate_percent: 50, reason: "step 3", expected_revision: 8 });
    expect(set).toMatchObject({ candidate_percent: 50, revision: 9 });
    expect((await client.rollback("bad green")).candidate_percent).toBe(0);
    expect((await client.promote("all steps passed")).stable).toBe("green");
    expect(await client.history()).toHaveLength(1);
    expect((await client.stats(120)).window_seconds).toBe(120);

    expect(server.requests.every((r) => r.headers.authorization === "Bearer admin-secret")).toBe(true);
    const put = server.requests.find((r) => r.method === "PUT")!;
    expect(JSON.parse(put.body)).toEqual({ candidate_percent: 50, reason: "step 3", expected_revision: 8, updated_by: "test" });
    expect(JSON.parse(server.requests.find((r) => r.url === "/admin/rollback")!.body)).toMatchObject({ reason: "bad green" });
    expect(server.requests.find((r) => r.url.startsWith("/admin/stats"))!.url).toBe("/admin/stats?window=120");
  });

  const cases: Array<[number, unknown, RegExp, string]> = [
    [401, { error: "unauthorized" }, /refused the admin token.*ADMIN_TOKEN/, "auth"],
    [409, { error: "revision moved" }, /changed under us.*npm run status/, "conflict"],
    [400, { error: "candidate_percent must be in 0..100" }, /rejected \(400: candidate_percent must be in 0\.\.100\)/, "bad-request"],
    [404, "Not Found", /is FLASH_ROUTER_URL the router/, "not-found"],
    [500, { error: "boom" }, /failed on the router \(500: boom\).*wrangler tail/, "server"],
  ];
  for (const [status, body, message, kind] of cases) {
    it(`turns ${status} into a ${kind} error that says how to fix it`, async () => {
      const server = await serve((_req, res) => {
        if (typeof body === "string") {
          res.writeHead(status);
          res.end(body);
        } else sendJson(res, status, body);
      });
      const client = new AdminClient({ baseUrl: server.url, token: "t" });
      const error = await client.getSplit().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdminApiError);
      expect((error as AdminApiError).kind).toBe(kind);
      expect((error as Error).message).toMatch(message);
    });
  }

  it("says how to start the router when nothing listens", async () => {
    const client = new AdminClient({ baseUrl: "http://127.0.0.1:9", token: "t" });
    await expect(client.getSplit()).rejects.toThrow(/cannot reach the router at http:\/\/127\.0\.0\.1:9 .*npm start/);
  });

  it("reports an answer that breaks the contract", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { window_seconds: 60, versions: { green: { requests: -5 } } }));
    const client = new AdminClient({ baseUrl: server.url, token: "t" });
    await expect(client.stats(60)).rejects.toThrow(/unexpected shape.*cannot be negative/);
  });

  it("times out instead of hanging", async () => {
    const server = await serve(() => undefined); // never answers
    const client = new AdminClient({ baseUrl: server.url, token: "t", timeoutMs: 200 });
    await expect(client.getSplit()).rejects.toThrow(/timed out after 200 ms/);
  });
});
