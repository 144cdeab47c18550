import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encodeFeaturesInto, type FeatureValues } from "../../core/encoding.js";
import { FEATURE_COUNT } from "../../core/schema.js";
import { exportOnnx } from "./onnx-export.js";
import { importOnnxTrees } from "./onnx-import.js";
import { predictProbabilities, type TreeEnsemble } from "./tree-model.js";

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

const handMade: TreeEnsemble = {
  featureCount: 3,
  baseMargin: -1.5,
  trees: [
    {
      nodes: [
        { kind: "split", feature: 0, threshold: 0.5, left: 1, right: 2, missingGoesLeft: false, gain: 0, cover: 0 },
        { kind: "leaf", value: -1, cover: 0 },
        { kind: "split", feature: 2, threshold: 3, left: 3, right: 4, missingGoesLeft: true, gain: 0, cover: 0 },
        { kind: "leaf", value: 2, cover: 0 },
        { kind: "leaf", value: 0.5, cover: 0 },
      ],
    },
    {
      nodes: [
        { kind: "split", feature: 1, threshold: Math.fround(0.1), left: 1, right: 2, missingGoesLeft: true, gain: 0, cover: 0 },
        { kind: "leaf", value: 0.25, cover: 0 },
        { kind: "leaf", value: -0.25, cover: 0 },
      ],
    },
  ],
};

describe("importOnnxTrees", () => {
  it("reads back exactly the trees exportOnnx wrote (gain and cover are not stored)", () => {
    expect(importOnnxTrees(exportOnnx(handMade), 3)).toEqual(handMade);
  });

  it("gives the committed model's trees: the TypeScript evaluator matches onnxruntime on the parity rows", () => {
    const manifest = JSON.parse(readFileSync(root("models/default/manifest.json"), "utf8"));
    const model = importOnnxTrees(new Uint8Array(readFileSync(root("models/default/model.onnx"))), FEATURE_COUNT);
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
