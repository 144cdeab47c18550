import { describe, expect, it } from "vitest";
import { describeError, formatRequestLog, type RequestLogFields } from "./request-log.js";

const base: RequestLogFields = {
  component: "api",
  version: "blue",
  method: "POST",
  route: "/predict",
  status: 200,
  latency_ms: 1.23456789,
  cache: "MISS",
  key_id: "key_123",
  prediction_id: "6f1c0a4e-0000-4000-8000-000000000000",
};
const at = new Date("2026-11-26T12:00:00.000Z");

describe("formatRequestLog", () => {
  it("writes one JSON object with the common fields first, in a fixed order", () => {
    const { level, line } = formatRequestLog({ ...base, extra: { model_version: "f658962a6b4f" } }, at);
    expect(level).toBe("info");
    expect(line).not.toContain("\n");
    const parsed = JSON.parse(line);
    expect(Object.keys(parsed)).toEqual([
      "time", "level", "component", "version", "method", "route", "status", "latency_ms", "cache", "key_id", "prediction_id", "model_version",
    ]);
    expect(parsed).toMatchObject({ time: "2026-11-26T12:00:00.000Z", latency_ms: 1.235, status: 200, key_id: "key_123" });
  });

  it("logs a 5xx at error level with the error, and the stack only when asked", () => {
    const boom = new TypeError("x is undefined");
    const expected = JSON.parse(formatRequestLog({ ...base, status: 500, error: boom }, at).line);
    expect(expected).toMatchObject({ level: "error", error: "TypeError: x is undefined" });
    expect(expected.stack).toBeUndefined();
    const unexpected = formatRequestLog({ ...base, status: 500, error: boom, errorStack: true }, at);
    expect(unexpected.level).toBe("error");
    expect(JSON.parse(unexpected.line).stack).toContain("TypeError: x is undefined\n");
  });

  it("leaves the error out below 500 and bounds a huge one", () => {
    expect(JSON.parse(formatRequestLog({ ...base, status: 404, error: new Error("nope") }, at).line).error).toBeUndefined();
    expect(describeError("y".repeat(5000)).length).toBeLessThan(600);
    expect(describeError({ toString: () => "odd" })).toBe("odd");
  });
});
