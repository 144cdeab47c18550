import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encodeFeaturesInto, type FeatureValues } from "../../core/encoding.js";
import { FEATURE_COUNT } from "../../core/schema.js";
import { trainGbdt } from "./gbdt.js";
import { exportOnnx } from "./onnx-export.js";
import { importOnnxTrees } from "./onnx-import.js";
import { defaultModelDir } from "./registry.js";
import { makeDataset } from "./test-helpers.js";
import { predictProbabilities, type TreeEnsemble } from "./tree-model.js";

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** A small real model: trees the trainer grew (missing values both ways, varied depths). */
function trainSmall(): TreeEnsemble {
  const random = (i: number) => ((i * 2654435761) % 1000) / 1000;
  const rows = Array.from({ length: 400 }, (_, i) => [random(i), i % 7 === 0 ? Number.NaN : random(i + 1), random(i + 2) * 10]);
  const labels = rows.map((r) => ((r[0]! + (Number.isNaN(r[1]!) ? 0.5 : r[1]!)) > 1 ? 1 : 0));
  return trainGbdt(makeDataset(rows, labels), null, { maxIterations: 8, maxDepth: 3 }).model;
}

/** The ensemble as ONNX stores it: gain and cover are not in the file. */
function withoutTrainingStats(model: TreeEnsemble): TreeEnsemble {
  return { ...model, trees: model.trees.map((t) => ({ nodes: t.nodes.map((n) => ({ ...n, ...(n.kind === "split" ? { gain: 0 } : {}), cover: 0 })) })) };
}

describe("importOnnxTrees", () => {
  it("reads back exactly the trees exportOnnx wrote (gain and cover are not stored)", () => {
    const model = trainSmall();
    expect(model.trees.length).toBe(8);
    expect(importOnnxTrees(exportOnnx(model), 3)).toEqual(withoutTrainingStats(model));
  });

  it("gives the committed model's trees: the TypeScript evaluator matches onnxruntime on the parity rows", () => {
    const manifest = JSON.parse(readFileSync(`${defaultModelDir()}/manifest.json`, "utf8"));
    const model = importOnnxTrees(new Uint8Array(readFileSync(`${defaultModelDir()}/model.onnx`)), FEATURE_COUNT);
    expect(model.trees.length).toBe(manifest.training.trees);
    const fixture = JSON.parse(readFileSync(root("test/worker/fixtures/ort-parity.json"), "utf8")) as {
      rows: { features: FeatureValues; raw: number }[];
    };
    const rows = new Float32Array(fixture.rows.length * FEATURE_COUNT);
    fixture.rows.forEach((r, i) => encodeFeaturesInto(r.features, rows, i));
    const ts = predictProbabilities(model, rows, fixture.rows.length);
    expect(fixture.rows.length).toBeGreaterThan(50);
    fixture.rows.forEach((r, i) => expect(Math.abs(ts[i]! - r.raw)).toBeLessThan(1e-6));
  });

  it("says what is wrong with a file it cannot read", () => {
    expect(() => importOnnxTrees(new Uint8Array([0x3a, 0x00]), 3)).toThrow(/no TreeEnsembleRegressor/);
    expect(() => importOnnxTrees(new Uint8Array([0x08]), 3)).toThrow(/truncated/);
  });
});
