/**
 * onnxruntime-web in workerd gives what onnxruntime-node gives (the fixture is made in Node by
 * `npm run worker:fixture` and checked for staleness by a Node test), the API's predictions over
 * the test split span the range the model card reports, and 1,000 generated valid startups are
 * all answered 200 with consistent fields.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeFeaturesInto } from "../../core/encoding.js";
import { FEATURES, FEATURE_COUNT, PILLARS } from "../../core/schema.js";
import { findVerdict } from "../../core/verdict.js";
import { createOrtModel } from "../../worker/src/model/ort-model.js";
import fixture from "./fixtures/ort-parity.json";
import { committedBundle, createTestApp, postDirect, postJson, readJson, defaultManifest as manifest } from "./api-helpers.js";

const rows = fixture.rows as { source: string; label: string; features: Record<string, number | string | boolean>; raw: number; calibrated: number }[];

async function predictAll(startups: readonly object[]): Promise<any[]> {
  const out: any[] = [];
  for (let i = 0; i < startups.length; i += 100) {
    const res = await postJson("/predict/batch", { startups: startups.slice(i, i + 100) });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.failed).toBe(0);
    out.push(...body.results.map((r: { prediction: unknown }) => r.prediction));
  }
  return out;
}

describe("parity with onnxruntime-node", () => {
  it("the fixture is for the bundled model", () => {
    expect(fixture.model.sha256).toBe(manifest.onnx.sha256);
  });

  it("raw model outputs match onnxruntime-node within 1e-6 (onnxruntime-web, in one batch)", async () => {
    const model = await createOrtModel(new Uint8Array(committedBundle.onnx));
    const features = new Float32Array(rows.length * FEATURE_COUNT);
    rows.forEach((r, i) => encodeFeaturesInto(r.features, features, i));
    const raw = await model.predict(features, rows.length);
    rows.forEach((r, i) => expect(Math.abs(raw[i]! - r.raw), r.label).toBeLessThanOrEqual(1e-6));
  });

  it("the API's success_probability matches onnxruntime-node's calibrated probability within 1e-6", async () => {
    const predictions = await predictAll(rows.map((r) => r.features));
    predictions.forEach((p, i) => expect(Math.abs(p.success_probability - rows[i]!.calibrated), rows[i]!.label).toBeLessThanOrEqual(1e-6));
    // And /predict (one startup, its own batch) agrees with /predict/batch.
    for (const i of [0, 1, rows.length - 1]) {
      const single = await readJson(await postJson("/predict", rows[i]!.features));
      expect(Math.abs(single.success_probability - rows[i]!.calibrated)).toBeLessThanOrEqual(1e-6);
    }
  });

  it("a fresh deferred isolate answers from the trees, then from onnxruntime: the same probabilities within 1e-6", async () => {
    let creations = 0;
    const app = createTestApp({
      start: "deferred",
      createModel: async (bytes) => {
        creations++;
        return createOrtModel(bytes);
      },
    });
    const sample = rows.filter((_, i) => i % 7 === 0).slice(0, 20);
    // Until the request's waitUntil has run, onnxruntime has not started: the trees answer.
    const first = await app.post("/predict/batch", { startups: sample.map((r) => r.features) });
    expect(first.headers.get("x-flash-engine")).toBe("trees");
    const fromTrees = (await readJson(first)).results.map((r: { prediction: { success_probability: number } }) => r.prediction.success_probability);
    expect(creations).toBe(1);
    expect(app.models.status().engine).toBe("onnxruntime");
    const single = await app.post("/predict", sample[0]!.features);
    expect(single.headers.get("x-flash-engine")).toBe("onnxruntime");
    sample.forEach((r, i) => expect(Math.abs(fromTrees[i] - r.calibrated), r.label).toBeLessThanOrEqual(1e-6));
    expect(Math.abs((await readJson(single)).success_probability - sample[0]!.calibrated)).toBeLessThanOrEqual(1e-6);
  });

  it("a deferred isolate whose onnxruntime cannot start keeps answering from the trees and retries", async () => {
    let attempts = 0;
    const app = createTestApp({
      start: "deferred",
      createModel: async (bytes) => {
        attempts++;
        if (attempts === 1) throw new Error("simulated start failure");
        return createOrtModel(bytes);
      },
    });
    const a = await app.post("/predict", rows[0]!.features);
    expect(a.status).toBe(200);
    expect(a.headers.get("x-flash-engine")).toBe("trees");
    expect(app.models.status()).toMatchObject({ engine: "trees", error: "simulated start failure", attempts: 1 });
    const b = await app.post("/predict", rows[1]!.features);
    expect(b.status).toBe(200);
    expect(attempts).toBe(2);
    expect(app.models.status().engine).toBe("onnxruntime");
  });

  it("predictions over the test split span the range the model card reports", async () => {
    const test = rows.filter((r) => r.source === "test_split");
    const predictions = (await predictAll(test.map((r) => r.features))).map((p) => p.success_probability as number);
    const reported = manifest.metrics.test.prediction;
    expect(Math.min(...predictions)).toBeCloseTo(reported.min, 6);
    expect(Math.max(...predictions)).toBeCloseTo(reported.max, 6);
    // Every reliability bin the card shows rows in is reached by the API too.
    for (const bin of manifest.metrics.test.reliability.filter((b) => b.count > 0)) {
      const inBin = predictions.filter((p) => p >= bin.lower && (p < bin.upper || (bin.upper === 1 && p <= 1)));
      expect(inBin.length, `bin ${bin.lower}-${bin.upper}`).toBeGreaterThan(0);
    }
    // The verdicts span all six bands, as the v1 guide's "0-100%" promise requires.
    expect(new Set(predictions.map((p) => findVerdict(p).id)).size).toBe(6);
  });
});

/** A valid value for every kind of feature, spelled as clients spell them. */
function arbitraryValue(feature: (typeof FEATURES)[number]): fc.Arbitrary<unknown> {
  switch (feature.type) {
    case "number":
      return fc.oneof(fc.double({ min: feature.min, max: feature.max, noNaN: true }), fc.constantFrom(feature.min, feature.max));
    case "integer":
      return fc.integer({ min: feature.min, max: Math.min(feature.max, 2 ** 31 - 1) });
    case "boolean":
      return fc.constantFrom(true, false, 0, 1, "yes", "no", "TRUE", "False");
    case "category":
      return fc.oneof(fc.constantFrom(...feature.categories), fc.constantFrom(...feature.categories).map((c) => c.toUpperCase().replace("_", " ")));
  }
}

const arbitraryStartup = fc.record(Object.fromEntries(FEATURES.map((f) => [f.name, arbitraryValue(f)])), { requiredKeys: [] });

describe("1,000 generated valid startups", () => {
  it("are all answered 200 with consistent fields", async () => {
    const startups = fc.sample(arbitraryStartup, { numRuns: 1000, seed: 20260426 });
    const answers: { startup: Record<string, unknown>; status: number; body: any; header: string | null }[] = [];
    // Ten at a time, like a client pool.
    for (let i = 0; i < startups.length; i += 10) {
      const slice = startups.slice(i, i + 10);
      answers.push(
        ...(await Promise.all(
          slice.map(async (startup) => {
            const res = await postDirect("/predict", startup);
            return { startup, status: res.status, body: await res.json<any>(), header: res.headers.get("X-Flash-Probability") };
          }),
        )),
      );
    }
    for (const { startup, status, body, header } of answers) {
      expect(status, JSON.stringify(body)).toBe(200);
      const p = body.success_probability;
      expect(p >= 0 && p <= 1).toBe(true);
      expect(body.confidence_interval.lower).toBeLessThanOrEqual(p);
      expect(body.confidence_interval.upper).toBeGreaterThanOrEqual(p);
      expect(body.confidence_interval.lower).toBeGreaterThanOrEqual(0);
      expect(body.confidence_interval.upper).toBeLessThanOrEqual(1);
      expect(body.verdict).toBe(findVerdict(p).label);
      expect(Number(header)).toBeCloseTo(p, 6);
      expect(body.data_completeness).toBeCloseTo(Object.keys(startup).length / 45, 4);
      expect(Object.keys(body.pillar_scores)).toEqual([...PILLARS]);
      for (const f of body.factors) expect(f.feature in startup).toBe(true);
      expect(body.model.version).toBe(manifest.version);
    }
    expect(new Set(answers.map((a) => a.body.prediction_id)).size).toBe(1000);
  });
});
