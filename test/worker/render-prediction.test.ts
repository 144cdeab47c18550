/**
 * /predict answers are spliced around the prediction's cached JSON instead of being built as an
 * object and serialised again: the text must be exactly what the object route would have sent,
 * member for member and in the same order, whatever the cache handed back.
 */

import { describe, expect, it } from "vitest";
import type { PredictionCore } from "../../core/predict.js";
import type { Warning } from "../../core/warnings.js";
import { renderPredictionBody } from "../../worker/src/routes/predict.js";
import type { ResolvedPrediction } from "../../worker/src/prediction-flow.js";

const core = {
  success_probability: 0.6234,
  confidence_interval: { lower: 0.5, upper: 0.7, width: 0.2 },
  verdict: "CONDITIONAL PASS",
  verdict_code: "CONDITIONAL_PASS",
  factors: [{ feature: "runway_months", impact: -0.012, explanation: 'runway_months = 4 "months" lowers it' }],
  flags: [],
  warnings: [{ code: "extreme_value", field: "burn_multiple", message: "unusually high" }],
  model: { name: "flash", version: "a778a0a4d58a", sha256: "0".repeat(64) },
} as unknown as PredictionCore;

const unknownField: Warning = { code: "unknown_field", field: "hq_location", message: "hq_location is not a feature" } as unknown as Warning;

function resolved(json: string, cache: ResolvedPrediction["cache"] = "HIT"): ResolvedPrediction {
  return { core, json, cache };
}

function expectAnswer(text: string, id: string, cache: string, warnings: readonly unknown[]) {
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["prediction_id", ...Object.keys(core), "cache", "processing_time_ms", "timestamp"]);
  expect(body).toMatchObject({ ...core, warnings, prediction_id: id, cache });
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof body.processing_time_ms).toBe("number");
  expect(Number.isNaN(Date.parse(body.timestamp as string))).toBe(false);
}

describe("renderPredictionBody", () => {
  it("splices the cached JSON: the same members, in the same order, as the object it stands for", () => {
    const { id, json } = renderPredictionBody(resolved(JSON.stringify(core)), [], performance.now());
    expectAnswer(json, id, "HIT", core.warnings);
    // The stored text itself is in the answer, not a re-serialisation of it.
    expect(json).toContain(JSON.stringify(core).slice(1, -1));
  });

  it("puts unknown-field warnings first, before the model's own, still spliced", () => {
    const text = JSON.stringify(core);
    const { id, json } = renderPredictionBody(resolved(text, "MISS"), [unknownField, unknownField], performance.now());
    expectAnswer(json, id, "MISS", [unknownField, unknownField, ...core.warnings]);
    // Everything after the warnings is the stored text itself.
    expect(json).toContain(text.slice(text.indexOf(',"model":'), -1));
    const none = { ...core, warnings: [] } as unknown as PredictionCore;
    const onlyClient = renderPredictionBody({ core: none, json: JSON.stringify(none), cache: "HIT" }, [unknownField], 0);
    expect(JSON.parse(onlyClient.json).warnings).toEqual([unknownField]);
  });

  it("answers through the object when the stored text is not what JSON.stringify writes for it", () => {
    // Same value, other spacing: the warnings cannot be found to splice the client's into.
    const spaced = JSON.stringify(core, null, 1).replace(/\n/g, "");
    const { id, json } = renderPredictionBody(resolved(spaced), [unknownField], performance.now());
    expectAnswer(json, id, "HIT", [unknownField, ...core.warnings]);
  });

  it("falls back to serialising the object when the stored text cannot be spliced", () => {
    for (const text of [`${JSON.stringify(core)}\n`, " {}", "{}"]) {
      const { id, json } = renderPredictionBody(resolved(text), [], performance.now());
      expectAnswer(json, id, "HIT", core.warnings);
    }
  });

  it("gives every answer its own id", () => {
    const ids = new Set(Array.from({ length: 50 }, () => renderPredictionBody(resolved(JSON.stringify(core)), [], 0).id));
    expect(ids.size).toBe(50);
  });
});
