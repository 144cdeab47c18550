/**
 * The tree walk (core/onnx-trees.ts + core/tree-explainer.ts) against onnxruntime-node on
 * hand-built ensembles in every layout it reads: each node mode with and without missing-value
 * tracking, rows exactly at the thresholds, NaN, post transforms, base values, one or two scored
 * classes, AVERAGE, shared subtrees and opset-5 BRANCH_MEMBER. Random trees over a few small
 * values, so equality tests and ties are hit often. Explanations are compared with the same
 * occlusion variants scored as rows by onnxruntime.
 */

import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { createBatchRowExplainer } from "../../core/explain.js";
import { OnnxTreesError, readTreeModel } from "../../core/onnx-trees.js";
import { FEATURE_COUNT, PILLARS } from "../../core/schema.js";
import { TreeExplainer } from "../../core/tree-explainer.js";
import { encodeNode, encodeTensor, encodeValueInfo, TENSOR_FLOAT, TENSOR_INT64, type AttributeValue } from "../../model-build/src/onnx-writer.js";
import { ProtoWriter } from "../../model-build/src/protobuf.js";
import { createRandom, type Random } from "../../model-build/src/random.js";

const MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"] as const;
const VALUES = [0, 1, 2, 3];
/** The features the random trees split on (one per pillar, so pillar scores are exercised). */
const USED = [0, 8, 16, 27, 37];

interface Tree {
  modes: string[];
  features: number[];
  values: number[];
  yes: number[];
  no: number[];
  tracks: number[];
  leaf: number[][];
}

function randomTree(rng: Random, depth: number, modes: readonly string[], classes: number, positive: boolean): Tree {
  const t: Tree = { modes: [], features: [], values: [], yes: [], no: [], tracks: [], leaf: [] };
  const grow = (d: number): number => {
    const id = t.modes.length;
    t.modes.push("LEAF");
    t.features.push(0);
    t.values.push(0);
    t.yes.push(0);
    t.no.push(0);
    t.tracks.push(0);
    t.leaf.push([]);
    if (d === 0 || rng.next() < 0.15) {
      t.leaf[id] = Array.from({ length: classes }, () => (positive ? rng.next() * 0.3 : rng.next() - 0.5));
      return id;
    }
    t.modes[id] = modes[Math.floor(rng.next() * modes.length)]!;
    t.features[id] = USED[Math.floor(rng.next() * USED.length)]!;
    t.values[id] = VALUES[Math.floor(rng.next() * VALUES.length)]! + (rng.next() < 0.3 ? 0.5 : 0);
    t.tracks[id] = rng.next() < 0.5 ? 1 : 0;
    t.yes[id] = grow(d - 1);
    t.no[id] = grow(d - 1);
    return id;
  };
  grow(depth);
  return t;
}

function legacyAttributes(trees: Tree[], prefix: "class_" | "target_", classIds: number[]): Array<[string, AttributeValue]> {
  const n = { treeids: [] as number[], nodeids: [] as number[], featureids: [] as number[], modes: [] as string[], values: [] as number[], yes: [] as number[], no: [] as number[], tracks: [] as number[] };
  const leaf = { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] };
  trees.forEach((t, ti) =>
    t.modes.forEach((mode, i) => {
      n.treeids.push(ti);
      n.nodeids.push(i);
      n.featureids.push(t.features[i]!);
      n.modes.push(mode);
      n.values.push(t.values[i]!);
      n.yes.push(t.yes[i]!);
      n.no.push(t.no[i]!);
      n.tracks.push(t.tracks[i]!);
      if (mode === "LEAF") {
        classIds.forEach((c, k) => {
          leaf.treeids.push(ti);
          leaf.nodeids.push(i);
          leaf.ids.push(c);
          leaf.weights.push(t.leaf[i]![k]!);
        });
      }
    }),
  );
  return [
    ["nodes_treeids", { type: "ints", value: n.treeids }],
    ["nodes_nodeids", { type: "ints", value: n.nodeids }],
    ["nodes_featureids", { type: "ints", value: n.featureids }],
    ["nodes_modes", { type: "strings", value: n.modes }],
    ["nodes_values", { type: "floats", value: n.values }],
    ["nodes_truenodeids", { type: "ints", value: n.yes }],
    ["nodes_falsenodeids", { type: "ints", value: n.no }],
    ["nodes_missing_value_tracks_true", { type: "ints", value: n.tracks }],
    [`${prefix}treeids`, { type: "ints", value: leaf.treeids }],
    [`${prefix}nodeids`, { type: "ints", value: leaf.nodeids }],
    [`${prefix}ids`, { type: "ints", value: leaf.ids }],
    [`${prefix}weights`, { type: "floats", value: leaf.weights }],
  ];
}

/** features [N, 45] -> ensemble -> (tail) -> probability [N, 1]. */
function model(nodes: Uint8Array[], initializers: Uint8Array[], ml: number): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of nodes) graph.message(1, n);
  graph.string(2, "layout");
  for (const t of initializers) graph.message(5, t);
  graph.message(11, encodeValueInfo("features", TENSOR_FLOAT, ["N", FEATURE_COUNT]));
  graph.message(12, encodeValueInfo("probability", TENSOR_FLOAT, ["N", 1]));
  return new ProtoWriter()
    .int(1, 9)
    .message(7, graph.finish())
    .message(8, new ProtoWriter().string(1, "").int(2, 19).finish())
    .message(8, new ProtoWriter().string(1, "ai.onnx.ml").int(2, ml).finish())
    .finish();
}

const node = (opType: string, inputs: string[], outputs: string[], attributes: Array<[string, AttributeValue]> = [], domain = "") =>
  encodeNode({ name: `${opType}_${outputs[0]}`, opType, domain, inputs, outputs, attributes });

function classifier(trees: Tree[], post: string, classIds: number[], column: number, base?: number[]): Uint8Array {
  const attrs: Array<[string, AttributeValue]> = [
    ...legacyAttributes(trees, "class_", classIds),
    ["classlabels_int64s", { type: "ints", value: [0, 1] }],
    ["post_transform", { type: "string", value: post }],
    ...(base ? ([["base_values", { type: "floats", value: base }]] as Array<[string, AttributeValue]>) : []),
  ];
  return model(
    [node("TreeEnsembleClassifier", ["features"], ["label", "probabilities"], attrs, "ai.onnx.ml"), node("Gather", ["probabilities", "column"], ["probability"], [["axis", { type: "int", value: 1 }]])],
    [encodeTensor("column", TENSOR_INT64, [1], [column])],
    3,
  );
}

function rows(rng: Random, count: number): Float32Array {
  const x = new Float32Array(count * FEATURE_COUNT).fill(Number.NaN);
  for (let r = 0; r < count; r++) {
    for (const f of USED) {
      const u = rng.next();
      x[r * FEATURE_COUNT + f] = u < 0.2 ? Number.NaN : u < 0.8 ? VALUES[Math.floor(rng.next() * VALUES.length)]! : rng.next() * 4 - 0.5;
    }
  }
  return x;
}

async function onnxruntime(onnx: Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx);
  const out = await session.run({ features: new ort.Tensor("float32", x, [n, FEATURE_COUNT]) });
  await session.release();
  return out.probability!.data as Float32Array;
}

async function expectParity(onnx: Uint8Array, seed: number, explain = true): Promise<void> {
  const rng = createRandom(seed);
  const n = 400;
  const x = rows(rng, n);
  const want = await onnxruntime(onnx, x, n);
  const explainer = new TreeExplainer(readTreeModel(onnx, { featureCount: FEATURE_COUNT }));
  let worst = 0;
  for (let r = 0; r < n; r++) worst = Math.max(worst, Math.abs(explainer.score(x, r * FEATURE_COUNT) - want[r]!));
  expect(worst).toBeLessThanOrEqual(1e-6);
  if (!explain) return;
  const reference = createBatchRowExplainer((f, k) => onnxruntime(onnx, f, k));
  const sample = 30;
  const variants = await reference.explainBatch(x.subarray(0, sample * FEATURE_COUNT), sample);
  variants.forEach((v, r) => {
    const got = explainer.explain(x, r * FEATURE_COUNT);
    expect(Math.abs(got.full - v.full)).toBeLessThanOrEqual(1e-6);
    for (let p = 0; p < PILLARS.length; p++) expect(Math.abs(got.pillars[p]! - v.pillars[p]!)).toBeLessThanOrEqual(1e-6);
    for (const f of USED) {
      if (Number.isNaN(v.withoutFeature[f]!)) expect(got.withoutFeature[f]).toBeNaN();
      else expect(Math.abs(got.withoutFeature[f]! - v.withoutFeature[f]!)).toBeLessThanOrEqual(1e-6);
    }
  });
}

describe("the tree walk against onnxruntime-node", () => {
  for (const mode of MODES) {
    it(`TreeEnsembleClassifier ${mode} (missing tracked and not), LOGISTIC, base value`, async () => {
      const rng = createRandom(MODES.indexOf(mode) + 1);
      const trees = Array.from({ length: 12 }, () => randomTree(rng, 4, [mode, "BRANCH_LEQ"], 1, false));
      await expectParity(classifier(trees, "LOGISTIC", [0], 1, [-0.3]), 100 + MODES.indexOf(mode));
    });
  }

  it("every mode mixed, post_transform NONE with positive weights (a random forest), both columns", async () => {
    const rng = createRandom(21);
    const trees = Array.from({ length: 10 }, () => randomTree(rng, 5, MODES, 1, true));
    for (const column of [1, 0]) await expectParity(classifier(trees, "NONE", [0], column), 22 + column);
  });

  it("two scored classes: NONE, LOGISTIC and SOFTMAX read the success column's weights", async () => {
    const rng = createRandom(31);
    const trees = Array.from({ length: 10 }, () => randomTree(rng, 4, MODES, 2, false));
    for (const post of ["NONE", "LOGISTIC", "SOFTMAX"]) await expectParity(classifier(trees, post, [0, 1], 1), 32, post !== "NONE");
  });

  it("TreeEnsembleRegressor AVERAGE + Sigmoid", async () => {
    const rng = createRandom(41);
    const trees = Array.from({ length: 9 }, () => randomTree(rng, 4, MODES, 1, false));
    const attrs: Array<[string, AttributeValue]> = [
      ...legacyAttributes(trees, "target_", [0]),
      ["n_targets", { type: "int", value: 1 }],
      ["aggregate_function", { type: "string", value: "AVERAGE" }],
      ["base_values", { type: "floats", value: [0.2] }],
    ];
    const onnx = model([node("TreeEnsembleRegressor", ["features"], ["margin"], attrs, "ai.onnx.ml"), node("Sigmoid", ["margin"], ["probability"])], [], 3);
    await expectParity(onnx, 42);
  });

  it("shared subtrees (a chain of BRANCH_EQ sharing its true child, as onnxmltools writes LightGBM's category sets)", async () => {
    // tree 0: x0 == 0 -> A, else x0 == 2 -> A, else x0 == 3 -> A, else B; A: x8 <= 1.5 ? 0.4 : -0.2; B: leaf 0.1
    const modes = ["BRANCH_EQ", "BRANCH_EQ", "BRANCH_EQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF"];
    const attrs: Array<[string, AttributeValue]> = [
      ["nodes_treeids", { type: "ints", value: modes.map(() => 0) }],
      ["nodes_nodeids", { type: "ints", value: modes.map((_, i) => i) }],
      ["nodes_featureids", { type: "ints", value: [0, 0, 0, 8, 0, 0, 0] }],
      ["nodes_modes", { type: "strings", value: modes }],
      ["nodes_values", { type: "floats", value: [0, 2, 3, 1.5, 0, 0, 0] }],
      ["nodes_truenodeids", { type: "ints", value: [3, 3, 3, 4, 0, 0, 0] }],
      ["nodes_falsenodeids", { type: "ints", value: [1, 2, 6, 5, 0, 0, 0] }],
      ["nodes_missing_value_tracks_true", { type: "ints", value: [0, 0, 0, 1, 0, 0, 0] }],
      ["class_treeids", { type: "ints", value: [0, 0, 0] }],
      ["class_nodeids", { type: "ints", value: [4, 5, 6] }],
      ["class_ids", { type: "ints", value: [0, 0, 0] }],
      ["class_weights", { type: "floats", value: [0.4, -0.2, 0.1] }],
      ["classlabels_int64s", { type: "ints", value: [0, 1] }],
      ["post_transform", { type: "string", value: "LOGISTIC" }],
    ];
    const onnx = model(
      [node("TreeEnsembleClassifier", ["features"], ["label", "probabilities"], attrs, "ai.onnx.ml"), node("Gather", ["probabilities", "column"], ["probability"], [["axis", { type: "int", value: 1 }]])],
      [encodeTensor("column", TENSOR_INT64, [1], [1])],
      3,
    );
    const trees = readTreeModel(onnx, { featureCount: FEATURE_COUNT });
    // The chain became one set test: 3 splits, not 3 copies of the shared subtree.
    expect(trees.feature.filter((f) => f >= 0).length).toBe(2);
    expect(trees.inputs!.width).toBe(FEATURE_COUNT + 1);
    await expectParity(onnx, 51);
  });

  it("opset-5 TreeEnsemble with BRANCH_MEMBER, then Add, Neg/Sigmoid and Concat (skl2onnx's layout)", async () => {
    // Interior nodes: 0: x0 in {1, 3} ? node 1 : node 2; 1: x8 <= 1 ? leaf 0 : leaf 1; 2: x16 > 2 ? leaf 2 : leaf 3 (missing true)
    const tensor = (values: number[], type: number) => {
      const t = new ProtoWriter().packedInts(1, [values.length]).int(2, type);
      const raw = new Uint8Array(values.length * (type === 2 ? 1 : 4));
      const view = new DataView(raw.buffer);
      values.forEach((v, i) => (type === 2 ? view.setUint8(i, v) : view.setFloat32(i * 4, v, true)));
      return t.message(9, raw).finish();
    };
    const tensorAttr = (name: string, body: Uint8Array) => new ProtoWriter().string(1, name).message(5, body).int(20, 4).finish();
    const intsAttr = (name: string, v: number[]) => new ProtoWriter().string(1, name).packedInts(8, v).int(20, 7).finish();
    const intAttr = (name: string, v: number) => new ProtoWriter().string(1, name).int(3, v).int(20, 2).finish();
    const ensemble = new ProtoWriter().string(1, "features").string(2, "scores").string(3, "te").string(4, "TreeEnsemble");
    for (const a of [
      intsAttr("nodes_featureids", [0, 8, 16]),
      tensorAttr("nodes_splits", tensor([0, 1, 2], TENSOR_FLOAT)),
      tensorAttr("nodes_modes", tensor([6, 0, 3], 2)),
      intsAttr("nodes_truenodeids", [1, 0, 2]),
      intsAttr("nodes_trueleafs", [0, 1, 1]),
      intsAttr("nodes_falsenodeids", [2, 1, 3]),
      intsAttr("nodes_falseleafs", [0, 1, 1]),
      intsAttr("nodes_missing_value_tracks_true", [0, 1, 1]),
      intsAttr("leaf_targetids", [0, 0, 0, 0]),
      tensorAttr("leaf_weights", tensor([0.5, -0.5, 1.25, -1], TENSOR_FLOAT)),
      tensorAttr("membership_values", tensor([1, 3, Number.NaN], TENSOR_FLOAT)),
      intsAttr("tree_roots", [0]),
      intAttr("n_targets", 1),
      intAttr("aggregate_function", 1),
      intAttr("post_transform", 0),
    ])
      ensemble.message(5, a);
    ensemble.string(7, "ai.onnx.ml");
    const onnx = model(
      [
        ensemble.finish(),
        node("Add", ["scores", "base"], ["margin"]),
        node("Neg", ["margin"], ["negative"]),
        node("Sigmoid", ["negative"], ["p0"]),
        node("Sigmoid", ["margin"], ["p1"]),
        node("Concat", ["p0", "p1"], ["probabilities"], [["axis", { type: "int", value: 1 }]]),
        node("Gather", ["probabilities", "column"], ["probability"], [["axis", { type: "int", value: 1 }]]),
      ],
      [encodeTensor("base", TENSOR_FLOAT, [1], [-0.25]), encodeTensor("column", TENSOR_INT64, [1], [1])],
      5,
    );
    expect(readTreeModel(onnx, { featureCount: FEATURE_COUNT }).linkName).toBe("add -0.25 -> sigmoid");
    await expectParity(onnx, 61);
  });

  it("refuses what it does not read, naming the operator or attribute", () => {
    const rng = createRandom(71);
    const trees = [randomTree(rng, 3, ["BRANCH_LEQ"], 1, false)];
    expect(() => readTreeModel(classifier(trees, "PROBIT", [0], 1), { featureCount: FEATURE_COUNT })).toThrow(/post_transform "PROBIT" with one scored class is not read/);
    const bad = { ...trees[0]!, modes: trees[0]!.modes.map((m) => (m === "LEAF" ? m : "BRANCH_MEMBER")) };
    expect(() => readTreeModel(classifier([bad], "LOGISTIC", [0], 1), { featureCount: FEATURE_COUNT })).toThrow(/TreeEnsembleClassifier.nodes_modes "BRANCH_MEMBER" is not supported/);
    const relu = model([node("TreeEnsembleRegressor", ["features"], ["m"], [...legacyAttributes(trees, "target_", [0]), ["n_targets", { type: "int", value: 1 }]], "ai.onnx.ml"), node("Relu", ["m"], ["probability"])], [], 3);
    expect(() => readTreeModel(relu, { featureCount: FEATURE_COUNT })).toThrow(OnnxTreesError);
    expect(() => readTreeModel(relu, { featureCount: FEATURE_COUNT })).toThrow(/goes through Relu/);
  });
});
