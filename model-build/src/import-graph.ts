/**
 * model:import's graph work: what an ONNX file from elsewhere is (its input, the tensor with the
 * class probabilities, the class labels, operators this project refuses), and the served file
 * made from it.
 *
 * The served file has the Worker's standard interface, so the Worker needs no second code path:
 * `features` float32 [N, 45] (core/encoding.ts) -> `probability` float32 [N, 1], the positive
 * class. In front of the model's own nodes go a few that build its input columns from `features`
 * as the feature map says (core/feature-map.ts: one Gather of the source features, then lookups
 * for category codes and one-hot columns and Where for missing values and sentinels); after its
 * probability tensor go a Gather of the success column and a Cast/Reshape to [N, 1]. Nodes only
 * the label or a ZipMap needed are dropped (ZipMap's sequence of maps is not a tensor the Worker
 * could read). Every node kept is copied byte for byte; a tensor whose name the new interface
 * needs ("features", "probability") is renamed.
 */

import type { CompiledFeatureMap, FeatureMap } from "../../core/feature-map.js";
import { readOnnxModel, TENSOR_TYPE, TENSOR_TYPE_NAMES, type OnnxModel, type OnnxNode, type OnnxValueInfo } from "../../core/onnx-proto.js";
import { FEATURE_COUNT } from "../../core/schema.js";
import { ProtoWriter } from "./protobuf.js";
import { encodeNode, encodeTensor, encodeValueInfo, renameNodeTensors, rewriteModel, TENSOR_BOOL, TENSOR_DOUBLE, TENSOR_FLOAT, TENSOR_INT64, type AttributeValue } from "./onnx-writer.js";

export const SERVED_INPUT = "features";
export const SERVED_OUTPUT = "probability";

/** A file model:import cannot serve: the message names the operator, attribute or field. */
export class ImportError extends Error {
  override readonly name = "ImportError";
}

export interface ModelAnalysis {
  readonly model: OnnxModel;
  /** The model's input tensor (its columns are what the feature map describes). */
  readonly input: string;
  readonly inputType: typeof TENSOR_TYPE.FLOAT | typeof TENSOR_TYPE.DOUBLE;
  /** Columns the input declares, when it says. */
  readonly inputWidth: number | undefined;
  /** The tensor with the class probabilities (a ZipMap's input when the file has one). */
  readonly probabilities: string;
  /** The graph output it was found from (a ZipMap's output, or the tensor itself). */
  readonly fromOutput: string;
  readonly zipMap: boolean;
  /** Class labels in column order, when the file says. */
  readonly labels: readonly (string | number)[] | undefined;
  readonly operators: readonly string[];
  /** Tree-ensemble operators in the graph. */
  readonly treeOperators: readonly string[];
}

const TREE_OPS = new Set(["TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble"]);
const LEGACY_MODES = new Set(["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "LEAF"]);
const POST_TRANSFORMS = new Set(["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]);
const AGGREGATES = new Set(["SUM", "AVERAGE", "MIN", "MAX"]);
const DOMAINS = new Set(["", "ai.onnx.ml", "com.microsoft"]);

/**
 * Attributes onnxruntime would not refuse but would misread: it reads any unknown node mode as
 * BRANCH_NEQ and any unknown post transform as PROBIT, a wrong answer instead of an error.
 */
function checkNode(node: OnnxNode, model: OnnxModel): void {
  const where = `${node.opType}${node.name ? ` "${node.name}"` : ""}`;
  if (!DOMAINS.has(node.domain)) {
    throw new ImportError(`operator ${node.domain}.${node.opType} is not one onnxruntime-web runs (its domains are ai.onnx, ai.onnx.ml and com.microsoft)`);
  }
  if (node.domain !== "ai.onnx.ml") return;
  if (node.opType === "TreeEnsembleClassifier" || node.opType === "TreeEnsembleRegressor") {
    for (const mode of node.attributes.get("nodes_modes")?.strings ?? []) {
      if (!LEGACY_MODES.has(mode)) {
        throw new ImportError(`${node.opType}.nodes_modes ${JSON.stringify(mode)} is not supported (${where}: the modes are ${[...LEGACY_MODES].join(", ")}; BRANCH_MEMBER exists only in ai.onnx.ml opset 5's TreeEnsemble)`);
      }
    }
    const post = node.attributes.get("post_transform")?.s ?? "NONE";
    if (!POST_TRANSFORMS.has(post)) throw new ImportError(`${node.opType}.post_transform ${JSON.stringify(post)} is not supported (${where}: ${[...POST_TRANSFORMS].join(", ")})`);
    const aggregate = node.attributes.get("aggregate_function")?.s ?? "SUM";
    if (node.opType === "TreeEnsembleRegressor" && !AGGREGATES.has(aggregate)) {
      throw new ImportError(`TreeEnsembleRegressor.aggregate_function ${JSON.stringify(aggregate)} is not supported (${where}: ${[...AGGREGATES].join(", ")})`);
    }
  }
  if (node.opType === "TreeEnsemble") {
    const ml = model.opsets.get("ai.onnx.ml") ?? 0;
    if (ml < 5) throw new ImportError(`TreeEnsemble needs ai.onnx.ml opset 5, the model imports ${ml}`);
    const modes = node.attributes.get("nodes_modes")?.t;
    if (!modes || modes.dataType !== TENSOR_TYPE.UINT8) throw new ImportError(`TreeEnsemble.nodes_modes must be a uint8 tensor (${where})`);
  }
}

function labelsOf(node: OnnxNode | undefined): (string | number)[] | undefined {
  if (!node) return undefined;
  for (const key of ["classlabels_int64s", "classlabels_ints"]) {
    const ints = node.attributes.get(key)?.ints;
    if (ints && ints.length > 0) return [...ints];
  }
  const strings = node.attributes.get("classlabels_strings")?.strings;
  return strings && strings.length > 0 ? [...strings] : undefined;
}

/** What the file is; an ImportError when it is not a model model:import can serve. */
export function analyzeModel(bytes: Uint8Array, map: FeatureMap): ModelAnalysis {
  let model: OnnxModel;
  try {
    model = readOnnxModel(bytes);
  } catch (error) {
    throw new ImportError(`the file is not an ONNX model this reader understands: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { graph } = model;
  if (model.irVersion < 3) throw new ImportError(`ONNX IR version ${model.irVersion} is too old (3 or later; onnxruntime reads 3 to 10)`);
  for (const node of graph.nodes) checkNode(node, model);
  const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  if (inputs.length !== 1) {
    throw new ImportError(`the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(", ")}): model:import serves a model with one float tensor input [N, columns] (a pipeline with one input per column must be exported with a single input)`);
  }
  const input = inputs[0]!;
  if (map.input !== undefined && map.input !== input.name) throw new ImportError(`the feature map's input is ${JSON.stringify(map.input)}, the model's is ${JSON.stringify(input.name)}`);
  if (input.kind !== "tensor" || (input.elemType !== TENSOR_TYPE.FLOAT && input.elemType !== TENSOR_TYPE.DOUBLE)) {
    throw new ImportError(`the model's input ${JSON.stringify(input.name)} is ${input.kind === "tensor" ? `a tensor of ${TENSOR_TYPE_NAMES[input.elemType] ?? input.elemType}` : `a ${input.kind}`}: model:import feeds a float (or double) tensor [N, columns]`);
  }
  if (input.dims !== undefined && input.dims.length !== 2) throw new ImportError(`the model's input ${JSON.stringify(input.name)} has ${input.dims.length} dimensions, not 2 ([N, columns])`);
  const last = input.dims?.[1];
  const inputWidth = typeof last === "number" && last > 0 ? last : undefined;
  if (inputWidth !== undefined && inputWidth !== map.columns.length) {
    throw new ImportError(`the model's input ${JSON.stringify(input.name)} has ${inputWidth} columns, the feature map lists ${map.columns.length}`);
  }

  const producer = new Map<string, OnnxNode>();
  for (const node of graph.nodes) for (const o of node.outputs) producer.set(o, node);
  const fromOutput = (out: OnnxValueInfo): { probabilities: string; zipMap: boolean; labels?: (string | number)[] } | undefined => {
    const node = producer.get(out.name);
    if (node?.opType === "ZipMap" && node.domain === "ai.onnx.ml") return { probabilities: node.inputs[0]!, zipMap: true, labels: labelsOf(node) };
    if (out.kind === "tensor" && (out.elemType === TENSOR_TYPE.FLOAT || out.elemType === TENSOR_TYPE.DOUBLE || out.elemType === 0)) {
      let n = node;
      for (let hops = 0; n && n.opType === "Identity" && hops < 8; hops++) n = producer.get(n.inputs[0]!);
      return { probabilities: out.name, zipMap: false, labels: labelsOf(n) };
    }
    return undefined;
  };
  let chosen: { out: OnnxValueInfo; found: NonNullable<ReturnType<typeof fromOutput>> } | undefined;
  if (map.output !== undefined) {
    const out = graph.outputs.find((o) => o.name === map.output);
    if (!out) throw new ImportError(`the feature map's output ${JSON.stringify(map.output)} is not an output of the model (${graph.outputs.map((o) => o.name).join(", ")})`);
    const found = fromOutput(out);
    if (!found) throw new ImportError(`the output ${JSON.stringify(out.name)} is not a float tensor or a ZipMap of probabilities`);
    chosen = { out, found };
  } else {
    const candidates = graph.outputs.flatMap((out) => {
      const found = fromOutput(out);
      return found ? [{ out, found }] : [];
    });
    const ranked = [...candidates.filter((c) => c.found.zipMap), ...candidates.filter((c) => !c.found.zipMap && /prob/i.test(c.out.name))];
    chosen = ranked[0] ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!chosen) {
      throw new ImportError(
        candidates.length === 0
          ? `no output of the model holds class probabilities (outputs: ${graph.outputs.map((o) => `${o.name} (${o.kind})`).join(", ")})`
          : `the model has several float outputs (${candidates.map((c) => c.out.name).join(", ")}): name the one with the class probabilities as "output" in the feature map`,
      );
    }
  }
  return {
    model,
    input: input.name,
    inputType: input.elemType as 1 | 11,
    inputWidth,
    probabilities: chosen.found.probabilities,
    fromOutput: chosen.out.name,
    zipMap: chosen.found.zipMap,
    labels: chosen.found.labels,
    operators: [...new Set(graph.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)))],
    treeOperators: [...new Set(graph.nodes.filter((n) => TREE_OPS.has(n.opType) && n.domain === "ai.onnx.ml").map((n) => n.opType))],
  };
}

/** Which column is success: the positive label's position, or the only column. */
export function choosePositiveColumn(analysis: ModelAnalysis, width: number, map: FeatureMap): { column: number; label: string | number | null; note?: string } {
  if (width === 1) return { column: 0, label: null, note: "the probability tensor has one column: it is read as the probability of success" };
  if (width !== 2) throw new ImportError(`the model's probabilities have ${width} columns: model:import serves binary classifiers (success or not), not ${width} classes`);
  const labels = analysis.labels;
  const wanted = map.positive_class;
  if (!labels || labels.length !== 2) {
    if (wanted !== undefined) throw new ImportError(`positive_class ${JSON.stringify(wanted)} is given, but the model does not name its classes`);
    return { column: 1, label: null, note: "the model does not name its classes: the second column is read as success (set positive_class if that is wrong)" };
  }
  const same = (label: string | number, want: string | number | boolean) => String(label).toLowerCase() === String(want).toLowerCase();
  if (wanted !== undefined) {
    const column = labels.findIndex((l) => same(l, wanted));
    if (column < 0) throw new ImportError(`positive_class ${JSON.stringify(wanted)} is not one of the model's classes (${labels.map((l) => JSON.stringify(l)).join(", ")})`);
    return { column, label: labels[column]! };
  }
  for (const guess of [1, "1", "true", "success", "yes"]) {
    const column = labels.findIndex((l) => same(l, guess));
    if (column >= 0) return { column, label: labels[column]! };
  }
  throw new ImportError(`the model's classes are ${labels.map((l) => JSON.stringify(l)).join(" and ")}: say which one is success with positive_class in the feature map`);
}

/** Tensor names used anywhere in the graph. */
function tensorNames(model: OnnxModel): Set<string> {
  const names = new Set<string>();
  const g = model.graph;
  for (const n of g.nodes) for (const t of [...n.inputs, ...n.outputs]) names.add(t);
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) names.add(v.name);
  for (const t of g.initializers.keys()) names.add(t);
  return names;
}

/** Nodes needed to compute `target`, in graph order. */
function nodesFor(model: OnnxModel, target: string): OnnxNode[] {
  const producer = new Map<string, OnnxNode>();
  for (const node of model.graph.nodes) for (const o of node.outputs) producer.set(o, node);
  const needed = new Set<OnnxNode>();
  const stack = [target];
  while (stack.length > 0) {
    const node = producer.get(stack.pop()!);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    stack.push(...node.inputs.filter((i) => i !== ""));
  }
  return model.graph.nodes.filter((n) => needed.has(n));
}

function opsetEdits(model: OnnxModel): Map<string, number> {
  const version = model.opsets.get("");
  if (version === undefined) return new Map([["", 13]]);
  if (version < 9) {
    throw new ImportError(`the model imports ai.onnx opset ${version}: the nodes model:import adds need 9 or later (IsNaN, Where); re-export it with target_opset 9 or later`);
  }
  return new Map();
}

/**
 * The original model, every node as it was, with its probability tensor as an output too: the
 * reference the import compares with (a ZipMap's sequence of maps cannot be read in JavaScript).
 */
export function exposeProbabilities(analysis: ModelAnalysis, original: Uint8Array): Uint8Array {
  const { model } = analysis;
  const g = model.graph;
  if (g.outputs.some((o) => o.name === analysis.probabilities)) return original;
  return rewriteModel(model, {
    graph: {
      nodes: g.nodes.map((n) => rawMessage(n.fields)),
      initializers: [...g.initializers.values()].map((t) => rawMessage(t.fields)),
      inputs: g.inputs.map((i) => rawMessage(i.fields)),
      // A name without a type: onnxruntime infers it.
      outputs: [...g.outputs.map((o) => rawMessage(o.fields)), new ProtoWriter().string(1, analysis.probabilities).finish()],
      keepValueInfo: true,
    },
  });
}

function rawMessage(fields: readonly { raw: Uint8Array }[]): Uint8Array {
  let length = 0;
  for (const f of fields) length += f.raw.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const f of fields) {
    out.set(f.raw, at);
    at += f.raw.length;
  }
  return out;
}

export interface ServedModelOptions {
  readonly analysis: ModelAnalysis;
  readonly map: CompiledFeatureMap;
  /** Columns of the probability tensor (1 or 2) and which one is success. */
  readonly probabilityWidth: number;
  readonly positiveColumn: number;
  /** Whether the probability tensor is double (it is cast to float32). */
  readonly probabilityIsDouble: boolean;
  readonly metadata: ReadonlyArray<readonly [string, string]>;
}

export interface ServedModel {
  readonly onnx: Uint8Array;
  /** The tensor (renamed if needed) holding the model's input columns: what the trees read. */
  readonly modelInput: string;
  /** Nodes model:import added, in words. */
  readonly added: readonly string[];
  /** Original nodes dropped (they only fed the label or a ZipMap). */
  readonly dropped: readonly string[];
}

/** The served file: `features` [N, 45] -> the feature map's columns -> the model -> `probability` [N, 1]. */
export function buildServedModel(options: ServedModelOptions): ServedModel {
  const { analysis, map } = options;
  const { model } = analysis;
  const g = model.graph;
  const used = tensorNames(model);
  const taken = new Set(used);
  const fresh = (name: string): string => {
    let candidate = `flash_import/${name}`;
    for (let k = 1; taken.has(candidate); k++) candidate = `flash_import/${name}_${k}`;
    taken.add(candidate);
    return candidate;
  };
  // The interface's own names must be free: a tensor already called so is renamed.
  const renames = new Map<string, string>();
  for (const reserved of [SERVED_INPUT, SERVED_OUTPUT]) if (used.has(reserved)) renames.set(reserved, fresh(reserved));
  taken.add(SERVED_INPUT);
  taken.add(SERVED_OUTPUT);
  const rename = (t: string) => renames.get(t) ?? t;
  const modelInput = rename(analysis.input);

  const kept = nodesFor(model, analysis.probabilities);
  const keptSet = new Set(kept);
  const dropped = g.nodes.filter((n) => !keptSet.has(n)).map((n) => `${n.opType}${n.name ? ` "${n.name}"` : ""}`);
  const neededInits = new Set(kept.flatMap((n) => n.inputs));

  const nodes: Uint8Array[] = [];
  const initializers: Uint8Array[] = [];
  const added: string[] = [];
  let counter = 0;
  const node = (opType: string, inputs: string[], outputs: string[], attributes: Array<readonly [string, AttributeValue]> = []) => {
    nodes.push(encodeNode({ name: `flash_import/${opType}_${counter++}`, opType, domain: "", inputs, outputs, attributes }));
  };
  const constant = (name: string, type: number, dims: number[], values: ArrayLike<number>): string => {
    const n = fresh(name);
    initializers.push(encodeTensor(n, type, dims, values));
    return n;
  };

  // Prefix: the model's columns from `features`.
  const k = map.width;
  const sources = Array.from(map.columns, (c) => Math.max(0, c.source));
  const columnsOut = analysis.inputType === TENSOR_TYPE.DOUBLE ? fresh("columns_float") : modelInput;
  const simple = map.columns.every((c) => c.encoding === "value" && Number.isNaN(c.missing));
  const gathered = simple ? columnsOut : fresh("gathered");
  node("Gather", [SERVED_INPUT, constant("sources", TENSOR_INT64, [k], sources)], [gathered], [["axis", { type: "int", value: 1 }]]);
  if (simple) {
    added.push(`Gather of ${k} feature columns`);
  } else {
    // One lookup table for every column: ordinal/one-hot columns index it by their FLASH code,
    // every other column by 0 into a one-entry slot (its value does not come from the table).
    const table: number[] = [];
    const offsets: number[] = [];
    const useCode: number[] = [];
    const isValue: number[] = [];
    const missing: number[] = [];
    for (const c of map.columns) {
      offsets.push(table.length);
      if (c.lookup) {
        table.push(...c.lookup);
        useCode.push(1);
      } else {
        // missing_indicator: present -> 0; constant: its value.
        table.push(c.encoding === "constant" ? c.missing : 0);
        useCode.push(0);
      }
      isValue.push(c.encoding === "value" ? 1 : 0);
      missing.push(c.missing);
    }
    const isNan = fresh("is_missing");
    const clean = fresh("zero_filled");
    const masked = fresh("codes_float");
    const codes = fresh("codes");
    const indices = fresh("table_indices");
    const looked = fresh("looked_up");
    const values = fresh("present");
    node("IsNaN", [gathered], [isNan]);
    node("Where", [isNan, constant("zero", TENSOR_FLOAT, [], [0]), gathered], [clean]);
    node("Mul", [clean, constant("uses_code", TENSOR_FLOAT, [k], useCode)], [masked]);
    node("Cast", [masked], [codes], [["to", { type: "int", value: TENSOR_INT64 }]]);
    node("Add", [codes, constant("table_offsets", TENSOR_INT64, [k], offsets)], [indices]);
    node("Gather", [constant("table", TENSOR_FLOAT, [table.length], table), indices], [looked], [["axis", { type: "int", value: 0 }]]);
    node("Where", [constant("is_value", TENSOR_BOOL, [k], isValue), gathered, looked], [values]);
    node("Where", [isNan, constant("missing_values", TENSOR_FLOAT, [k], missing), values], [columnsOut]);
    added.push(`Gather of the ${k} columns' source features, IsNaN, a lookup table of ${table.length} entries for codes and one-hot columns (Cast, Add, Gather), Where for present values and for missing values/sentinels`);
  }
  if (analysis.inputType === TENSOR_TYPE.DOUBLE) {
    node("Cast", [columnsOut], [modelInput], [["to", { type: "int", value: TENSOR_DOUBLE }]]);
    added.push("Cast of the columns to double (the model's input type)");
  }

  // The model's own nodes, as they were (renamed where the interface needed a name).
  for (const n of kept) nodes.push(renamed(n, rename));
  for (const [name, t] of g.initializers) if (neededInits.has(name)) initializers.push(renames.has(name) ? renameTensor(t.fields, rename(name)) : rawMessage(t.fields));

  // Suffix: the success column as float32 [N, 1].
  const probabilities = rename(analysis.probabilities);
  const toFloat = options.probabilityIsDouble;
  const column = toFloat ? fresh("success_double") : SERVED_OUTPUT;
  if (options.probabilityWidth === 2) {
    node("Gather", [probabilities, constant("success_column", TENSOR_INT64, [1], [options.positiveColumn])], [column], [["axis", { type: "int", value: 1 }]]);
    added.push(`Gather of column ${options.positiveColumn} (success) of ${analysis.probabilities}`);
  } else {
    node("Reshape", [probabilities, constant("column_shape", TENSOR_INT64, [2], [-1, 1])], [column]);
    added.push(`Reshape of ${analysis.probabilities} to [N, 1]`);
  }
  if (toFloat) {
    node("Cast", [column], [SERVED_OUTPUT], [["to", { type: "int", value: TENSOR_FLOAT }]]);
    added.push("Cast of the probability to float32");
  }
  const onnx = rewriteModel(model, {
    graph: {
      nodes,
      initializers,
      inputs: [encodeValueInfo(SERVED_INPUT, TENSOR_FLOAT, ["N", FEATURE_COUNT])],
      outputs: [encodeValueInfo(SERVED_OUTPUT, TENSOR_FLOAT, ["N", 1])],
    },
    opsets: opsetEdits(model),
    irVersion: Math.max(model.irVersion, 4),
    metadata: options.metadata,
  });
  return { onnx, modelInput, added, dropped };
}

function renamed(n: OnnxNode, rename: (t: string) => string): Uint8Array {
  return renameNodeTensors(n.fields, rename);
}

/** A TensorProto with another name (field 8), every other field as it was. */
function renameTensor(fields: readonly { number: number; raw: Uint8Array }[], name: string): Uint8Array {
  const parts = fields.filter((f) => f.number !== 8).map((f) => f.raw);
  const nameField = encodeTensorName(name);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, nameField.length));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  out.set(nameField, at);
  return out;
}

function encodeTensorName(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  const head: number[] = [8 * 8 + 2];
  let len = bytes.length;
  while (len >= 0x80) {
    head.push((len & 0x7f) | 0x80);
    len >>>= 7;
  }
  head.push(len);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}
