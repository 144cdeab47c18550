/**
 * The router's request log, inside workerd, in front of the real API deployments: the router's
 * console output is captured and read back. One JSON line per request (a fallback included),
 * never the API key or a feature value, 5xx at error level with what failed.
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { apiKeyId } from "../../router/src/core/bucket";
import { TEST_API_KEY } from "./support/constants";
import { ADMIN_TOKEN, Isolate, testEnv } from "./support/harness";

const STARTUP = { total_capital_raised_usd: 7_654_321, funding_stage: "seed", runway_months: 17.3, sector: "fintech", monthly_burn_usd: 123_457 };
const SECRET_VALUES = ["7654321", "17.3", "fintech", "123457"];

let log: MockInstance<typeof console.log>;
let error: MockInstance<typeof console.error>;

beforeEach(() => {
  log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  error = vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

function lines(spy: MockInstance<(...args: unknown[]) => void>): Record<string, unknown>[] {
  return spy.mock.calls.flatMap((args) => {
    try {
      const parsed = JSON.parse(String(args[0])) as Record<string, unknown>;
      return parsed.component === "router" && "status" in parsed ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

function output(): string {
  return [...log.mock.calls, ...error.mock.calls].map((args) => args.map(String).join(" ")).join("\n");
}

/** The router tests run with request logs off (quiet CI output); these tests read them. */
const LOGS_ON = { REQUEST_LOGS: "true" };

describe("request log (router)", () => {
  it("writes one line per forwarded /predict: version, route, status, latency, cache, key id, prediction id", async () => {
    const router = new Isolate(testEnv({ vars: LOGS_ON }));
    const response = await router.predict(STARTUP);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { prediction_id: string };
    const [line, ...more] = lines(log);
    expect(more).toHaveLength(0);
    expect(lines(error)).toHaveLength(0);
    expect(line).toMatchObject({
      level: "info",
      component: "router",
      version: "blue",
      method: "POST",
      route: "/predict",
      status: 200,
      cache: response.headers.get("x-cache"),
      key_id: apiKeyId(TEST_API_KEY),
      prediction_id: body.prediction_id,
    });
    expect(line!.latency_ms).toBeGreaterThan(0);
    expect(line!.cache).toMatch(/^(MISS|HIT)$/);
    const text = output();
    expect(text).not.toContain(TEST_API_KEY);
    for (const value of SECRET_VALUES) expect(text).not.toContain(value);
  });

  it("logs a request that fell back as ONE line naming the version that failed first", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true, vars: LOGS_ON }));
    await router.setSplit(100);
    log.mockClear();
    const response = await router.predict(STARTUP);
    expect(response.status).toBe(200);
    const all = [...lines(log), ...lines(error)];
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ status: 200, version: "blue", fallback_from: "green", fallback_status: 500, route: "/predict" });
  });

  it("logs a 5xx at error level with what failed, even with REQUEST_LOGS off; other answers are then quiet", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true, vars: { FALLBACK_ENABLED: "false", REQUEST_LOGS: "false" } }));
    await router.setSplit(100);
    const failedRes = await router.predict(STARTUP);
    expect(failedRes.status).toBe(500);
    expect(lines(log)).toHaveLength(0);
    const [failed, ...more] = lines(error);
    expect(more).toHaveLength(0);
    expect(failed).toMatchObject({ level: "error", status: 500, version: "green", error: "the green version answered 500", key_id: apiKeyId(TEST_API_KEY) });
    for (const value of SECRET_VALUES) expect(output()).not.toContain(value);
  });

  it("logs the router's own endpoints without their tokens", async () => {
    const router = new Isolate(testEnv({ vars: LOGS_ON }));
    await router.admin("GET", "/admin/stats?window=60");
    await router.admin("GET", "/admin/stats", undefined, "wrong-token-must-not-be-logged");
    const own = lines(log).filter((l) => l.route === "/admin/stats");
    expect(own.map((l) => l.status)).toEqual([200, 403]);
    expect(own[0]).toMatchObject({ version: null, key_id: null, method: "GET" });
    expect(output()).not.toContain(ADMIN_TOKEN);
    expect(output()).not.toContain("wrong-token-must-not-be-logged");
  });

  it("logs the matched route by the API's rule: a route it knows, else other", async () => {
    const router = new Isolate(testEnv({ vars: LOGS_ON }));
    await router.fetch("/router/health");
    await router.fetch("/nope/secret-looking-path?x=1");
    await router.fetch("/predict/batch", { method: "GET" });
    const routes = lines(log).map((l) => l.route);
    expect(routes).toContain("/router/health");
    expect(routes).toContain("/predict/batch");
    expect(routes).toContain("other");
    expect(output()).not.toContain("secret-looking-path");
  });
});
