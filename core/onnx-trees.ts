/**
 * The trees of an ONNX TreeEnsembleRegressor, read straight from the model's bytes into flat
 * typed arrays. The Worker walks them to explain a prediction (core/tree-explainer.ts) while
 * onnxruntime scores it, so both read the one file a deployment bundles and cannot disagree;
 * model-build reads them back the same way to compare its evaluator with onnxruntime.
 *
 * A minimal protocol-buffers reader: varints, fixed32/64, length-delimited fields, and repeated
 * ints/floats both packed (how model-build writes them) and unpacked (proto2's default). Only
 * what model-build's exporter writes is accepted (BRANCH_LEQ and LEAF nodes, one target, SUM,
 * no post transform); anything else is an error that names the attribute, never a wrong answer.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

interface Field {
  readonly number: number;
  readonly wire: number;
  /** Varints as numbers (every int this format holds is a small non-negative integer). */
  readonly value: number;
  /** Length-delimited and fixed payloads. */
  readonly bytes: Uint8Array;
}

/** The ensemble as flat arrays; node `i` of tree `t` is at index `roots[t] + i`. */
export interface TreeArrays {
  /** Index of each tree's root node. */
  readonly roots: Int32Array;
  /** Feature index of a split node, -1 for a leaf. */
  readonly feature: Int32Array;
  /** float32 thresholds: `x <= threshold` goes to `left`. */
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when a missing (NaN) value goes to `left`. */
  readonly missingLeft: Uint8Array;
  /** Leaf values (sum of the leaf's target weights); 0 for split nodes. */
  readonly value: Float64Array;
  /** float32 base value added to the sum of leaves (the log-odds of the base rate). */
  readonly baseMargin: number;
  readonly featureCount: number;
}

export class OnnxTreesError extends Error {
  override readonly name = "OnnxTreesError";
}

function readVarint(data: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= data.length) throw new OnnxTreesError("onnx: truncated varint");
    const byte = data[at.pos++]!;
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return result;
    scale *= 0x80;
  }
  throw new OnnxTreesError("onnx: varint longer than 10 bytes");
}

function readFields(data: Uint8Array): Field[] {
  const fields: Field[] = [];
  const at = { pos: 0 };
  const empty = data.subarray(0, 0);
  while (at.pos < data.length) {
    const key = readVarint(data, at);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    const take = (length: number) => {
      if (at.pos + length > data.length) throw new OnnxTreesError("onnx: truncated field");
      return data.subarray(at.pos, (at.pos += length));
    };
    if (wire === WIRE_VARINT) fields.push({ number, wire, value: readVarint(data, at), bytes: empty });
    else if (wire === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(data, at);
      fields.push({ number, wire, value: length, bytes: take(length) });
    } else if (wire === WIRE_FIXED32) fields.push({ number, wire, value: 0, bytes: take(4) });
    else if (wire === WIRE_FIXED64) fields.push({ number, wire, value: 0, bytes: take(8) });
    else throw new OnnxTreesError(`onnx: unsupported wire type ${wire}`);
  }
  return fields;
}

const text = new TextDecoder();

interface Attribute {
  readonly ints: number[];
  readonly floats: number[];
  readonly strings: string[];
  /** AttributeProto.s (a single string, e.g. post_transform). */
  s: string;
}

/** AttributeProto: name=1, s=4, floats=7, ints=8, strings=9 (packed or not). */
function readAttribute(data: Uint8Array): [string, Attribute] {
  let name = "";
  const attr: Attribute = { ints: [], floats: [], strings: [], s: "" };
  for (const f of readFields(data)) {
    if (f.number === 1) name = text.decode(f.bytes);
    else if (f.number === 4) attr.s = text.decode(f.bytes);
    else if (f.number === 9) attr.strings.push(text.decode(f.bytes));
    else if (f.number === 8) {
      if (f.wire === WIRE_VARINT) attr.ints.push(f.value);
      else {
        const at = { pos: 0 };
        while (at.pos < f.bytes.length) attr.ints.push(readVarint(f.bytes, at));
      }
    } else if (f.number === 7) {
      const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
      for (let i = 0; i + 4 <= f.bytes.length; i += 4) attr.floats.push(view.getFloat32(i, true));
    }
  }
  return [name, attr];
}

function findEnsembleAttributes(onnx: Uint8Array): Map<string, Attribute> {
  const graph = readFields(onnx).find((f) => f.number === 7 && f.wire === WIRE_LENGTH_DELIMITED);
  if (!graph) throw new OnnxTreesError("onnx: the model has no graph");
  let found: Map<string, Attribute> | undefined;
  for (const node of readFields(graph.bytes)) {
    if (node.number !== 1) continue;
    const fields = readFields(node.bytes);
    const opType = fields.find((f) => f.number === 4);
    if (!opType || text.decode(opType.bytes) !== "TreeEnsembleRegressor") continue;
    if (found) throw new OnnxTreesError("onnx: more than one TreeEnsembleRegressor node");
    found = new Map(fields.filter((f) => f.number === 5).map((f) => readAttribute(f.bytes)));
  }
  if (!found) throw new OnnxTreesError("onnx: no TreeEnsembleRegressor node in the graph");
  return found;
}

/** The TreeEnsembleRegressor of `onnx` as flat arrays; throws OnnxTreesError when it is not one this project can walk. */
export function readOnnxTrees(onnx: Uint8Array, featureCount: number): TreeArrays {
  const attributes = findEnsembleAttributes(onnx);
  const get = (name: string): Attribute => {
    const a = attributes.get(name);
    if (!a) throw new OnnxTreesError(`onnx: TreeEnsembleRegressor has no ${name}`);
    return a;
  };
  const postTransform = attributes.get("post_transform")?.s ?? "NONE";
  const aggregate = attributes.get("aggregate_function")?.s ?? "SUM";
  const targets = attributes.get("n_targets")?.ints[0] ?? 1;
  if (postTransform !== "NONE" || aggregate !== "SUM" || targets !== 1) {
    throw new OnnxTreesError(`onnx: unsupported ensemble (post_transform ${postTransform}, aggregate_function ${aggregate}, n_targets ${targets})`);
  }
  const treeIds = get("nodes_treeids").ints;
  const nodeIds = get("nodes_nodeids").ints;
  const modes = get("nodes_modes").strings;
  const featureIds = get("nodes_featureids").ints;
  const values = get("nodes_values").floats;
  const trueIds = get("nodes_truenodeids").ints;
  const falseIds = get("nodes_falsenodeids").ints;
  const missingTrue = attributes.get("nodes_missing_value_tracks_true")?.ints ?? [];
  const n = treeIds.length;
  for (const [name, list] of [["nodes_nodeids", nodeIds], ["nodes_modes", modes], ["nodes_featureids", featureIds], ["nodes_values", values], ["nodes_truenodeids", trueIds], ["nodes_falsenodeids", falseIds]] as const) {
    if (list.length !== n) throw new OnnxTreesError(`onnx: ${name} has ${list.length} entries for ${n} nodes`);
  }

  // Node ids are per tree; lay the trees out one after another.
  let treeCount = 0;
  for (const t of treeIds) treeCount = Math.max(treeCount, t + 1);
  const size = new Int32Array(treeCount);
  for (let i = 0; i < n; i++) size[treeIds[i]!] = Math.max(size[treeIds[i]!]!, nodeIds[i]! + 1);
  const roots = new Int32Array(treeCount);
  let total = 0;
  for (let t = 0; t < treeCount; t++) {
    roots[t] = total;
    total += size[t]!;
  }
  if (total !== n) throw new OnnxTreesError(`onnx: node ids have gaps (${n} nodes, ids span ${total})`);

  const feature = new Int32Array(total).fill(-2);
  const threshold = new Float32Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const missingLeft = new Uint8Array(total);
  const value = new Float64Array(total);
  for (let i = 0; i < n; i++) {
    const t = treeIds[i]!;
    const at = roots[t]! + nodeIds[i]!;
    if (feature[at] !== -2) throw new OnnxTreesError(`onnx: tree ${t} has node ${nodeIds[i]} twice`);
    if (modes[i] === "LEAF") feature[at] = -1;
    else if (modes[i] === "BRANCH_LEQ") {
      const f = featureIds[i]!;
      if (f >= featureCount) throw new OnnxTreesError(`onnx: a split uses feature ${f}, the input has ${featureCount}`);
      const l = trueIds[i]!;
      const r = falseIds[i]!;
      if (l >= size[t]! || r >= size[t]!) throw new OnnxTreesError(`onnx: tree ${t} node ${nodeIds[i]} points outside its tree`);
      feature[at] = f;
      threshold[at] = values[i]!;
      left[at] = roots[t]! + l;
      right[at] = roots[t]! + r;
      missingLeft[at] = missingTrue[i] === 1 ? 1 : 0;
    } else throw new OnnxTreesError(`onnx: node mode ${modes[i]} is not supported (only BRANCH_LEQ and LEAF)`);
  }
  const targetTrees = get("target_treeids").ints;
  const targetNodes = get("target_nodeids").ints;
  const targetWeights = get("target_weights").floats;
  targetTrees.forEach((t, i) => {
    const at = (roots[t] ?? Number.NaN) + targetNodes[i]!;
    if (!(feature[at] === -1)) throw new OnnxTreesError(`onnx: a target weight points at tree ${t} node ${targetNodes[i]}, which is not a leaf`);
    value[at] = value[at]! + targetWeights[i]!;
  });
  // Children always come after their parent in a well-formed tree: no walk can loop.
  for (let at = 0; at < total; at++) {
    if (feature[at]! >= 0 && (left[at]! <= at || right[at]! <= at)) throw new OnnxTreesError("onnx: a child node comes before its parent");
  }
  const baseMargin = Math.fround(attributes.get("base_values")?.floats[0] ?? 0);
  return { roots, feature, threshold, left, right, missingLeft, value, baseMargin, featureCount };
}
