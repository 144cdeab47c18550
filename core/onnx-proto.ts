/**
 * A small reader of ONNX files (onnx/onnx.proto, proto2): the model, its graph, nodes,
 * attributes, tensors and value infos, read straight from the bytes with no protobuf library.
 * The Worker reads its bundled model's trees with it (core/onnx-trees.ts) and model:import reads
 * and rewrites whole graphs (model-build/src/onnx-graph.ts); every field keeps its raw bytes, so
 * a writer can copy what it does not change byte for byte.
 *
 * Protocol buffers as ONNX uses them: varints (int64 may be negative: ten bytes, two's
 * complement), fixed32/fixed64, length-delimited fields, and repeated numbers both packed and
 * unpacked (proto2's default, which older exporters write).
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

export class OnnxFormatError extends Error {
  override readonly name = "OnnxFormatError";
}

export interface ProtoField {
  readonly number: number;
  readonly wire: number;
  /** A varint's value (int64 as a signed number); a length-delimited field's length. */
  readonly value: number;
  /** A length-delimited or fixed field's payload. */
  readonly bytes: Uint8Array;
  /** The whole field as encoded (tag included), to copy it unchanged. */
  readonly raw: Uint8Array;
}

const TWO_POW_32 = 2 ** 32;

function readVarint(data: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let scale = 1;
  const start = at.pos;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= data.length) throw new OnnxFormatError("onnx: truncated varint");
    const byte = data[at.pos++]!;
    if (i >= 7) return readLongVarint(data, start, at);
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return result;
    scale *= 0x80;
  }
  throw new OnnxFormatError("onnx: varint longer than 10 bytes");
}

/** Eight bytes or more: beyond 2^49, where int64's negatives live; decoded exactly with BigInt. */
function readLongVarint(data: Uint8Array, start: number, at: { pos: number }): number {
  let v = 0n;
  let shift = 0n;
  at.pos = start;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= data.length) throw new OnnxFormatError("onnx: truncated varint");
    const byte = data[at.pos++]!;
    v |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, v));
    shift += 7n;
  }
  throw new OnnxFormatError("onnx: varint longer than 10 bytes");
}

export function readFields(data: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  const at = { pos: 0 };
  const empty = data.subarray(0, 0);
  while (at.pos < data.length) {
    const start = at.pos;
    const key = readVarint(data, at);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    const take = (length: number) => {
      if (length < 0 || at.pos + length > data.length) throw new OnnxFormatError("onnx: truncated field");
      return data.subarray(at.pos, (at.pos += length));
    };
    let value = 0;
    let bytes = empty;
    if (wire === WIRE_VARINT) value = readVarint(data, at);
    else if (wire === WIRE_LENGTH_DELIMITED) {
      value = readVarint(data, at);
      bytes = take(value);
    } else if (wire === WIRE_FIXED32) bytes = take(4);
    else if (wire === WIRE_FIXED64) bytes = take(8);
    else throw new OnnxFormatError(`onnx: unsupported wire type ${wire}`);
    fields.push({ number, wire, value, bytes, raw: data.subarray(start, at.pos) });
  }
  return fields;
}

const text = new TextDecoder();

function readString(f: ProtoField): string {
  return text.decode(f.bytes);
}

/** Repeated int64/int32 (packed or one varint per field). */
function pushInts(f: ProtoField, out: number[]): void {
  if (f.wire === WIRE_VARINT) out.push(f.value);
  else {
    const at = { pos: 0 };
    while (at.pos < f.bytes.length) out.push(readVarint(f.bytes, at));
  }
}

/** Repeated float (packed or one fixed32 per field). */
function pushFloats(f: ProtoField, out: number[]): void {
  const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  for (let i = 0; i + 4 <= f.bytes.length; i += 4) out.push(view.getFloat32(i, true));
}

function pushDoubles(f: ProtoField, out: number[]): void {
  const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  for (let i = 0; i + 8 <= f.bytes.length; i += 8) out.push(view.getFloat64(i, true));
}

/** TensorProto.DataType values this project reads. */
export const TENSOR_TYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  DOUBLE: 11,
} as const;

export const TENSOR_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "float",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "double",
  12: "uint32",
  13: "uint64",
  16: "bfloat16",
};

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly fields: readonly ProtoField[];
}

/** A numeric tensor's values (float32 rounding kept: floats come back as float32 values). */
export function readTensorValues(tensor: OnnxTensor): number[] {
  const out: number[] = [];
  const raw = tensor.fields.find((f) => f.number === 9);
  const type = tensor.dataType;
  if (tensor.fields.some((f) => f.number === 13 || (f.number === 14 && f.value === 1))) {
    throw new OnnxFormatError(`onnx: tensor ${tensor.name} keeps its data in an external file, which this reader cannot follow`);
  }
  if (raw) {
    const b = raw.bytes;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const size = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 11: 8 }[type as 1];
    if (size === undefined) throw new OnnxFormatError(`onnx: tensor ${tensor.name} of type ${TENSOR_TYPE_NAMES[type] ?? type} cannot be read`);
    for (let i = 0; i + size <= b.length; i += size) {
      if (type === TENSOR_TYPE.FLOAT) out.push(view.getFloat32(i, true));
      else if (type === TENSOR_TYPE.DOUBLE) out.push(view.getFloat64(i, true));
      else if (type === TENSOR_TYPE.INT64) out.push(Number(view.getBigInt64(i, true)));
      else if (type === TENSOR_TYPE.INT32) out.push(view.getInt32(i, true));
      else if (type === TENSOR_TYPE.INT8) out.push(view.getInt8(i));
      else out.push(view.getUint8(i));
    }
    return out;
  }
  for (const f of tensor.fields) {
    if (f.number === 4 && type === TENSOR_TYPE.FLOAT) pushFloats(f, out);
    else if (f.number === 10 && type === TENSOR_TYPE.DOUBLE) pushDoubles(f, out);
    else if (f.number === 7 && type === TENSOR_TYPE.INT64) pushInts(f, out);
    // int32_data holds every small integer type (int32, uint8, int8, bool, ...).
    else if (f.number === 5) pushInts(f, out);
  }
  return out;
}

export function readTensor(data: Uint8Array): OnnxTensor {
  const fields = readFields(data);
  const dims: number[] = [];
  let dataType = 0;
  let name = "";
  for (const f of fields) {
    if (f.number === 1) pushInts(f, dims);
    else if (f.number === 2) dataType = f.value;
    else if (f.number === 8) name = readString(f);
  }
  return { name, dims, dataType, fields };
}

/** AttributeProto.AttributeType */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxAttribute {
  readonly name: string;
  readonly type: number;
  readonly f: number | undefined;
  readonly i: number | undefined;
  readonly s: string | undefined;
  readonly t: OnnxTensor | undefined;
  readonly floats: readonly number[];
  readonly ints: readonly number[];
  readonly strings: readonly string[];
  /** A subgraph (If, Loop, Scan): present, not read. */
  readonly hasGraph: boolean;
}

export function readAttribute(data: Uint8Array): OnnxAttribute {
  let name = "";
  let type = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: OnnxTensor | undefined;
  let hasGraph = false;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  for (const field of readFields(data)) {
    switch (field.number) {
      case 1:
        name = readString(field);
        break;
      case 20:
        type = field.value;
        break;
      case 2:
        f = new DataView(field.bytes.buffer, field.bytes.byteOffset, 4).getFloat32(0, true);
        break;
      case 3:
        i = field.value;
        break;
      case 4:
        s = readString(field);
        break;
      case 5:
        t = readTensor(field.bytes);
        break;
      case 6:
      case 11:
        hasGraph = true;
        break;
      case 7:
        pushFloats(field, floats);
        break;
      case 8:
        pushInts(field, ints);
        break;
      case 9:
        strings.push(readString(field));
        break;
    }
  }
  return { name, type, f, i, s, t, floats, ints, strings, hasGraph };
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  /** "" for the default domain (ai.onnx). */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
  readonly fields: readonly ProtoField[];
}

export function readNode(data: Uint8Array): OnnxNode {
  const fields = readFields(data);
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, OnnxAttribute>();
  let name = "";
  let opType = "";
  let domain = "";
  for (const f of fields) {
    if (f.number === 1) inputs.push(readString(f));
    else if (f.number === 2) outputs.push(readString(f));
    else if (f.number === 3) name = readString(f);
    else if (f.number === 4) opType = readString(f);
    else if (f.number === 7) domain = readString(f);
    else if (f.number === 5) {
      const a = readAttribute(f.bytes);
      attributes.set(a.name, a);
    }
  }
  // "ai.onnx" is the default domain's other spelling.
  return { name, opType, domain: domain === "ai.onnx" ? "" : domain, inputs, outputs, attributes, fields };
}

export type OnnxValueKind = "tensor" | "sequence" | "map" | "other";

export interface OnnxValueInfo {
  readonly name: string;
  readonly kind: OnnxValueKind;
  /** A tensor's element type (TENSOR_TYPE), 0 when not given. */
  readonly elemType: number;
  /** A tensor's dimensions: a number, a symbolic name, or null (unknown); undefined when no shape is given. */
  readonly dims: ReadonlyArray<number | string | null> | undefined;
  readonly fields: readonly ProtoField[];
}

export function readValueInfo(data: Uint8Array): OnnxValueInfo {
  const fields = readFields(data);
  let name = "";
  let kind: OnnxValueKind = "other";
  let elemType = 0;
  let dims: Array<number | string | null> | undefined;
  for (const f of fields) {
    if (f.number === 1) name = readString(f);
    else if (f.number === 2) {
      for (const t of readFields(f.bytes)) {
        if (t.number === 1) {
          kind = "tensor";
          for (const tt of readFields(t.bytes)) {
            if (tt.number === 1) elemType = tt.value;
            else if (tt.number === 2) {
              dims = [];
              for (const d of readFields(tt.bytes)) {
                if (d.number !== 1) continue;
                let dim: number | string | null = null;
                for (const dd of readFields(d.bytes)) {
                  if (dd.number === 1) dim = dd.value;
                  else if (dd.number === 2) dim = readString(dd);
                }
                dims.push(dim);
              }
            }
          }
        } else if (t.number === 4) kind = "sequence";
        else if (t.number === 5) kind = "map";
      }
    }
  }
  return { name, kind, elemType, dims, fields };
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  /** Declared inputs, initializers listed among them (IR < 4 does) included. */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  readonly valueInfo: readonly OnnxValueInfo[];
  readonly fields: readonly ProtoField[];
}

export function readGraph(data: Uint8Array): OnnxGraph {
  const fields = readFields(data);
  const nodes: OnnxNode[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const valueInfo: OnnxValueInfo[] = [];
  const initializers = new Map<string, OnnxTensor>();
  let name = "";
  for (const f of fields) {
    if (f.number === 1) nodes.push(readNode(f.bytes));
    else if (f.number === 2) name = readString(f);
    else if (f.number === 5) {
      const t = readTensor(f.bytes);
      initializers.set(t.name, t);
    } else if (f.number === 11) inputs.push(readValueInfo(f.bytes));
    else if (f.number === 12) outputs.push(readValueInfo(f.bytes));
    else if (f.number === 13) valueInfo.push(readValueInfo(f.bytes));
  }
  return { name, nodes, inputs, outputs, initializers, valueInfo, fields };
}

export interface OnnxModel {
  readonly irVersion: number;
  /** Domain ("" = ai.onnx) -> opset version. */
  readonly opsets: ReadonlyMap<string, number>;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: ReadonlyMap<string, string>;
  readonly graph: OnnxGraph;
  /** Model-local functions (ModelProto.functions): their names, by domain:name. */
  readonly functions: readonly string[];
  readonly fields: readonly ProtoField[];
}

export function readOnnxModel(data: Uint8Array): OnnxModel {
  const fields = readFields(data);
  let irVersion = 0;
  let producerName = "";
  let producerVersion = "";
  let docString = "";
  let graph: OnnxGraph | undefined;
  const opsets = new Map<string, number>();
  const metadata = new Map<string, string>();
  const functions: string[] = [];
  for (const f of fields) {
    if (f.number === 1) irVersion = f.value;
    else if (f.number === 2) producerName = readString(f);
    else if (f.number === 3) producerVersion = readString(f);
    else if (f.number === 6) docString = readString(f);
    else if (f.number === 7 && f.wire === WIRE_LENGTH_DELIMITED) graph = readGraph(f.bytes);
    else if (f.number === 8) {
      let domain = "";
      let version = 0;
      for (const o of readFields(f.bytes)) {
        if (o.number === 1) domain = readString(o);
        else if (o.number === 2) version = o.value;
      }
      opsets.set(domain === "ai.onnx" ? "" : domain, version);
    } else if (f.number === 14) {
      let key = "";
      let value = "";
      for (const o of readFields(f.bytes)) {
        if (o.number === 1) key = readString(o);
        else if (o.number === 2) value = readString(o);
      }
      metadata.set(key, value);
    } else if (f.number === 25) {
      let name = "";
      let domain = "";
      for (const o of readFields(f.bytes)) {
        if (o.number === 1) name = readString(o);
        else if (o.number === 10) domain = readString(o);
      }
      functions.push(`${domain}:${name}`);
    }
  }
  if (!graph) throw new OnnxFormatError("onnx: the model has no graph (is this an ONNX file?)");
  return { irVersion, opsets, producerName, producerVersion, docString, metadata, graph, functions, fields };
}
