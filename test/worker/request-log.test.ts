/**
 * The API's request log, inside workerd: the console output the app writes (what `wrangler tail`
 * shows) is captured and read back. One JSON line per request with the fields operators query;
 * never the API key, never a feature value; a 5xx is one line, with its error.
 */

import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { FEATURE_COUNT } from "../../core/schema.js";
import { StubModel, createTestApp, readJson } from "./api-helpers.js";

/** Feature values no log line may contain (distinctive, so a match is not a coincidence). */
const STARTUP = {
  startup_name: "Zebracorn Quantum Widgets",
  total_capital_raised_usd: 7_654_321,
  monthly_burn_usd: 123_457,
  funding_stage: "Series A",
  sector: "fintech",
  runway_months: 17.3,
  team_size_full_time: 41,
};
const SECRET_VALUES = ["Zebracorn", "7654321", "123457", "Series A", "series_a", "fintech", "17.3"];
/** The tests run with request logs off (vitest.config.ts: quiet CI logs); these read them. */
const LOGS_ON = { REQUEST_LOGS: "true" } as const;
const WRONG_KEY = "flash_live_this_key_must_never_be_logged_0123456789";

let log: MockInstance<typeof console.log>;
let error: MockInstance<typeof console.error>;
let warn: MockInstance<typeof console.warn>;

beforeEach(() => {
  log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  error = vi.spyOn(console, "error").mockImplementation(() => undefined);
  warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

/** Everything written to the console so far, as text. */
function allOutput(): string {
  return [...log.mock.calls, ...error.mock.calls, ...warn.mock.calls].map((args) => args.map(String).join(" ")).join("\n");
}

/** The request-log lines (JSON with component "api"). */
function requestLines(spy: MockInstance<(...args: unknown[]) => void>): Record<string, unknown>[] {
  return spy.mock.calls
    .map((args) => {
      try {
        return JSON.parse(String(args[0])) as Record<string, unknown>;
      } catch {
        return null;
      }
    })
    .filter((x): x is Record<string, unknown> => x !== null && x.component === "api");
}

describe("request log (API)", () => {
  it("writes one line per /predict with version, route, status, latency, cache, key id and prediction id", async () => {
    const app = createTestApp({ createModel: async () => new StubModel(), vars: LOGS_ON });
    const first = await app.post("/predict", STARTUP);
    expect(first.status).toBe(200);
    const body = await readJson(first);
    const second = await app.post("/predict", STARTUP);
    expect(second.status).toBe(200);

    const lines = requestLines(log);
    expect(lines).toHaveLength(2);
    expect(requestLines(error)).toHaveLength(0);
    const [miss, hit] = lines;
    expect(Object.keys(miss!).slice(0, 11)).toEqual(["time", "level", "component", "version", "method", "route", "status", "latency_ms", "cache", "key_id", "prediction_id"]);
    expect(miss).toMatchObject({
      level: "info",
      component: "api",
      version: "local",
      method: "POST",
      route: "/predict",
      status: 200,
      cache: "MISS",
      key_id: "dev",
      prediction_id: body.prediction_id,
      model_version: body.model.version,
    });
    expect(Date.parse(String(miss!.time))).not.toBeNaN();
    expect(typeof miss!.latency_ms).toBe("number");
    expect(hit).toMatchObject({ cache: "HIT", status: 200 });
    expect(hit!.prediction_id).not.toBe(miss!.prediction_id);
    expect(first.headers.get("x-flash-prediction-id")).toBe(body.prediction_id);
  });

  it("never writes the API key or a feature value, whatever the answer", async () => {
    const app = createTestApp({ createModel: async () => new StubModel(), vars: LOGS_ON });
    const { env } = await import("cloudflare:workers");
    const devKey = (env as unknown as { FLASH_DEV_API_KEY: string }).FLASH_DEV_API_KEY;
    await app.post("/predict", STARTUP);
    await app.post("/predict/batch", { startups: [STARTUP, { ...STARTUP, runway_months: 99 }] });
    await app.post("/predict", { ...STARTUP, runway_months: "seventeen" }); // 422 naming the field
    await app.post("/predict", STARTUP, {}, { authorization: `Bearer ${WRONG_KEY}` }); // 401
    await app.fetch(`/predict?api_key=${WRONG_KEY}&sector=fintech`, { method: "POST", body: JSON.stringify(STARTUP), headers: { "content-type": "application/json" } });

    const lines = [...requestLines(log), ...requestLines(error)];
    expect(lines.map((l) => l.status)).toEqual([200, 200, 422, 401, 200]);
    expect(lines[3]).toMatchObject({ key_id: null, route: "/predict" });
    const output = allOutput();
    expect(output).not.toContain(devKey);
    expect(output).not.toContain(WRONG_KEY);
    for (const value of SECRET_VALUES) expect(output).not.toContain(value);
  });

  it("logs a 5xx once, at error level, with the error (and the stack of an unexpected one)", async () => {
    const broken = createTestApp({
      createModel: async () => ({
        predict: async (_features: Float32Array, rows: number) => {
          if (rows > 0) throw new RangeError("tensor shape mismatch in the stand-in model");
          return new Float32Array(FEATURE_COUNT);
        },
      }),
    });
    const res = await broken.post("/predict", STARTUP);
    expect(res.status).toBe(500);
    expect(log).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalledTimes(1);
    const [line] = requestLines(error);
    expect(line).toMatchObject({ level: "error", status: 500, route: "/predict", key_id: "dev", error: "RangeError: tensor shape mismatch in the stand-in model" });
    expect(String(line!.stack)).toContain("RangeError");
    for (const value of SECRET_VALUES) expect(allOutput()).not.toContain(value);
  });

  it("logs an injected fault as one error line without a stack, and an unknown path as route other", async () => {
    const app = createTestApp({ createModel: async () => new StubModel(), vars: LOGS_ON });
    const res = await app.post("/predict", STARTUP, { FAULT_ERROR_RATE: "1" });
    expect(res.status).toBe(500);
    expect(error).toHaveBeenCalledTimes(1);
    const [line] = requestLines(error);
    expect(line).toMatchObject({ status: 500, error: expect.stringMatching(/^FaultInjectedError: /) });
    expect(line!.stack).toBeUndefined();

    await app.fetch("/no/such/path/Zebracorn");
    expect(requestLines(log).at(-1)).toMatchObject({ status: 404, route: "other", method: "GET" });
  });
});
