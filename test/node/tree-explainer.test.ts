/**
 * The Worker's explanations walk the ONNX file's trees (core/tree-explainer.ts) instead of
 * scoring occlusion rows. They must equal the occlusion rows' scores exactly as a tree model
 * computes them: the reference here is model-build's own evaluator (tree-model.ts) scoring
 * every variant as a row, on trees the trainer grew, read back from the ONNX bytes it wrote.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encodeFeaturesInto, type FeatureValues } from "../../core/encoding.js";
import { createRowExplainer } from "../../core/explain.js";
import { OnnxTreesError, readOnnxTrees } from "../../core/onnx-trees.js";
import { FEATURE_COUNT, PILLARS } from "../../core/schema.js";
import { TreeExplainer } from "../../core/tree-explainer.js";
import { encodeLabelled } from "../../model-build/src/dataset.js";
import { trainGbdt } from "../../model-build/src/gbdt.js";
import { exportOnnx } from "../../model-build/src/onnx-export.js";
import { defaultModelDir } from "../../model-build/src/registry.js";
import { generateSynthetic } from "../../model-build/src/synthetic.js";
import { predictProbabilities, type TreeEnsemble } from "../../model-build/src/tree-model.js";

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

function trainOnSynthetic(): { model: TreeEnsemble; rows: FeatureValues[] } {
  const generated = generateSynthetic({ rows: 3000, seed: 7 });
  const data = encodeLabelled(generated.rows);
  const { model } = trainGbdt(data, null, { maxIterations: 40, maxDepth: 4, learningRate: 0.2 });
  return { model, rows: generated.rows.slice(0, 300).map((r) => r.features) };
}

describe("TreeExplainer", () => {
  const { model, rows } = trainOnSynthetic();
  const explainer = new TreeExplainer(readOnnxTrees(exportOnnx(model), FEATURE_COUNT));
  const reference = createRowExplainer((features, n) => predictProbabilities(model, features, n));

  it("gives every occlusion variant the score the trees give that variant as a row", () => {
    let variants = 0;
    for (const values of rows) {
      const x = new Float32Array(FEATURE_COUNT);
      encodeFeaturesInto(values, x, 0);
      const got = explainer.explain(x, 0);
      const want = reference.explain(x, 0);
      expect(got.full).toBeCloseTo(want.full, 6);
      expect(explainer.score(x, 0)).toBeCloseTo(want.full, 6);
      for (let p = 0; p < PILLARS.length; p++) expect(got.pillars[p]).toBeCloseTo(want.pillars[p]!, 6);
      for (let f = 0; f < FEATURE_COUNT; f++) {
        const w = want.withoutFeature[f]!;
        if (Number.isNaN(w)) expect(got.withoutFeature[f]).toBeNaN();
        else {
          expect(got.withoutFeature[f]).toBeCloseTo(w, 6);
          variants++;
        }
      }
    }
    // The rows have missing values and many present ones: the comparison covered real work.
    expect(variants).toBeGreaterThan(rows.length * 10);
  });

  it("withholding a feature the trees never reach changes nothing", () => {
    const x = new Float32Array(FEATURE_COUNT).fill(Number.NaN);
    encodeFeaturesInto(rows[0]!, x, 0);
    const scores = explainer.explain(x, 0);
    const changed = Array.from(scores.withoutFeature).filter((p) => !Number.isNaN(p) && p !== scores.full).length;
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(FEATURE_COUNT);
  });

  it("an empty startup: every variant is the all-missing answer", () => {
    const x = new Float32Array(FEATURE_COUNT).fill(Number.NaN);
    const scores = explainer.explain(x, 0);
    for (const p of scores.pillars) expect(p).toBeCloseTo(scores.full, 12);
    expect(Array.from(scores.withoutFeature).every(Number.isNaN)).toBe(true);
  });

  it("explains a row at any offset of a batch", () => {
    const x = new Float32Array(3 * FEATURE_COUNT);
    rows.slice(0, 3).forEach((values, k) => encodeFeaturesInto(values, x, k));
    const alone = new Float32Array(FEATURE_COUNT);
    encodeFeaturesInto(rows[2]!, alone, 0);
    expect(explainer.explain(x, 2 * FEATURE_COUNT)).toEqual(explainer.explain(alone, 0));
  });
});

describe("readOnnxTrees", () => {
  const bytes = new Uint8Array(readFileSync(`${defaultModelDir()}/model.onnx`));
  const manifest = JSON.parse(readFileSync(`${defaultModelDir()}/manifest.json`, "utf8"));

  it("reads the committed model, and its trees score the parity rows as onnxruntime does", () => {
    const trees = readOnnxTrees(bytes, FEATURE_COUNT);
    expect(trees.roots.length).toBe(manifest.training.trees);
    const explainer = new TreeExplainer(trees);
    const fixture = JSON.parse(readFileSync(root("test/worker/fixtures/ort-parity.json"), "utf8")) as {
      rows: { features: FeatureValues; raw: number }[];
    };
    expect(fixture.rows.length).toBeGreaterThan(10);
    for (const row of fixture.rows) {
      const x = new Float32Array(FEATURE_COUNT);
      encodeFeaturesInto(row.features, x, 0);
      expect(Math.abs(explainer.score(x, 0) - row.raw)).toBeLessThan(1e-6);
    }
  });

  it("refuses what is not a tree ensemble it can walk, with a reason", () => {
    expect(() => readOnnxTrees(bytes.subarray(0, bytes.length - 100), FEATURE_COUNT)).toThrow(OnnxTreesError);
    expect(() => readOnnxTrees(new TextEncoder().encode("not a model at all"), FEATURE_COUNT)).toThrow(OnnxTreesError);
    expect(() => readOnnxTrees(new Uint8Array(0), FEATURE_COUNT)).toThrow(/no graph/);
    expect(() => readOnnxTrees(bytes, 10)).toThrow(/uses feature \d+, the input has 10/);
  });
});
