import { readFileSync } from "node:fs";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import { encodeLabelled } from "./dataset.js";
import { runOnnx } from "./onnx-check.js";
import { exportOnnx } from "./onnx-export.js";
import { defaultModelDir } from "./registry.js";
import { generateSynthetic } from "./synthetic.js";
import { predictProbabilities, type TreeEnsemble } from "./tree-model.js";

/** Two trees over 3 features, with NaN defaults both ways and a threshold that is not a float32. */
const handMade: TreeEnsemble = {
  featureCount: 3,
  baseMargin: -1.5,
  trees: [
    {
      nodes: [
        { kind: "split", feature: 0, threshold: 0.5, left: 1, right: 2, missingGoesLeft: false, gain: 1, cover: 1 },
        { kind: "leaf", value: -1, cover: 1 },
        { kind: "split", feature: 2, threshold: 3, left: 3, right: 4, missingGoesLeft: true, gain: 1, cover: 1 },
        { kind: "leaf", value: 2, cover: 1 },
        { kind: "leaf", value: 0.5, cover: 1 },
      ],
    },
    {
      nodes: [
        { kind: "split", feature: 1, threshold: Math.fround(0.1), left: 1, right: 2, missingGoesLeft: true, gain: 1, cover: 1 },
        { kind: "leaf", value: 0.25, cover: 1 },
        { kind: "leaf", value: -0.25, cover: 1 },
      ],
    },
  ],
};
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
// rows: all left; x0 right + x2 NaN (default left: 2); x0 NaN (default right) + x1 NaN (default left);
// x1 exactly at the float32 threshold (x <= t goes left)
const probeRows = new Float32Array([0, 0, 0, 1, 0.2, Number.NaN, Number.NaN, Number.NaN, 4, 1, 0.1, 3]);
const probeExpected = [sigmoid(-1 + 0.25 - 1.5), sigmoid(2 - 0.25 - 1.5), sigmoid(0.5 + 0.25 - 1.5), sigmoid(2 + 0.25 - 1.5)];

describe("exportOnnx", () => {
  it("routes thresholds and missing values in onnxruntime exactly as the TypeScript model", async () => {
    const onnx = exportOnnx(handMade);
    const ts = Array.from(predictProbabilities(handMade, probeRows, 4));
    ts.forEach((p, i) => expect(p).toBeCloseTo(probeExpected[i]!, 6));
    const ort = await runOnnx(onnx, probeRows, 4, 3);
    Array.from(ort).forEach((p, i) => expect(Math.abs(p - ts[i]!)).toBeLessThan(1e-6));
  });

  it("runs in onnxruntime-web's wasm backend (what the Worker uses), missing values included", async () => {
    ortWeb.env.wasm.numThreads = 1;
    const session = await ortWeb.InferenceSession.create(exportOnnx(handMade));
    const out = await session.run({ features: new ortWeb.Tensor("float32", probeRows, [4, 3]) });
    expect(out.probability!.dims).toEqual([4, 1]);
    Array.from(out.probability!.data as Float32Array).forEach((p, i) => expect(Math.abs(p - probeExpected[i]!)).toBeLessThan(1e-6));
    await session.release();
  });

  it("refuses an ensemble it cannot export", () => {
    expect(() => exportOnnx({ featureCount: 1, baseMargin: 0, trees: [] })).toThrow(/no trees/);
    expect(() => exportOnnx({ featureCount: 1, baseMargin: 0, trees: [{ nodes: [{ kind: "leaf", value: 1, cover: 1 }] }] })).toThrow(/split/);
  });
});

describe("buildModel's ONNX", () => {
  const { rows } = generateSynthetic({ rows: 3000, seed: 5 });
  const data = encodeLabelled(rows);
  const build = (createdAt: Date) =>
    buildModel({
      data,
      seed: 5,
      source: { kind: "synthetic", description: "test", badRows: 0 },
      gbdt: { maxIterations: 40 },
      createdAt,
    });

  it("matches the TypeScript model within 1e-5 on the whole test split and is byte-identical when rebuilt", async () => {
    const a = await build(new Date("2020-01-01T00:00:00Z"));
    const b = await build(new Date("2030-06-01T12:00:00Z"));
    expect(a.manifest.training.onnx_max_abs_diff).toBeLessThanOrEqual(1e-5);
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    expect(a.manifest.onnx.sha256).toBe(b.manifest.onnx.sha256);
    expect(a.manifest.version).toBe(a.manifest.onnx.sha256.slice(0, 12));
    expect(a.manifest.created_at).not.toBe(b.manifest.created_at);
    // an independent re-check of the build's own comparison, with the test split's NaNs in it
    const probe = data.features.subarray(0, 500 * data.featureCount);
    expect(probe.some(Number.isNaN)).toBe(true);
    const ort = await runOnnx(a.onnx, probe, 500, data.featureCount);
    const ts = predictProbabilities(a.model, probe, 500);
    let worst = 0;
    for (let i = 0; i < 500; i++) worst = Math.max(worst, Math.abs(ort[i]! - ts[i]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});

describe("the committed default model", () => {
  it("runs in onnxruntime-web and agrees with onnxruntime-node", async () => {
    const onnx = new Uint8Array(readFileSync(`${defaultModelDir()}/model.onnx`));
    const { rows } = generateSynthetic({ rows: 300, seed: 99 });
    const data = encodeLabelled(rows);
    ortWeb.env.wasm.numThreads = 1;
    const session = await ortWeb.InferenceSession.create(onnx);
    const web = (await session.run({ features: new ortWeb.Tensor("float32", data.features, [300, 45]) })).probability!.data as Float32Array;
    await session.release();
    const node = await runOnnx(onnx, data.features, 300, 45);
    for (let i = 0; i < 300; i++) expect(Math.abs(web[i]! - node[i]!)).toBeLessThan(1e-6);
  });
});
