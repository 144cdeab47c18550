/**
 * Writes a TreeEnsemble as an ONNX model: `features` float32 [N, F] -> ai.onnx.ml
 * TreeEnsembleRegressor (the margin, [N, 1]) -> ai.onnx Sigmoid -> `probability` float32 [N, 1].
 *
 * The model is uncalibrated on purpose: calibration is a small table in the manifest that the
 * consumer applies with core/calibration.ts, so a recalibration never changes the ONNX bytes.
 *
 * Only the protobuf fields used here are written, always in the same order, and nothing
 * time-dependent goes in, so the same ensemble always gives byte-identical files.
 */

import { encodeNode, encodeValueInfo, TENSOR_FLOAT } from "./onnx-writer.js";
import { ProtoWriter } from "./protobuf.js";
import type { TreeEnsemble } from "./tree-model.js";

/** ONNX IR version 8 (ONNX 1.10+) is read by every onnxruntime from 1.10 on, web included. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
/**
 * ai.onnx.ml opset 3: TreeEnsembleRegressor with float attributes and
 * `nodes_missing_value_tracks_true`; onnxruntime (node and web/wasm 1.30) runs it.
 */
export const ONNX_ML_OPSET = 3;
export const ONNX_INPUT_NAME = "features";
export const ONNX_OUTPUT_NAME = "probability";

/** The flat node/leaf arrays TreeEnsembleRegressor wants, in tree order then node order. */
function flattenEnsemble(model: TreeEnsemble) {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const targetTreeIds: number[] = [];
  const targetNodeIds: number[] = [];
  const targetIds: number[] = [];
  const targetWeights: number[] = [];
  model.trees.forEach((tree, t) => {
    tree.nodes.forEach((node, n) => {
      treeIds.push(t);
      nodeIds.push(n);
      if (node.kind === "split") {
        featureIds.push(node.feature);
        modes.push("BRANCH_LEQ");
        values.push(node.threshold);
        trueIds.push(node.left);
        falseIds.push(node.right);
        missingTrue.push(node.missingGoesLeft ? 1 : 0);
      } else {
        featureIds.push(0);
        modes.push("LEAF");
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        targetTreeIds.push(t);
        targetNodeIds.push(n);
        targetIds.push(0);
        targetWeights.push(node.value);
      }
    });
  });
  return {
    treeIds,
    nodeIds,
    featureIds,
    modes,
    values,
    trueIds,
    falseIds,
    missingTrue,
    targetTreeIds,
    targetNodeIds,
    targetIds,
    targetWeights,
  };
}

export interface ExportOnnxOptions {
  /** Graph name and doc string; keep them free of timestamps so the bytes stay reproducible. */
  readonly graphName?: string;
  readonly docString?: string;
  readonly producerVersion?: string;
  /** Extra key/value metadata stored in the model (e.g. the encoding hash). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export function exportOnnx(model: TreeEnsemble, options: ExportOnnxOptions = {}): Uint8Array {
  if (model.trees.length === 0) throw new Error("exportOnnx: the ensemble has no trees");
  for (const tree of model.trees) {
    // onnxruntime rejects a tree that is a single leaf in some versions; the trainer never makes
    // one (it stops adding trees instead), so this is a guard against misuse.
    if (tree.nodes[0]?.kind !== "split") throw new Error("exportOnnx: every tree must start with a split");
  }
  const f = flattenEnsemble(model);
  const ensemble = encodeNode({
    name: "tree_ensemble",
    opType: "TreeEnsembleRegressor",
    domain: "ai.onnx.ml",
    inputs: [ONNX_INPUT_NAME],
    outputs: ["margin"],
    attributes: [
      ["aggregate_function", { type: "string", value: "SUM" }],
      ["base_values", { type: "floats", value: [model.baseMargin] }],
      ["n_targets", { type: "int", value: 1 }],
      ["nodes_falsenodeids", { type: "ints", value: f.falseIds }],
      ["nodes_featureids", { type: "ints", value: f.featureIds }],
      ["nodes_missing_value_tracks_true", { type: "ints", value: f.missingTrue }],
      ["nodes_modes", { type: "strings", value: f.modes }],
      ["nodes_nodeids", { type: "ints", value: f.nodeIds }],
      ["nodes_treeids", { type: "ints", value: f.treeIds }],
      ["nodes_truenodeids", { type: "ints", value: f.trueIds }],
      ["nodes_values", { type: "floats", value: f.values }],
      ["post_transform", { type: "string", value: "NONE" }],
      ["target_ids", { type: "ints", value: f.targetIds }],
      ["target_nodeids", { type: "ints", value: f.targetNodeIds }],
      ["target_treeids", { type: "ints", value: f.targetTreeIds }],
      ["target_weights", { type: "floats", value: f.targetWeights }],
    ],
  });
  const sigmoid = encodeNode({
    name: "sigmoid",
    opType: "Sigmoid",
    domain: "",
    inputs: ["margin"],
    outputs: [ONNX_OUTPUT_NAME],
    attributes: [],
  });

  // GraphProto: node=1, name=2, doc_string=10, input=11, output=12
  const graph = new ProtoWriter()
    .message(1, ensemble)
    .message(1, sigmoid)
    .string(2, options.graphName ?? "flash")
    .string(10, options.docString ?? "FLASH startup success: uncalibrated probability from 45 CAMP features")
    .message(11, encodeValueInfo(ONNX_INPUT_NAME, TENSOR_FLOAT, ["N", model.featureCount]))
    .message(12, encodeValueInfo(ONNX_OUTPUT_NAME, TENSOR_FLOAT, ["N", 1]))
    .finish();

  // ModelProto: ir_version=1, producer_name=2, producer_version=3, graph=7, opset_import=8,
  // metadata_props=14; OperatorSetIdProto: domain=1, version=2
  const w = new ProtoWriter()
    .int(1, ONNX_IR_VERSION)
    .string(2, "flash-model-build")
    .string(3, options.producerVersion ?? "1")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, ONNX_OPSET).finish())
    .message(8, new ProtoWriter().string(1, "ai.onnx.ml").int(2, ONNX_ML_OPSET).finish());
  const metadata = options.metadata ?? {};
  for (const key of Object.keys(metadata).sort()) {
    w.message(14, new ProtoWriter().string(1, key).string(2, metadata[key]!).finish());
  }
  return w.finish();
}
