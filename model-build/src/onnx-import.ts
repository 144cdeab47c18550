/**
 * Reads the trees back out of an ONNX file this package wrote (TreeEnsembleRegressor + Sigmoid),
 * so the TypeScript evaluator in tree-model.ts can run exactly the trees a deployment serves,
 * e.g. to compare its cost with onnxruntime's (`npm run bench`). The bytes are read by
 * core/onnx-trees.ts, the same reader the Worker's explainer uses. Gain and cover are not stored
 * in ONNX and come back as 0; everything the evaluator reads (features, thresholds, children,
 * missing-value directions, leaf values, base margin) round-trips exactly.
 */

import { readOnnxTrees, type TreeArrays } from "../../core/onnx-trees.js";
import type { LeafNode, SplitNode, Tree, TreeEnsemble, TreeNode } from "./tree-model.js";

/** The TreeEnsembleRegressor of an ONNX file written by exportOnnx, as a TreeEnsemble. */
export function importOnnxTrees(onnx: Uint8Array, featureCount: number): TreeEnsemble {
  return toTreeEnsemble(readOnnxTrees(onnx, featureCount));
}

/** Trees already read from ONNX bytes (core/onnx-trees.ts), as the evaluator's TreeEnsemble. */
export function toTreeEnsemble(flat: TreeArrays): TreeEnsemble {
  if (flat.inputs || flat.link) {
    throw new Error(`toTreeEnsemble: these trees (${flat.operator}, ${flat.linkName}) are not model-build's own layout; walk them with core/tree-explainer.ts`);
  }
  const { roots, feature, threshold, left, right, missingLeft, value, featureCount } = flat;
  const trees: Tree[] = [];
  for (let t = 0; t < roots.length; t++) {
    const first = roots[t]!;
    const end = t + 1 < roots.length ? roots[t + 1]! : feature.length;
    const nodes: TreeNode[] = [];
    for (let at = first; at < end; at++) {
      if (feature[at]! < 0) nodes.push({ kind: "leaf", value: value[at]!, cover: 0 } satisfies LeafNode);
      else {
        nodes.push({
          kind: "split",
          feature: feature[at]!,
          threshold: threshold[at]!,
          left: left[at]! - first,
          right: right[at]! - first,
          missingGoesLeft: missingLeft[at] === 1,
          gain: 0,
          cover: 0,
        } satisfies SplitNode);
      }
    }
    trees.push({ nodes });
  }
  return { featureCount, baseMargin: flat.baseMargin, trees };
}
