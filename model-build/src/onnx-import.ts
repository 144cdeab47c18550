/**
 * Reads the trees back out of an ONNX file this package wrote (TreeEnsembleRegressor + Sigmoid),
 * so the TypeScript evaluator in tree-model.ts can run exactly the trees a deployment serves,
 * e.g. to compare its cost with onnxruntime's (`npm run bench`). Gain and cover are not stored
 * in ONNX and come back as 0; everything the evaluator reads (features, thresholds, children,
 * missing-value directions, leaf values, base margin) round-trips exactly.
 *
 * A minimal protocol-buffers reader: varints, fixed32, length-delimited fields, and repeated
 * ints/floats both packed (how onnx-export.ts writes them) and unpacked (proto2's default).
 */

import type { SplitNode, LeafNode, Tree, TreeEnsemble, TreeNode } from "./tree-model.js";

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

interface Field {
  readonly number: number;
  readonly wire: number;
  /** Varints as numbers (every int this format holds is a small non-negative integer). */
  readonly value: number;
  /** Length-delimited and fixed32 payloads. */
  readonly bytes: Uint8Array;
}

function readVarint(data: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= data.length) throw new Error("onnx: truncated varint");
    const byte = data[at.pos++]!;
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return result;
    scale *= 0x80;
  }
  throw new Error("onnx: varint longer than 10 bytes");
}

function readFields(data: Uint8Array): Field[] {
  const fields: Field[] = [];
  const at = { pos: 0 };
  while (at.pos < data.length) {
    const key = readVarint(data, at);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    const empty = data.subarray(0, 0);
    if (wire === WIRE_VARINT) fields.push({ number, wire, value: readVarint(data, at), bytes: empty });
    else if (wire === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(data, at);
      if (at.pos + length > data.length) throw new Error("onnx: truncated field");
      fields.push({ number, wire, value: length, bytes: data.subarray(at.pos, (at.pos += length)) });
    } else if (wire === WIRE_FIXED32) fields.push({ number, wire, value: 0, bytes: data.subarray(at.pos, (at.pos += 4)) });
    else if (wire === WIRE_FIXED64) fields.push({ number, wire, value: 0, bytes: data.subarray(at.pos, (at.pos += 8)) });
    else throw new Error(`onnx: unsupported wire type ${wire}`);
  }
  return fields;
}

const text = new TextDecoder();

type Attribute = { ints: number[]; floats: number[]; strings: string[] };

/** AttributeProto: name=1, floats=7, ints=8, strings=9 (packed or not). */
function readAttribute(data: Uint8Array): [string, Attribute] {
  let name = "";
  const attr: Attribute = { ints: [], floats: [], strings: [] };
  for (const f of readFields(data)) {
    if (f.number === 1) name = text.decode(f.bytes);
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

/** The TreeEnsembleRegressor of an ONNX file written by exportOnnx, as a TreeEnsemble. */
export function importOnnxTrees(onnx: Uint8Array, featureCount: number): TreeEnsemble {
  const graph = readFields(onnx).find((f) => f.number === 7 && f.wire === WIRE_LENGTH_DELIMITED);
  if (!graph) throw new Error("onnx: the model has no graph");
  let attributes: Map<string, Attribute> | undefined;
  for (const node of readFields(graph.bytes)) {
    if (node.number !== 1) continue;
    const fields = readFields(node.bytes);
    const opType = fields.find((f) => f.number === 4);
    if (!opType || text.decode(opType.bytes) !== "TreeEnsembleRegressor") continue;
    attributes = new Map(fields.filter((f) => f.number === 5).map((f) => readAttribute(f.bytes)));
  }
  if (!attributes) throw new Error("onnx: no TreeEnsembleRegressor node in the graph");
  const get = (name: string): Attribute => {
    const a = attributes!.get(name);
    if (!a) throw new Error(`onnx: TreeEnsembleRegressor has no ${name}`);
    return a;
  };
  const treeIds = get("nodes_treeids").ints;
  const nodeIds = get("nodes_nodeids").ints;
  const modes = get("nodes_modes").strings;
  const featureIds = get("nodes_featureids").ints;
  const values = get("nodes_values").floats;
  const trueIds = get("nodes_truenodeids").ints;
  const falseIds = get("nodes_falsenodeids").ints;
  const missingTrue = get("nodes_missing_value_tracks_true").ints;
  const targetTrees = get("target_treeids").ints;
  const targetNodes = get("target_nodeids").ints;
  const targetWeights = get("target_weights").floats;
  const base = attributes.get("base_values")?.floats[0] ?? 0;

  const leafValue = new Map<string, number>();
  targetTrees.forEach((t, i) => leafValue.set(`${t}:${targetNodes[i]}`, (leafValue.get(`${t}:${targetNodes[i]}`) ?? 0) + targetWeights[i]!));
  const trees: TreeNode[][] = [];
  treeIds.forEach((t, i) => {
    const nodes = (trees[t] ??= []);
    const id = nodeIds[i]!;
    if (modes[i] === "LEAF") {
      nodes[id] = { kind: "leaf", value: leafValue.get(`${t}:${id}`) ?? 0, cover: 0 } satisfies LeafNode;
    } else if (modes[i] === "BRANCH_LEQ") {
      nodes[id] = {
        kind: "split",
        feature: featureIds[i]!,
        threshold: values[i]!,
        left: trueIds[i]!,
        right: falseIds[i]!,
        missingGoesLeft: missingTrue[i] === 1,
        gain: 0,
        cover: 0,
      } satisfies SplitNode;
    } else {
      throw new Error(`onnx: node mode ${modes[i]} is not one exportOnnx writes`);
    }
  });
  const result: Tree[] = trees.map((nodes, t) => {
    if (nodes.length === 0 || nodes.some((n) => n === undefined)) throw new Error(`onnx: tree ${t} has gaps in its node ids`);
    return { nodes };
  });
  return { featureCount, baseMargin: base, trees: result };
}
