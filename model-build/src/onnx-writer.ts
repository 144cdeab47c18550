/**
 * Writing ONNX messages (onnx/onnx.proto, proto2): nodes, attributes, value infos and tensors
 * for the graphs model-build makes (onnx-export.ts) and the nodes model:import adds
 * (import-graph.ts), and `rewriteModel`, which writes a model read by core/onnx-proto.ts back
 * with some of its parts replaced and every other field copied byte for byte.
 */

import type { OnnxModel, ProtoField } from "../../core/onnx-proto.js";
import { ProtoWriter } from "./protobuf.js";

export const TENSOR_FLOAT = 1;
export const TENSOR_INT64 = 7;
export const TENSOR_BOOL = 9;
export const TENSOR_DOUBLE = 11;

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;
const ATTR_STRINGS = 8;

export type AttributeValue =
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "string"; value: string }
  | { type: "ints"; value: ArrayLike<number> }
  | { type: "floats"; value: ArrayLike<number> }
  | { type: "strings"; value: readonly string[] };

export function encodeAttribute(name: string, attr: AttributeValue): Uint8Array {
  // AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, strings=9, type=20
  const w = new ProtoWriter().string(1, name);
  switch (attr.type) {
    case "int":
      w.int(3, attr.value).int(20, ATTR_INT);
      break;
    case "float":
      w.float(2, attr.value).int(20, ATTR_FLOAT);
      break;
    case "string":
      w.string(4, attr.value).int(20, ATTR_STRING);
      break;
    case "ints":
      w.packedInts(8, attr.value).int(20, ATTR_INTS);
      break;
    case "floats":
      w.packedFloats(7, attr.value).int(20, ATTR_FLOATS);
      break;
    case "strings":
      for (const s of attr.value) w.string(9, s);
      w.int(20, ATTR_STRINGS);
      break;
  }
  return w.finish();
}

export interface NodeSpec {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyArray<readonly [string, AttributeValue]>;
}

export function encodeNode(node: NodeSpec): Uint8Array {
  // NodeProto: input=1, output=2, name=3, op_type=4, attribute=5, domain=7
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  w.string(3, node.name).string(4, node.opType);
  for (const [name, attr] of node.attributes) w.message(5, encodeAttribute(name, attr));
  if (node.domain) w.string(7, node.domain);
  return w.finish();
}

/** A tensor type with the given element type and dimensions (a string is a symbolic dimension). */
export function encodeValueInfo(name: string, elemType: number, dims: readonly (number | string)[]): Uint8Array {
  // ValueInfoProto: name=1, type=2; TypeProto: tensor_type=1; Tensor: elem_type=1, shape=2;
  // TensorShapeProto: dim=1; Dimension: dim_value=1, dim_param=2
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim.finish());
  }
  const tensorType = new ProtoWriter().int(1, elemType).message(2, shape.finish()).finish();
  const type = new ProtoWriter().message(1, tensorType).finish();
  return new ProtoWriter().string(1, name).message(2, type).finish();
}

/** An initializer: float32, int64 or bool values in raw_data (little-endian, as ONNX specifies). */
export function encodeTensor(name: string, elemType: number, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  // TensorProto: dims=1, data_type=2, name=8, raw_data=9
  const size = elemType === TENSOR_FLOAT ? 4 : elemType === TENSOR_INT64 ? 8 : elemType === TENSOR_BOOL ? 1 : 0;
  if (size === 0) throw new RangeError(`encodeTensor: element type ${elemType} is not written here`);
  const raw = new Uint8Array(values.length * size);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (elemType === TENSOR_FLOAT) view.setFloat32(i * 4, v, true);
    else if (elemType === TENSOR_INT64) view.setBigInt64(i * 8, BigInt(v), true);
    else view.setUint8(i, v ? 1 : 0);
  }
  const w = new ProtoWriter();
  if (dims.length > 0) w.packedInts(1, dims);
  return w.int(2, elemType).string(8, name).message(9, raw).finish();
}

/** A NodeProto read from a file, with its inputs and outputs renamed and everything else as it was. */
export function renameNodeTensors(fields: readonly ProtoField[], rename: (name: string) => string): Uint8Array {
  const text = new TextDecoder();
  const w = new ProtoWriter();
  for (const f of fields) {
    if (f.number === 1 || f.number === 2) w.string(f.number, rename(text.decode(f.bytes)));
    else w.raw(f.raw);
  }
  return w.finish();
}

export interface GraphEdits {
  /** Encoded NodeProtos, in order (the graph's nodes are replaced by these). */
  readonly nodes: readonly Uint8Array[];
  /** Encoded TensorProtos replacing the graph's initializers. */
  readonly initializers: readonly Uint8Array[];
  readonly inputs: readonly Uint8Array[];
  readonly outputs: readonly Uint8Array[];
  /** Keep the graph's value_info entries (shape hints)? Dropped by default: they may name tensors that are gone. */
  readonly keepValueInfo?: boolean;
}

export interface ModelEdits {
  readonly graph: GraphEdits;
  /** Opset versions to set (domain "" = ai.onnx); others stay as they were. */
  readonly opsets?: ReadonlyMap<string, number>;
  readonly irVersion?: number;
  /** Metadata entries added after the model's own. */
  readonly metadata?: ReadonlyArray<readonly [string, string]>;
}

/** The model with its graph's nodes, initializers, inputs and outputs replaced; the rest copied. */
export function rewriteModel(model: OnnxModel, edits: ModelEdits): Uint8Array {
  const g = edits.graph;
  const graph = new ProtoWriter();
  let placed = false;
  const place = () => {
    if (placed) return;
    placed = true;
    for (const n of g.nodes) graph.message(1, n);
    for (const t of g.initializers) graph.message(5, t);
    for (const i of g.inputs) graph.message(11, i);
    for (const o of g.outputs) graph.message(12, o);
  };
  // GraphProto: node=1, name=2, initializer=5, doc_string=10, input=11, output=12, value_info=13
  for (const f of model.graph.fields) {
    if (f.number === 1 || f.number === 5 || f.number === 11 || f.number === 12) place();
    else if (f.number === 13 && !g.keepValueInfo) continue;
    else graph.raw(f.raw);
  }
  place();

  const w = new ProtoWriter();
  const opsets = new Map(model.opsets);
  for (const [domain, version] of edits.opsets ?? []) opsets.set(domain, version);
  let opsetsWritten = false;
  const writeOpsets = () => {
    if (opsetsWritten) return;
    opsetsWritten = true;
    for (const [domain, version] of opsets) w.message(8, new ProtoWriter().string(1, domain).int(2, version).finish());
  };
  // ModelProto: ir_version=1, producer_name=2, ..., graph=7, opset_import=8, metadata_props=14
  for (const f of model.fields) {
    if (f.number === 1) w.int(1, edits.irVersion ?? model.irVersion);
    else if (f.number === 7) w.message(7, graph.finish());
    else if (f.number === 8) writeOpsets();
    else w.raw(f.raw);
  }
  writeOpsets();
  for (const [key, value] of edits.metadata ?? []) w.message(14, new ProtoWriter().string(1, key).string(2, value).finish());
  return w.finish();
}
