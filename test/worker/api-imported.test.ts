/**
 * Imported models (model:import) served by the API inside workerd with onnxruntime-web's real
 * WASM: the engines give the probabilities onnxruntime-node gives on the *original* files within
 * 1e-6 (onnxruntime-web and, for tree ensembles, the tree walk), and /predict answers exactly
 * those through the manifest's calibration: from the tree walk while onnxruntime starts, from
 * onnxruntime after, with explanations. A model that is not a tree ensemble is served by
 * onnxruntime from the first request, explained by occlusion rows. (A Platt calibration is steep
 * near 0 and 1, so /predict is compared with the calibrated engine output; the 1e-6 claim is on
 * the model's own probabilities.) The fixtures are made in Node
 * by `npm run worker:imported-fixtures` (test/node/worker-imported-fixtures.test.ts checks they
 * are current).
 */

import { describe, expect, it } from "vitest";
import { calibrateProbability } from "../../core/calibration.js";
import { encodeFeaturesInto } from "../../core/encoding.js";
import type { ImportedModelManifest } from "../../core/manifest.js";
import { FEATURE_COUNT } from "../../core/schema.js";
import { MemoryPredictionCache } from "../../worker/src/cache/index.js";
import { createTreeExplainer, type ModelBundle } from "../../worker/src/model/model-service.js";
import { createOrtModel } from "../../worker/src/model/ort-model.js";
import { createTestApp, readJson } from "./api-helpers.js";
import gbCard from "./fixtures/imported/gradient-boosting/MODEL_CARD.md";
import gbManifest from "./fixtures/imported/gradient-boosting/manifest.json";
import gbOnnx from "./fixtures/imported/gradient-boosting/model.onnx";
import gbParity from "./fixtures/imported/gradient-boosting/parity.json";
import lgbCard from "./fixtures/imported/lightgbm/MODEL_CARD.md";
import lgbManifest from "./fixtures/imported/lightgbm/manifest.json";
import lgbOnnx from "./fixtures/imported/lightgbm/model.onnx";
import lgbParity from "./fixtures/imported/lightgbm/parity.json";
import mlpCard from "./fixtures/imported/mlp/MODEL_CARD.md";
import mlpManifest from "./fixtures/imported/mlp/manifest.json";
import mlpOnnx from "./fixtures/imported/mlp/model.onnx";
import mlpParity from "./fixtures/imported/mlp/parity.json";
import v5Card from "./fixtures/imported/tree-ensemble-v5/MODEL_CARD.md";
import v5Manifest from "./fixtures/imported/tree-ensemble-v5/manifest.json";
import v5Onnx from "./fixtures/imported/tree-ensemble-v5/model.onnx";
import v5Parity from "./fixtures/imported/tree-ensemble-v5/parity.json";

interface Parity {
  rows: { features: Record<string, number | string | boolean>; original: number; calibrated: number }[];
}

const fixtures = [
  { name: "gradient-boosting", bundle: { onnx: gbOnnx, manifest: gbManifest, card: gbCard }, parity: gbParity as unknown as Parity },
  { name: "lightgbm", bundle: { onnx: lgbOnnx, manifest: lgbManifest, card: lgbCard }, parity: lgbParity as unknown as Parity },
  { name: "tree-ensemble-v5", bundle: { onnx: v5Onnx, manifest: v5Manifest, card: v5Card }, parity: v5Parity as unknown as Parity },
  { name: "mlp", bundle: { onnx: mlpOnnx, manifest: mlpManifest, card: mlpCard }, parity: mlpParity as unknown as Parity },
];

/** An app on the Worker's own configuration (deferred start, onnxruntime-web), no cache between requests. */
function appFor(bundle: ModelBundle) {
  return createTestApp({ bundle, createModel: createOrtModel, start: "deferred", cache: () => new MemoryPredictionCache() });
}

async function predictAll(app: ReturnType<typeof appFor>, parity: Parity) {
  const res = await app.post("/predict/batch", { startups: parity.rows.map((r) => r.features) });
  expect(res.status).toBe(200);
  const body = await readJson(res);
  expect(body.failed).toBe(0);
  return { engine: res.headers.get("x-flash-engine"), predictions: body.results.map((r: { prediction: any }) => r.prediction) as any[] };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Number.isNaN(a[i]! - b[i]!) ? Infinity : Math.abs(a[i]! - b[i]!));
  return worst;
}

function encode(parity: Parity): Float32Array {
  const x = new Float32Array(parity.rows.length * FEATURE_COUNT);
  parity.rows.forEach((r, i) => encodeFeaturesInto(r.features, x, i));
  return x;
}

describe("imported models on workerd with onnxruntime-web", () => {
  for (const { name, bundle, parity } of fixtures) {
    const manifest = bundle.manifest as unknown as ImportedModelManifest;
    const trees = manifest.import.evaluator === "trees";

    it(`${name}: /predict gives onnxruntime-node's probabilities on the original file (${trees ? "tree walk first, then onnxruntime-web" : "onnxruntime-web alone"})`, async () => {
      const x = encode(parity);
      const original = parity.rows.map((r) => r.original);
      const calibrate = (raw: ArrayLike<number>) => Array.from(raw, (p) => calibrateProbability(manifest.calibration, p));
      // The engines, as the Worker creates them, on the same rows.
      const web = await (await createOrtModel(new Uint8Array(bundle.onnx))).predict(x, parity.rows.length);
      const webDiff = maxDiff(web, original);
      expect(webDiff).toBeLessThanOrEqual(1e-6);
      let walked: Float64Array | undefined;
      if (trees) {
        const walk = createTreeExplainer(new Uint8Array(bundle.onnx), manifest);
        walked = Float64Array.from(parity.rows, (_, i) => walk.score(x, i * FEATURE_COUNT));
        expect(maxDiff(walked, original)).toBeLessThanOrEqual(1e-6);
      }

      const app = appFor(bundle);
      const first = await predictAll(app, parity);
      expect(first.engine).toBe(trees ? "trees" : "onnxruntime");
      const firstAnswers = first.predictions.map((p) => p.success_probability);
      // The walk answers as the Worker does: a float32, like onnxruntime's output.
      expect(maxDiff(firstAnswers, calibrate(walked ? Float32Array.from(walked) : web))).toBeLessThanOrEqual(1e-9);
      // The deferred start ran after the first answer: onnxruntime serves now.
      expect(app.models.status().engine).toBe("onnxruntime");
      const second = await predictAll(app, parity);
      expect(second.engine).toBe("onnxruntime");
      expect(maxDiff(second.predictions.map((p) => p.success_probability), calibrate(web))).toBeLessThanOrEqual(1e-9);
      // Explained either way: pillar scores for all five pillars, factors for most startups.
      for (const p of second.predictions) expect(Object.keys(p.pillar_scores).sort()).toEqual(["advantage", "capital", "market", "people", "product"]);
      expect(second.predictions.filter((p) => p.factors.length > 0).length).toBeGreaterThan(parity.rows.length / 2);
      // The same explanations from both engines (the walk's are exact occlusion answers).
      if (trees) first.predictions.forEach((p, i) => expect(p.factors).toEqual(second.predictions[i].factors));
      const single = await app.post("/predict", parity.rows[7]!.features);
      expect(single.status).toBe(200);
      expect(Math.abs((await readJson(single)).success_probability - calibrate(web)[7]!)).toBeLessThanOrEqual(1e-9);
      console.log(
        `[import] served ${name} (${manifest.version}) in workerd over ${parity.rows.length} startups: max |engine - onnxruntime-node on the original| onnxruntime-web ${webDiff.toExponential(2)}${walked ? `, tree walk ${maxDiff(walked, original).toExponential(2)}` : ""}; max |/predict - calibrated original| ${maxDiff(firstAnswers, parity.rows.map((r) => r.calibrated)).toExponential(2)} (calibration ${manifest.calibration.method})`,
      );
    });
  }

  it("says what it serves: /model shows the import record, /health the engine", async () => {
    const app = appFor(fixtures[1]!.bundle);
    const model = await readJson(await app.fetch("/model"));
    expect(model.source).toBe("imported");
    expect(model.import.original.file).toBe("onnxmltools-lightgbm.onnx");
    expect(model.model_card_markdown).toContain("**Imported model.**");
    const health = await readJson(await app.fetch("/health"));
    expect(health.status).toBe("ok");
  });
});
