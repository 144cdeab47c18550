/**
 * The trees of an ONNX tree-ensemble model, read from the file's bytes into flat typed arrays
 * the TypeScript tree walk uses (core/tree-explainer.ts): the Worker explains every prediction
 * with them and answers a fresh isolate's first requests with them while onnxruntime starts.
 * Both engines read the one file a deployment bundles, so they cannot disagree about the model.
 *
 * What is read: the one tree-ensemble node (ai.onnx.ml TreeEnsembleRegressor,
 * TreeEnsembleClassifier, or the opset-5 TreeEnsemble) the graph's probability output comes
 * from, and the few elementwise nodes on the way there (Sigmoid, Neg, Add/Sub/Mul/Div by a
 * constant, Concat, Gather/Slice of a column, Identity, Cast, Reshape): those become the `link`,
 * the function from the trees' summed margin to the served probability. Every node mode
 * (BRANCH_LEQ, LT, GTE, GT, EQ, NEQ and opset 5's BRANCH_MEMBER), missing-value tracking, base
 * values, class weights, SUM/AVERAGE and the classifier's post transforms are turned into one
 * form: "value <= threshold goes left, a missing value goes where missingLeft says". Equality
 * and set-membership tests become that form on a derived 0/1 column ("is the value in the set"),
 * listed in `inputs` with the model's own columns, so the walk stays one comparison per node.
 *
 * A model imported with a feature map (core/feature-map.ts) reads its own columns, built from
 * the Worker's 45 features by nodes model:import put in front of it; `inputs` computes the same
 * columns from the encoded row, and says which FLASH feature each came from, so withholding a
 * feature (an explanation) withholds every column made from it.
 *
 * Anything else is an OnnxTreesError naming the operator or attribute, never a wrong answer:
 * such a model is served by onnxruntime alone (model:import decides, and says so).
 */

import type { CompiledFeatureMap } from "./feature-map.js";
import { OnnxFormatError, readOnnxModel, readTensorValues, TENSOR_TYPE, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor } from "./onnx-proto.js";

/** The columns the trees read, when they are not the 45 encoded features themselves. */
export interface TreeInputs {
  /** Columns: the model's own input columns, then derived 0/1 columns of equality and set tests. */
  readonly width: number;
  /** The FLASH feature each column comes from (FEATURES index), -1 for none (a constant). */
  readonly group: Int32Array;
  /** Each column's value when its feature is withheld (missing). */
  readonly withheld: Float32Array;
  /** The columns of the encoded row at `x[offset..]` into `out[0..width)`. */
  expand(x: Float32Array, offset: number, out: Float32Array): void;
}

/** The ensemble as flat arrays; node `i` of tree `t` is at index `roots[t] + i`. */
export interface TreeArrays {
  /** Index of each tree's root node. */
  readonly roots: Int32Array;
  /** Column of a split node (a feature, or an `inputs` column), -1 for a leaf. */
  readonly feature: Int32Array;
  /** float32 thresholds: `x <= threshold` goes to `left`. */
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when a missing (NaN) value goes to `left`. */
  readonly missingLeft: Uint8Array;
  /** Leaf values (the leaf's share of the margin); 0 for split nodes. */
  readonly value: Float64Array;
  /** float32 base value added to the sum of leaves. */
  readonly baseMargin: number;
  /** FLASH features per encoded row (45). */
  readonly featureCount: number;
  /** The columns split on, when they are not the encoded features (imported models). */
  readonly inputs?: TreeInputs;
  /** Margin -> the model's probability output; sigmoid when absent (model-build's own models). */
  readonly link?: (margin: number) => number;
  /** The link in words, e.g. "sigmoid" or "sigmoid(m) (TreeEnsembleClassifier LOGISTIC) -> column 1". */
  readonly linkName: string;
  /** The operator the trees came from. */
  readonly operator: string;
}

export class OnnxTreesError extends Error {
  override readonly name = "OnnxTreesError";
}

export interface ReadTreeModelOptions {
  /** FLASH features per encoded row (45). */
  readonly featureCount: number;
  /** The imported model's feature map: its columns are computed from the encoded row. */
  readonly map?: CompiledFeatureMap;
  /** The tensor holding the model's own input columns (default: the graph's input). */
  readonly input?: string;
  /** The graph output to explain (default "probability"). */
  readonly output?: string;
  /** Most nodes after shared subtrees are copied out (default 2,000,000). */
  readonly maxNodes?: number;
}

const TREE_OPS = new Set(["TreeEnsembleRegressor", "TreeEnsembleClassifier", "TreeEnsemble"]);

const sigmoid = (m: number): number => 1 / (1 + Math.exp(-m));

/** The largest float32 strictly below `t` (t a float32 value). */
function nextDown32(t: number): number {
  if (t === Number.POSITIVE_INFINITY) return 3.4028234663852886e38;
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, t);
  let bits = buf.getInt32(0);
  if (t === 0) return -1.401298464324817e-45;
  bits += t > 0 ? -1 : 1;
  buf.setInt32(0, bits);
  return buf.getFloat32(0);
}

/** The largest float32 w with (x <= t) == (x <= w) for every float32 x. */
function leqThreshold32(t: number): number {
  const f = Math.fround(t);
  return f <= t ? f : nextDown32(f);
}

/** The largest float32 w with (x < t) == (x <= w) for every float32 x. */
function ltThreshold32(t: number): number {
  const f = Math.fround(t);
  return f < t ? f : nextDown32(f);
}

// ---------------------------------------------------------------------------------------------
// The graph from the trees to the output: a scalar function of the margin.
// ---------------------------------------------------------------------------------------------

type Step = { readonly fn: (x: number) => number; readonly name: string };

interface Resolution {
  /** Applied first to last to the tree node's output column. */
  readonly steps: readonly Step[];
  readonly node: OnnxNode;
  /** Which column of the tree node's (first float) output. */
  readonly column: number;
}

class GraphIndex {
  readonly producer = new Map<string, OnnxNode>();
  constructor(readonly graph: OnnxGraph) {
    for (const node of graph.nodes) for (const o of node.outputs) this.producer.set(o, node);
  }

  /** A constant's values: an initializer, or a Constant node's value. */
  constant(name: string): { values: number[]; dims: readonly number[] } | undefined {
    const init = this.graph.initializers.get(name);
    if (init) return { values: readTensorValues(init), dims: init.dims };
    const node = this.producer.get(name);
    if (node?.opType === "Constant" && node.domain === "") {
      const t = node.attributes.get("value")?.t;
      if (t) return { values: readTensorValues(t), dims: t.dims };
      const f = node.attributes.get("value_float")?.f;
      if (f !== undefined) return { values: [f], dims: [] };
      const floats = node.attributes.get("value_floats")?.floats;
      if (floats) return { values: [...floats], dims: [floats.length] };
      const i = node.attributes.get("value_int")?.i;
      if (i !== undefined) return { values: [i], dims: [] };
      const ints = node.attributes.get("value_ints")?.ints;
      if (ints) return { values: [...ints], dims: [ints.length] };
    }
    return undefined;
  }

  /** Columns (last dimension) of a tensor, when it can be told from the graph. */
  width(name: string, depth = 0): number | undefined {
    if (depth > 64) return undefined;
    const c = this.constant(name);
    if (c) return c.dims.length === 0 ? 1 : c.dims[c.dims.length - 1];
    const node = this.producer.get(name);
    if (!node) {
      const info = [...this.graph.inputs, ...this.graph.valueInfo].find((v) => v.name === name);
      const last = info?.dims?.[info.dims.length - 1];
      return typeof last === "number" ? last : undefined;
    }
    const attr = (n: string) => node.attributes.get(n);
    switch (node.opType) {
      case "TreeEnsembleClassifier":
        return (attr("classlabels_int64s")?.ints.length ?? 0) || attr("classlabels_strings")?.strings.length;
      case "TreeEnsembleRegressor":
      case "TreeEnsemble":
        return attr("n_targets")?.i ?? 1;
      case "Identity":
      case "Cast":
      case "Sigmoid":
      case "Neg":
        return this.width(node.inputs[0]!, depth + 1);
      case "Add":
      case "Sub":
      case "Mul":
      case "Div": {
        const a = this.width(node.inputs[0]!, depth + 1);
        const b = this.width(node.inputs[1]!, depth + 1);
        return a === undefined || b === undefined ? undefined : Math.max(a, b);
      }
      case "Concat": {
        let sum = 0;
        for (const i of node.inputs) {
          const w = this.width(i, depth + 1);
          if (w === undefined) return undefined;
          sum += w;
        }
        return sum;
      }
      default:
        return undefined;
    }
  }
}

function unsupported(node: OnnxNode, why: string): never {
  throw new OnnxTreesError(`the path from the trees to the output goes through ${node.opType}${node.name ? ` "${node.name}"` : ""}: ${why}`);
}

/** Column `column` of tensor `name` as steps over one column of a tree node's output. */
function resolve(index: GraphIndex, name: string, column: number, depth = 0): Resolution {
  if (depth > 64) throw new OnnxTreesError("the path from the trees to the output is longer than 64 nodes");
  const node = index.producer.get(name);
  if (!node) throw new OnnxTreesError(`the output does not come from a tree ensemble (${JSON.stringify(name)} is a graph input or a constant)`);
  if (TREE_OPS.has(node.opType) && node.domain === "ai.onnx.ml") {
    const scores = node.opType === "TreeEnsembleClassifier" ? node.outputs[1] : node.outputs[0];
    if (scores !== name) throw new OnnxTreesError(`the output is the ${node.opType}'s label, not its scores`);
    return { steps: [], node, column };
  }
  if (node.domain !== "") unsupported(node, `an ${node.domain} operator the tree walk does not evaluate`);
  const then = (r: Resolution, step: Step): Resolution => ({ ...r, steps: [...r.steps, step] });
  const input = node.inputs[0]!;
  switch (node.opType) {
    case "Identity":
    case "Reshape":
    case "Flatten":
    case "Squeeze":
    case "Unsqueeze": {
      if (node.opType !== "Identity") {
        // A reshape keeps each row's values in order; one column in, the same column out.
        const w = index.width(input);
        if (w !== 1 && node.opType !== "Flatten") unsupported(node, "a reshape of more than one column");
      }
      return resolve(index, input, column, depth + 1);
    }
    case "Cast": {
      const to = node.attributes.get("to")?.i;
      if (to !== TENSOR_TYPE.FLOAT && to !== TENSOR_TYPE.DOUBLE) unsupported(node, `a cast to type ${to}, not a float`);
      // onnxruntime computes in float32; a cast to float rounds there, to double changes nothing.
      return then(resolve(index, input, column, depth + 1), to === TENSOR_TYPE.FLOAT ? { fn: Math.fround, name: "float" } : { fn: (x) => x, name: "double" });
    }
    case "Sigmoid":
      return then(resolve(index, input, column, depth + 1), { fn: sigmoid, name: "sigmoid" });
    case "Neg":
      return then(resolve(index, input, column, depth + 1), { fn: (x) => -x, name: "neg" });
    case "Add":
    case "Sub":
    case "Mul":
    case "Div": {
      const [a, b] = node.inputs as [string, string];
      const ca = index.constant(a);
      const cb = index.constant(b);
      if ((ca === undefined) === (cb === undefined)) unsupported(node, "only an operation with one constant operand is evaluated");
      const c = (ca ?? cb)!;
      if (c.values.length !== 1 && c.values.length <= column) unsupported(node, "a constant that does not broadcast over the columns");
      const k = c.values.length === 1 ? c.values[0]! : c.values[column]!;
      const constantFirst = ca !== undefined;
      const fn = {
        Add: (x: number) => x + k,
        Sub: constantFirst ? (x: number) => k - x : (x: number) => x - k,
        Mul: (x: number) => x * k,
        Div: constantFirst ? (x: number) => k / x : (x: number) => x / k,
      }[node.opType];
      return then(resolve(index, constantFirst ? b : a, column, depth + 1), { fn, name: `${node.opType.toLowerCase()} ${k}` });
    }
    case "Concat": {
      const axis = node.attributes.get("axis")?.i;
      if (axis !== 1 && axis !== -1) unsupported(node, `a concatenation along axis ${axis}, not the columns`);
      let offset = 0;
      for (const part of node.inputs) {
        const w = index.width(part);
        if (w === undefined) unsupported(node, `the width of ${JSON.stringify(part)} is not known`);
        if (column < offset + w) return resolve(index, part, column - offset, depth + 1);
        offset += w;
      }
      return unsupported(node, `it has no column ${column}`);
    }
    case "Gather":
    case "ArrayFeatureExtractor": {
      const axis = node.opType === "Gather" ? (node.attributes.get("axis")?.i ?? 0) : -1;
      if (axis !== 1 && axis !== -1) unsupported(node, `a gather along axis ${axis}, not the columns`);
      const indices = index.constant(node.inputs[1]!);
      if (!indices) unsupported(node, "the columns it takes are not constant");
      const w = index.width(input);
      let picked = indices.values[indices.values.length === 1 ? 0 : column];
      if (picked === undefined) unsupported(node, `it has no column ${column}`);
      if (picked < 0 && w !== undefined) picked += w;
      return resolve(index, input, picked, depth + 1);
    }
    case "Slice": {
      const starts = index.constant(node.inputs[1] ?? "")?.values ?? node.attributes.get("starts")?.ints;
      const axes = index.constant(node.inputs[3] ?? "")?.values ?? node.attributes.get("axes")?.ints;
      const steps = index.constant(node.inputs[4] ?? "")?.values;
      if (!starts || starts.length !== 1 || !axes || axes.length !== 1 || (axes[0] !== 1 && axes[0] !== -1) || (steps && steps[0] !== 1)) {
        unsupported(node, "only a constant slice of the columns is evaluated");
      }
      const w = index.width(input);
      let start = starts[0]!;
      if (start < 0 && w !== undefined) start += w;
      return resolve(index, input, start + column, depth + 1);
    }
    default:
      return unsupported(node, "an operator the tree walk does not evaluate");
  }
}

// ---------------------------------------------------------------------------------------------
// The ensemble node: every layout into one list of generic nodes.
// ---------------------------------------------------------------------------------------------

type Test =
  | { readonly kind: "leq"; readonly threshold: number }
  | { readonly kind: "member"; readonly values: readonly number[] };

interface GenericSplit {
  readonly column: number;
  /** The ONNX mode, in words, for messages. */
  readonly mode: string;
  /** For `leq` tests after LT/GT/GTE are turned into LEQ: true and false children may be swapped. */
  readonly test: Test;
  /** Where "test passes" (value <= threshold, or value in the set) goes. */
  readonly pass: number;
  readonly fail: number;
  /** Where a missing value goes: true = `pass`. */
  readonly missingPass: boolean;
}

/** Node i: a split, or a leaf with its value. */
type GenericNode = { readonly split: GenericSplit } | { readonly leaf: number };

interface Ensemble {
  readonly nodes: GenericNode[];
  readonly roots: number[];
  readonly base: number;
  /** The ensemble output column -> margin finalisation (classifiers' post transform). */
  readonly finalize: Step | undefined;
  readonly description: string;
}

const attrOf = (node: OnnxNode, name: string): OnnxAttribute | undefined => node.attributes.get(name);

function requireAttr(node: OnnxNode, name: string): OnnxAttribute {
  const a = attrOf(node, name);
  if (!a) throw new OnnxTreesError(`${node.opType} has no ${name}`);
  return a;
}

function tensorOrList(node: OnnxNode, name: string): number[] | undefined {
  const tensor = attrOf(node, `${name}_as_tensor`)?.t;
  if (tensor) return readTensorValues(tensor);
  const a = attrOf(node, name);
  return a ? [...a.floats] : undefined;
}

/** A legacy split (TreeEnsembleClassifier/Regressor mode string) as a generic split. */
function legacySplit(node: OnnxNode, mode: string, column: number, t: number, yes: number, no: number, tracks: boolean): GenericSplit {
  switch (mode) {
    case "BRANCH_LEQ":
      return { column, mode, test: { kind: "leq", threshold: leqThreshold32(t) }, pass: yes, fail: no, missingPass: tracks };
    case "BRANCH_LT":
      return { column, mode, test: { kind: "leq", threshold: ltThreshold32(t) }, pass: yes, fail: no, missingPass: tracks };
    case "BRANCH_GT":
      return { column, mode, test: { kind: "leq", threshold: leqThreshold32(t) }, pass: no, fail: yes, missingPass: !tracks };
    case "BRANCH_GTE":
      return { column, mode, test: { kind: "leq", threshold: ltThreshold32(t) }, pass: no, fail: yes, missingPass: !tracks };
    case "BRANCH_EQ":
      return { column, mode, test: { kind: "member", values: [t] }, pass: yes, fail: no, missingPass: tracks };
    case "BRANCH_NEQ":
      // NaN != t is true in onnxruntime: a missing value always takes the true branch.
      return { column, mode, test: { kind: "member", values: [t] }, pass: no, fail: yes, missingPass: false };
    default:
      throw new OnnxTreesError(`${node.opType}.nodes_modes ${JSON.stringify(mode)} is not supported (BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ and LEAF are)`);
  }
}

function readLegacy(node: OnnxNode, column: number, classCount: number): Ensemble {
  const classifier = node.opType === "TreeEnsembleClassifier";
  const treeIds = requireAttr(node, "nodes_treeids").ints;
  const nodeIds = requireAttr(node, "nodes_nodeids").ints;
  const modes = requireAttr(node, "nodes_modes").strings;
  const featureIds = requireAttr(node, "nodes_featureids").ints;
  const values = tensorOrList(node, "nodes_values") ?? [];
  const trueIds = requireAttr(node, "nodes_truenodeids").ints;
  const falseIds = requireAttr(node, "nodes_falsenodeids").ints;
  const tracks = attrOf(node, "nodes_missing_value_tracks_true")?.ints ?? [];
  const n = treeIds.length;
  for (const [name, list] of [["nodes_nodeids", nodeIds], ["nodes_modes", modes], ["nodes_featureids", featureIds], ["nodes_values", values], ["nodes_truenodeids", trueIds], ["nodes_falsenodeids", falseIds]] as const) {
    if (list.length !== n) throw new OnnxTreesError(`${node.opType}: ${name} has ${list.length} entries for ${n} nodes`);
  }
  if (tracks.length !== 0 && tracks.length !== n) throw new OnnxTreesError(`${node.opType}: nodes_missing_value_tracks_true has ${tracks.length} entries for ${n} nodes`);
  const at = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${treeIds[i]}:${nodeIds[i]}`;
    if (at.has(key)) throw new OnnxTreesError(`tree ${treeIds[i]} has node ${nodeIds[i]} twice`);
    at.set(key, i);
  }
  const find = (t: number, id: number, from: number): number => {
    const i = at.get(`${t}:${id}`);
    if (i === undefined) throw new OnnxTreesError(`tree ${t} node ${nodeIds[from]} points at node ${id}, which the tree does not have`);
    return i;
  };

  // Leaf values for the output column this model's probability is read from.
  const prefix = classifier ? "class_" : "target_";
  const leafTrees = requireAttr(node, `${prefix}treeids`).ints;
  const leafNodes = requireAttr(node, `${prefix}nodeids`).ints;
  const leafIds = requireAttr(node, `${prefix}ids`).ints;
  const leafWeights = tensorOrList(node, `${prefix}weights`) ?? [];
  const base = tensorOrList(node, "base_values") ?? [];
  const post = attrOf(node, "post_transform")?.s ?? "NONE";
  const ids = new Set(leafIds);
  let weightOf: (id: number) => number;
  let baseMargin = 0;
  let finalize: Step | undefined;
  let description: string;
  if (classifier) {
    if (classCount !== 2) throw new OnnxTreesError(`TreeEnsembleClassifier has ${classCount} classes: only a binary classifier is read`);
    const allPositive = leafWeights.every((w) => w >= 0);
    if (ids.size === 1 && ids.has(0)) {
      // One score s (class 0's weights): onnxruntime writes [1 - s, s] (or [-s, s]), LOGISTIC [sigmoid(-s), sigmoid(s)].
      if (base.length > 1) throw new OnnxTreesError(`TreeEnsembleClassifier.base_values has ${base.length} values for one scored class`);
      baseMargin = base[0] ?? 0;
      weightOf = (id) => (id === 0 ? 1 : 0);
      if (post === "LOGISTIC") finalize = column === 1 ? { fn: sigmoid, name: "sigmoid" } : { fn: (m) => sigmoid(-m), name: "sigmoid(-m)" };
      else if (post === "NONE") finalize = column === 1 ? undefined : allPositive ? { fn: (m) => 1 - m, name: "1 - m" } : { fn: (m) => -m, name: "-m" };
      else throw new OnnxTreesError(`TreeEnsembleClassifier.post_transform ${JSON.stringify(post)} with one scored class is not read (NONE and LOGISTIC are)`);
    } else if (ids.size === 2 && ids.has(0) && ids.has(1)) {
      if (base.length !== 0) throw new OnnxTreesError("TreeEnsembleClassifier.base_values with two scored classes is not read");
      const other = 1 - column;
      if (post === "SOFTMAX") {
        // softmax over two scores = sigmoid of their difference: one margin w_col - w_other.
        weightOf = (id) => (id === column ? 1 : id === other ? -1 : 0);
        finalize = { fn: sigmoid, name: "sigmoid (softmax of two classes)" };
      } else if (post === "NONE" || post === "LOGISTIC") {
        weightOf = (id) => (id === column ? 1 : 0);
        finalize = post === "LOGISTIC" ? { fn: sigmoid, name: "sigmoid" } : undefined;
      } else throw new OnnxTreesError(`TreeEnsembleClassifier.post_transform ${JSON.stringify(post)} is not read (NONE, LOGISTIC and SOFTMAX are)`);
    } else throw new OnnxTreesError(`TreeEnsembleClassifier.class_ids ${JSON.stringify([...ids].sort())} are not read (0, or 0 and 1)`);
    description = `TreeEnsembleClassifier ${post}, column ${column}`;
  } else {
    const targets = attrOf(node, "n_targets")?.i ?? 1;
    if (targets !== 1 || [...ids].some((i) => i !== 0)) throw new OnnxTreesError(`TreeEnsembleRegressor with ${targets} targets is not read (one target is)`);
    if (post !== "NONE") throw new OnnxTreesError(`TreeEnsembleRegressor.post_transform ${JSON.stringify(post)} is not read (NONE is; a Sigmoid node after it is)`);
    baseMargin = base[0] ?? 0;
    weightOf = () => 1;
    description = "TreeEnsembleRegressor";
  }
  const aggregate = attrOf(node, "aggregate_function")?.s ?? "SUM";
  const treeSet = new Set(treeIds);
  if (aggregate !== "SUM" && aggregate !== "AVERAGE") throw new OnnxTreesError(`${node.opType}.aggregate_function ${JSON.stringify(aggregate)} is not read (SUM and AVERAGE are)`);
  const scale = aggregate === "AVERAGE" ? 1 / treeSet.size : 1;

  const leafValue = new Float64Array(n);
  const isLeaf = modes.map((m) => m === "LEAF");
  leafTrees.forEach((t, k) => {
    const i = at.get(`${t}:${leafNodes[k]}`);
    if (i === undefined || !isLeaf[i]) throw new OnnxTreesError(`a ${prefix}weights entry points at tree ${t} node ${leafNodes[k]}, which is not a leaf`);
    // onnxruntime adds float32 weights.
    leafValue[i] = leafValue[i]! + Math.fround(leafWeights[k]!) * weightOf(leafIds[k]!) * scale;
  });
  const nodes: GenericNode[] = [];
  for (let i = 0; i < n; i++) {
    if (isLeaf[i]) nodes.push({ leaf: leafValue[i]! });
    else {
      const t = treeIds[i]!;
      nodes.push({ split: legacySplit(node, modes[i]!, featureIds[i]!, values[i]!, find(t, trueIds[i]!, i), find(t, falseIds[i]!, i), tracks[i] === 1) });
    }
  }
  // Each tree's root: the node no other node of its tree points at.
  const pointed = new Set<number>();
  nodes.forEach((g) => {
    if ("split" in g) {
      pointed.add(g.split.pass);
      pointed.add(g.split.fail);
    }
  });
  const roots: number[] = [];
  for (const t of [...treeSet].sort((a, b) => a - b)) {
    const candidates = [];
    for (let i = 0; i < n; i++) if (treeIds[i] === t && !pointed.has(i)) candidates.push(i);
    if (candidates.length !== 1) throw new OnnxTreesError(`tree ${t} has ${candidates.length} roots`);
    roots.push(candidates[0]!);
  }
  return { nodes, roots, base: Math.fround(baseMargin), finalize, description };
}

const V5_MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "BRANCH_MEMBER"];

function readV5(node: OnnxNode): Ensemble {
  const tensor = (name: string): number[] => {
    const t = attrOf(node, name)?.t;
    if (!t) throw new OnnxTreesError(`TreeEnsemble has no ${name}`);
    return readTensorValues(t);
  };
  const targets = attrOf(node, "n_targets")?.i ?? 1;
  const post = attrOf(node, "post_transform")?.i ?? 0;
  const aggregate = attrOf(node, "aggregate_function")?.i ?? 1;
  if (targets !== 1) throw new OnnxTreesError(`TreeEnsemble.n_targets ${targets} is not read (1 is)`);
  if (post !== 0) throw new OnnxTreesError(`TreeEnsemble.post_transform ${post} is not read (0, NONE, is; a Sigmoid node after it is)`);
  if (aggregate !== 0 && aggregate !== 1) throw new OnnxTreesError(`TreeEnsemble.aggregate_function ${aggregate} is not read (SUM and AVERAGE are)`);
  const features = requireAttr(node, "nodes_featureids").ints;
  const splits = tensor("nodes_splits");
  const modes = tensor("nodes_modes");
  const trueIds = requireAttr(node, "nodes_truenodeids").ints;
  const falseIds = requireAttr(node, "nodes_falsenodeids").ints;
  const trueLeafs = requireAttr(node, "nodes_trueleafs").ints;
  const falseLeafs = requireAttr(node, "nodes_falseleafs").ints;
  const tracks = attrOf(node, "nodes_missing_value_tracks_true")?.ints ?? [];
  const leafTargets = requireAttr(node, "leaf_targetids").ints;
  const leafWeights = tensor("leaf_weights");
  const roots = requireAttr(node, "tree_roots").ints;
  const membership = attrOf(node, "membership_values")?.t ? tensor("membership_values") : [];
  const n = features.length;
  for (const [name, list] of [["nodes_splits", splits], ["nodes_modes", modes], ["nodes_truenodeids", trueIds], ["nodes_falsenodeids", falseIds], ["nodes_trueleafs", trueLeafs], ["nodes_falseleafs", falseLeafs]] as const) {
    if (list.length !== n) throw new OnnxTreesError(`TreeEnsemble: ${name} has ${list.length} entries for ${n} nodes`);
  }
  if (leafTargets.some((t) => t !== 0)) throw new OnnxTreesError("TreeEnsemble.leaf_targetids other than 0 are not read");
  // Leaves after the interior nodes; each BRANCH_MEMBER takes the next NaN-delimited set.
  const sets: number[][] = [[]];
  for (const v of membership) {
    if (Number.isNaN(v)) sets.push([]);
    else sets[sets.length - 1]!.push(v);
  }
  let nextSet = 0;
  const scale = aggregate === 0 ? 1 / roots.length : 1;
  const nodes: GenericNode[] = [];
  const leafAt = (k: number) => {
    if (!(k >= 0 && k < leafWeights.length)) throw new OnnxTreesError(`TreeEnsemble: a branch points at leaf ${k}, there are ${leafWeights.length}`);
    return n + k;
  };
  const nodeAt = (k: number) => {
    if (!(k >= 0 && k < n)) throw new OnnxTreesError(`TreeEnsemble: a branch points at node ${k}, there are ${n}`);
    return k;
  };
  for (let i = 0; i < n; i++) {
    const mode = modes[i]!;
    const name = V5_MODES[mode];
    if (name === undefined) throw new OnnxTreesError(`TreeEnsemble.nodes_modes ${mode} is not a mode (0 to 6)`);
    const yes = trueLeafs[i] ? leafAt(trueIds[i]!) : nodeAt(trueIds[i]!);
    const no = falseLeafs[i] ? leafAt(falseIds[i]!) : nodeAt(falseIds[i]!);
    const tracksTrue = tracks[i] === 1;
    if (name === "BRANCH_MEMBER") {
      const values = sets[nextSet++];
      if (!values) throw new OnnxTreesError("TreeEnsemble.membership_values has fewer sets than BRANCH_MEMBER nodes");
      nodes.push({ split: { column: features[i]!, mode: name, test: { kind: "member", values }, pass: yes, fail: no, missingPass: tracksTrue } });
    } else nodes.push({ split: legacySplit(node, name, features[i]!, splits[i]!, yes, no, tracksTrue) });
  }
  for (const w of leafWeights) nodes.push({ leaf: Math.fround(w) * scale });
  // A tree that is one leaf: a node whose two branches are that leaf.
  return { nodes, roots: roots.map(nodeAt), base: 0, finalize: undefined, description: "TreeEnsemble (ai.onnx.ml 5)" };
}

// ---------------------------------------------------------------------------------------------
// Laying the ensemble out: trees (shared subtrees copied), derived columns, the flat arrays.
// ---------------------------------------------------------------------------------------------

interface Derived {
  readonly source: number;
  readonly values: readonly number[];
}

function layOut(ensemble: Ensemble, width: number, maxNodes: number) {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const missingLeft: number[] = [];
  const value: number[] = [];
  const roots: number[] = [];
  const derived: Derived[] = [];
  const derivedIndex = new Map<string, number>();
  const derivedColumn = (source: number, values: readonly number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const key = `${source}:${sorted.join(",")}`;
    let k = derivedIndex.get(key);
    if (k === undefined) {
      k = derived.length;
      derived.push({ source, values: sorted });
      derivedIndex.set(key, k);
    }
    return width + k;
  };
  const alloc = (): number => {
    if (feature.length >= maxNodes) throw new OnnxTreesError(`the trees need more than ${maxNodes} nodes once shared subtrees are copied out`);
    feature.push(-1);
    threshold.push(0);
    left.push(0);
    right.push(0);
    missingLeft.push(0);
    value.push(0);
    return feature.length - 1;
  };
  const { nodes } = ensemble;
  // Depth first, children after their parent; `path` guards against a node that leads back to itself.
  const emit = (i: number, path: Set<number>): number => {
    const g = nodes[i];
    if (!g) throw new OnnxTreesError(`a branch points at node ${i}, which does not exist`);
    const at = alloc();
    if ("leaf" in g) {
      value[at] = g.leaf;
      return at;
    }
    if (path.has(i)) throw new OnnxTreesError("a tree's branches loop back to one of its own nodes");
    let s = g.split;
    if (s.column < 0 || s.column >= width) throw new OnnxTreesError(`a split uses feature ${s.column}, the input has ${width}`);
    let pass = s.pass;
    let fail = s.fail;
    if (s.test.kind === "member") {
      // LightGBM's "a||b||c": a chain of equality tests on one column sharing their "true" child is one set.
      const values = [...s.test.values];
      let next = nodes[fail];
      while (next && "split" in next && next.split.column === s.column && next.split.test.kind === "member" && next.split.pass === pass && next.split.missingPass === s.missingPass && s.mode === "BRANCH_EQ" && next.split.mode === "BRANCH_EQ") {
        values.push(...next.split.test.values);
        fail = next.split.fail;
        next = nodes[fail];
      }
      s = { ...s, test: { kind: "member", values }, fail };
    }
    path.add(i);
    // Left is "value <= threshold"; a set test reads its 0/1 column, where 1 (in the set) is right.
    let column: number;
    let t: number;
    let l: number;
    let r: number;
    let missingGoesLeft: boolean;
    if (s.test.kind === "leq") {
      column = s.column;
      t = s.test.threshold;
      [l, r] = [pass, fail];
      missingGoesLeft = s.missingPass;
    } else {
      column = derivedColumn(s.column, s.test.values);
      t = 0.5;
      [l, r] = [fail, pass];
      missingGoesLeft = !s.missingPass;
    }
    feature[at] = column;
    threshold[at] = t;
    missingLeft[at] = missingGoesLeft ? 1 : 0;
    left[at] = emit(l, path);
    right[at] = emit(r, path);
    path.delete(i);
    return at;
  };
  // A plain tree whose nodes come after their parents keeps the file's node order (a file read
  // back gives the trees it was written from); shared subtrees and set chains are copied out
  // depth first.
  for (const root of ensemble.roots) roots.push(inFileOrder(root) ?? emit(root, new Set()));
  return { feature, threshold, left, right, missingLeft, value, roots, derived };

  function inFileOrder(root: number): number | undefined {
    const order: number[] = [];
    const seen = new Set<number>();
    const stack = [root];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (seen.has(i)) return undefined;
      seen.add(i);
      order.push(i);
      const g = nodes[i];
      if (!g) return undefined;
      if ("split" in g) {
        if (!(g.split.pass > i && g.split.fail > i) || g.split.column < 0 || g.split.column >= width) return undefined;
        stack.push(g.split.pass, g.split.fail);
      }
    }
    order.sort((a, b) => a - b);
    const base = feature.length;
    const slot = new Map(order.map((i, k) => [i, base + k]));
    for (const i of order) {
      const at = alloc();
      const g = nodes[i]!;
      if ("leaf" in g) {
        value[at] = g.leaf;
        continue;
      }
      const s = g.split;
      if (s.test.kind === "leq") {
        feature[at] = s.column;
        threshold[at] = s.test.threshold;
        left[at] = slot.get(s.pass)!;
        right[at] = slot.get(s.fail)!;
        missingLeft[at] = s.missingPass ? 1 : 0;
      } else {
        feature[at] = derivedColumn(s.column, s.test.values);
        threshold[at] = 0.5;
        left[at] = slot.get(s.fail)!;
        right[at] = slot.get(s.pass)!;
        missingLeft[at] = s.missingPass ? 0 : 1;
      }
    }
    return base;
  }
}

/** The tree-ensemble model in `onnx` as flat arrays; an OnnxTreesError when it is not one the walk reads. */
export function readTreeModel(onnx: Uint8Array, options: ReadTreeModelOptions): TreeArrays {
  let graph: OnnxGraph;
  try {
    graph = readOnnxModel(onnx).graph;
  } catch (error) {
    if (error instanceof OnnxFormatError) throw new OnnxTreesError(error.message);
    throw error;
  }
  const index = new GraphIndex(graph);
  if (!graph.nodes.some((n) => TREE_OPS.has(n.opType) && n.domain === "ai.onnx.ml")) {
    throw new OnnxTreesError("the graph has no TreeEnsembleRegressor, TreeEnsembleClassifier or TreeEnsemble node: not a tree ensemble");
  }
  const outputName = options.output ?? "probability";
  if (!graph.outputs.some((o) => o.name === outputName)) throw new OnnxTreesError(`the graph has no output ${JSON.stringify(outputName)}`);
  const resolution = resolve(index, outputName, 0);
  const node = resolution.node;

  // The trees must read the model's input columns, directly or through a cast.
  const expectedInput = options.input ?? graph.inputs.find((i) => !graph.initializers.has(i.name))?.name;
  let source = node.inputs[0]!;
  for (let hops = 0; source !== expectedInput; hops++) {
    const p = index.producer.get(source);
    if (!p || hops > 8 || !(p.domain === "" && (p.opType === "Identity" || (p.opType === "Cast" && [TENSOR_TYPE.FLOAT, TENSOR_TYPE.DOUBLE].includes(p.attributes.get("to")?.i as 1)))) ) {
      throw new OnnxTreesError(`the ${node.opType} reads ${JSON.stringify(node.inputs[0])}, not the model's input columns${p ? ` (it comes from ${p.opType}, which the tree walk does not evaluate)` : ""}`);
    }
    source = p.inputs[0]!;
  }
  const width = options.map?.width ?? options.featureCount;
  const classes = node.opType === "TreeEnsembleClassifier" ? (index.width(node.outputs[1]!) ?? 0) : 1;
  const ensemble = node.opType === "TreeEnsemble" ? readV5(node) : readLegacy(node, resolution.column, classes);
  if (node.opType !== "TreeEnsembleClassifier" && resolution.column !== 0) throw new OnnxTreesError(`${node.opType} has one target; the output reads its column ${resolution.column}`);
  const laid = layOut(ensemble, width, options.maxNodes ?? 2_000_000);

  const steps = [...(ensemble.finalize ? [ensemble.finalize] : []), ...resolution.steps];
  const linkName = steps.length === 0 ? "identity" : steps.map((s) => s.name).join(" -> ");
  const link = composeLink(steps);
  const inputs = buildInputs(options, width, laid.derived);
  return {
    roots: Int32Array.from(laid.roots),
    feature: Int32Array.from(laid.feature),
    threshold: Float32Array.from(laid.threshold),
    left: Int32Array.from(laid.left),
    right: Int32Array.from(laid.right),
    missingLeft: Uint8Array.from(laid.missingLeft),
    value: Float64Array.from(laid.value),
    baseMargin: ensemble.base,
    featureCount: options.featureCount,
    ...(inputs ? { inputs } : {}),
    ...(linkName === "sigmoid" ? {} : { link }),
    linkName,
    operator: ensemble.description,
  };
}

function composeLink(steps: readonly Step[]): (m: number) => number {
  if (steps.length === 0) return (m) => m;
  if (steps.length === 1) return steps[0]!.fn;
  const fns = steps.map((s) => s.fn);
  return (m) => {
    let x = m;
    for (const f of fns) x = f(x);
    return x;
  };
}

function buildInputs(options: ReadTreeModelOptions, width: number, derived: readonly Derived[]): TreeInputs | undefined {
  const map = options.map;
  if (!map && derived.length === 0) return undefined;
  const total = width + derived.length;
  const group = new Int32Array(total);
  const withheld = new Float32Array(total);
  for (let j = 0; j < width; j++) {
    group[j] = map ? map.group[j]! : j;
    withheld[j] = map ? map.withheld[j]! : Number.NaN;
  }
  const member = (v: number, values: readonly number[]) => (v !== v ? Number.NaN : values.includes(v) ? 1 : 0);
  derived.forEach((d, k) => {
    group[width + k] = group[d.source]!;
    withheld[width + k] = member(withheld[d.source]!, d.values);
  });
  const expand = (x: Float32Array, offset: number, out: Float32Array): void => {
    if (map) map.compute(x, offset, out, 0);
    else for (let j = 0; j < width; j++) out[j] = x[offset + j]!;
    for (let k = 0; k < derived.length; k++) {
      const d = derived[k]!;
      out[width + k] = member(out[d.source]!, d.values);
    }
  };
  return { width: total, group, withheld, expand };
}

/** model-build's own models: the trees of a TreeEnsembleRegressor + Sigmoid reading the 45 features. */
export function readOnnxTrees(onnx: Uint8Array, featureCount: number): TreeArrays {
  return readTreeModel(onnx, { featureCount });
}

export type { OnnxTensor };
