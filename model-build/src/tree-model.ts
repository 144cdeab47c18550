/**
 * The trained model as plain data: an additive ensemble of binary trees whose summed leaf values
 * (plus a base margin) are a log-odds, turned into a probability with the logistic function.
 * This is the exact structure the ONNX exporter writes, and `predictMargin` follows ONNX's
 * TreeEnsemble semantics (float32 comparisons, `x <= threshold` goes to the "true" / left
 * branch, NaN follows the learned default), so the TypeScript model and the ONNX file agree.
 */

export interface SplitNode {
  readonly kind: "split";
  readonly feature: number;
  /** A float32 value: rows with `fround(x) <= threshold` go left. */
  readonly threshold: number;
  readonly left: number;
  readonly right: number;
  /** Where a missing (NaN) value goes; learned per split from the training gradients. */
  readonly missingGoesLeft: boolean;
  /** Loss reduction of this split (the basis of gain importance). */
  readonly gain: number;
  /** Sum of hessians of the training rows that reached this node. */
  readonly cover: number;
}

export interface LeafNode {
  readonly kind: "leaf";
  /** A float32 value (ONNX stores leaf weights as float32). */
  readonly value: number;
  readonly cover: number;
}

export type TreeNode = SplitNode | LeafNode;

/** nodes[0] is the root; children always have higher indices than their parent. */
export interface Tree {
  readonly nodes: readonly TreeNode[];
}

export interface TreeEnsemble {
  readonly featureCount: number;
  /** float32 log-odds added to every prediction (the training base rate's log-odds). */
  readonly baseMargin: number;
  readonly trees: readonly Tree[];
}

/** Index of the leaf that a row (features at `offset` in `data`) reaches in `tree`. */
export function findLeaf(tree: Tree, data: ArrayLike<number>, offset: number): number {
  let index = 0;
  for (;;) {
    const node = tree.nodes[index]!;
    if (node.kind === "leaf") return index;
    const x = Math.fround(data[offset + node.feature]!);
    if (Number.isNaN(x)) index = node.missingGoesLeft ? node.left : node.right;
    else index = x <= Math.fround(node.threshold) ? node.left : node.right;
  }
}

/**
 * Log-odds for one row. Like onnxruntime's TreeEnsemble for float input, leaves are summed in
 * float32 from zero and the base value is added last, so rounding matches closely.
 */
export function predictMargin(model: TreeEnsemble, data: ArrayLike<number>, offset = 0): number {
  let sum = 0;
  for (const tree of model.trees) {
    const leaf = tree.nodes[findLeaf(tree, data, offset)] as LeafNode;
    sum = Math.fround(sum + leaf.value);
  }
  return Math.fround(sum + Math.fround(model.baseMargin));
}

export function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}

/** Uncalibrated probabilities for `rows` rows of `featureCount` values each (row-major). */
export function predictProbabilities(model: TreeEnsemble, data: ArrayLike<number>, rows: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = sigmoid(predictMargin(model, data, r * model.featureCount));
  return out;
}
