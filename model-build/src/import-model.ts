/**
 * model:import: a binary classifier trained elsewhere (an ONNX file), a feature map saying which
 * of its input columns is which FLASH feature, and a labelled CSV -> a registry version the
 * Worker serves like any other. No file I/O here (run-import.ts reads and writes).
 *
 * 1. The file is analysed (import-graph.ts): its input, its probability tensor, its classes, and
 *    attributes onnxruntime would misread are refused before anything runs.
 * 2. The original file runs in onnxruntime-node on the CSV's rows, its columns built by the
 *    feature map in TypeScript: the reference every other figure is compared with.
 * 3. The served file (the Worker's interface around the same nodes) runs in onnxruntime-node and
 *    in onnxruntime-web's WASM (the Worker's engine); both must give the reference within 1e-6.
 * 4. A tree ensemble the TypeScript walk reads is walked too (explanations, a fresh isolate's
 *    first answers), and must agree within 1e-6, its explanations with occlusion rows scored by
 *    onnxruntime; any other model is served by onnxruntime alone, explained by occlusion rows.
 * 5. The CSV is split (stratified, seeded) into calibration and test rows; the calibration is
 *    chosen on evidence (calibration-choice.ts: isotonic, Platt or none, by cross-validation on
 *    the calibration rows) and every metric is reported on the test rows.
 */

import { createHash } from "node:crypto";
import { calibrateProbability } from "../../core/calibration.js";
import { ENCODING_HASH, ENCODING_VERSION } from "../../core/encoding.js";
import { createBatchRowExplainer, type OcclusionScores } from "../../core/explain.js";
import { compileFeatureMap, parseFeatureMap, type CompiledFeatureMap, type FeatureMap } from "../../core/feature-map.js";
import type { EvaluationMetrics, ImportedModelManifest, ImportRecord } from "../../core/manifest.js";
import { readOnnxModel, TENSOR_TYPE } from "../../core/onnx-proto.js";
import { OnnxTreesError, readTreeModel } from "../../core/onnx-trees.js";
import { FEATURES, FEATURE_COUNT, FEATURE_NAMES, PILLARS, type Pillar } from "../../core/schema.js";
import { TreeExplainer } from "../../core/tree-explainer.js";
import { chooseCalibration } from "./calibration-choice.js";
import { baseRate, encodeLabelled, fingerprintDataset, selectRows, type Dataset, type LabelledFeatures } from "./dataset.js";
import { analyzeModel, buildServedModel, choosePositiveColumn, exposeProbabilities, ImportError, type ModelAnalysis } from "./import-graph.js";
import { evaluatePredictions } from "./metrics.js";
import { runOnnxOnce, type TensorOutput } from "./onnx-check.js";
import { ONNX_FILE_NAME } from "./build-model.js";
import { splitCalibrationTest } from "./split.js";

export { ImportError } from "./import-graph.js";

/** Each served engine must give the original file's probabilities within this (issue 12). */
export const IMPORT_TOLERANCE = 1e-6;
/** Rows to evaluate and calibrate on: both halves need enough of each outcome to mean something. */
export const MIN_IMPORT_ROWS = 200;
export const MIN_IMPORT_PER_CLASS = 20;
/** Rows whose every occlusion variant is compared (tree walk vs rows scored by onnxruntime). */
const EXPLANATION_ROWS = 40;

export interface ImportModelOptions {
  /** The ONNX file's bytes and its name (recorded in the manifest). */
  readonly original: Uint8Array;
  readonly originalFile: string;
  /** The feature map, parsed from JSON (checked here). */
  readonly map: unknown;
  /** The labelled CSV's good rows (csv-loader.ts). */
  readonly rows: readonly LabelledFeatures[];
  readonly data: { readonly description: string; readonly badRows: number };
  readonly name?: string;
  /** Default: the first 12 hex digits of the served file's sha256. */
  readonly version?: string;
  /** Seed of the calibration/test split and the calibration's folds (default 42). */
  readonly seed?: number;
  /** "onnxruntime": do not walk the trees even when they can be read. */
  readonly evaluator?: "auto" | "onnxruntime";
  readonly createdAt?: Date;
  readonly log?: (line: string) => void;
}

export interface ImportModelResult {
  readonly manifest: ImportedModelManifest;
  /** The served file (what models/<version>/model.onnx holds). */
  readonly onnx: Uint8Array;
  /** Things worth knowing that are not errors (unused features, guessed class order, ...). */
  readonly notices: readonly string[];
  /** onnxruntime-node on the original file, per CSV row: the positive class's probability. */
  readonly reference: Float64Array;
}

const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; row: number } {
  let diff = 0;
  let row = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= diff)) {
      diff = Number.isNaN(d) ? Infinity : d;
      row = i;
    }
  }
  return { diff, row };
}

/** The model's own input columns for every row, as the feature map builds them (float32, or float64 for a double input). */
function buildColumns(data: Dataset, map: CompiledFeatureMap, double: boolean): Float32Array | Float64Array {
  const row = new Float32Array(map.width);
  const out = double ? new Float64Array(data.rows * map.width) : new Float32Array(data.rows * map.width);
  for (let r = 0; r < data.rows; r++) {
    map.compute(data.features, r * FEATURE_COUNT, row, 0);
    out.set(row, r * map.width);
  }
  return out;
}

function column(output: TensorOutput, width: number, col: number, rows: number): Float64Array {
  return Float64Array.from({ length: rows }, (_, r) => output.data[r * width + col]!);
}

/** Shares of mean |occlusion impact| per feature (raw probability), over the given rows' explanations. */
function occlusionImportance(explanations: readonly OcclusionScores[]): ImportedModelManifest["importance"] {
  const sum = new Float64Array(FEATURE_COUNT);
  for (const e of explanations) {
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const w = e.withoutFeature[f]!;
      if (w === w) sum[f] = sum[f]! + Math.abs(e.full - w);
    }
  }
  const total = sum.reduce((s, v) => s + v, 0);
  const features: Record<string, number> = {};
  const pillars = Object.fromEntries(PILLARS.map((p) => [p, 0])) as Record<Pillar, number>;
  FEATURES.forEach((f, i) => {
    const share = total > 0 ? sum[i]! / total : 0;
    features[f.name] = share;
    pillars[f.pillar] += share;
  });
  return { features, pillars, method: "occlusion" };
}

function formatReliability(m: EvaluationMetrics): string[] {
  return m.reliability.map(
    (b) =>
      `      ${(b.lower * 100).toFixed(0).padStart(3)}-${(b.upper * 100).toFixed(0).padEnd(3)}%  ${String(b.count).padStart(6)} rows  predicted ${b.mean_predicted === null ? "    -" : (b.mean_predicted * 100).toFixed(1).padStart(5)}%  observed ${b.observed_rate === null ? "    -" : (b.observed_rate * 100).toFixed(1).padStart(5)}%`,
  );
}

export async function importModel(options: ImportModelOptions): Promise<ImportModelResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const notices: string[] = [];
  const note = (line: string) => {
    notices.push(line);
    log(`      note: ${line}`);
  };

  // 1. What the file is.
  log(`[1/6] reading ${options.originalFile} and the feature map`);
  const map: FeatureMap = parseFeatureMap(options.map);
  const compiled = compileFeatureMap(map);
  const analysis = analyzeModel(options.original, map);
  const { model } = analysis;
  log(`      ${options.original.length} bytes from ${model.producerName || "an unnamed producer"}${model.producerVersion ? ` ${model.producerVersion}` : ""}, IR ${model.irVersion}, opsets ${[...model.opsets].map(([d, v]) => `${d || "ai.onnx"} ${v}`).join(", ")}`);
  log(`      operators: ${analysis.operators.join(", ")}`);
  log(`      input ${JSON.stringify(analysis.input)} (${analysis.inputType === TENSOR_TYPE.DOUBLE ? "double" : "float"}, ${compiled.width} columns as the map lists); probabilities ${JSON.stringify(analysis.probabilities)}${analysis.zipMap ? ` (the input of ZipMap ${JSON.stringify(analysis.fromOutput)})` : ""}`);
  if (compiled.unusedFeatures.length > 0) {
    note(`${compiled.unusedFeatures.length} of the 45 features are not model columns (the model ignores them): ${compiled.unusedFeatures.map((i) => FEATURES[i]!.name).join(", ")}`);
  }
  const constants = compiled.columns.filter((c) => c.encoding === "constant");
  if (constants.length > 0) note(`${constants.length} column(s) have no FLASH feature and are served as constants: ${constants.map((c) => c.label).join("; ")}`);

  // 2. The reference: the original file in onnxruntime-node.
  const data = encodeLabelled(options.rows);
  const rate = baseRate(data.labels);
  const positives = Math.round(rate * data.rows);
  if (data.rows < MIN_IMPORT_ROWS || positives < MIN_IMPORT_PER_CLASS || data.rows - positives < MIN_IMPORT_PER_CLASS) {
    throw new ImportError(
      `the CSV has ${data.rows} good rows (${positives} successes, ${data.rows - positives} failures): model:import needs at least ${MIN_IMPORT_ROWS} rows with ${MIN_IMPORT_PER_CLASS} of each outcome to calibrate on half and test on the other half`,
    );
  }
  log(`[2/6] running the original file in onnxruntime-node on ${data.rows} rows (base rate ${(rate * 100).toFixed(1)}%)`);
  const columns = buildColumns(data, compiled, analysis.inputType === TENSOR_TYPE.DOUBLE);
  const exposed = exposeProbabilities(analysis, options.original);
  const refOut = await runOnnxOnce("node", exposed, { name: analysis.input, data: columns, dims: [data.rows, compiled.width] }, analysis.probabilities);
  if (refOut.dims[0] !== data.rows || refOut.dims.length > 2) {
    throw new ImportError(`the probabilities ${JSON.stringify(analysis.probabilities)} have shape [${refOut.dims.join(", ")}] for ${data.rows} rows; expected [N, 2] or [N, 1]`);
  }
  const width = refOut.dims.length === 2 ? refOut.dims[1]! : 1;
  const positive = choosePositiveColumn(analysis, width, map);
  if (positive.note) note(positive.note);
  const reference = column(refOut, width, positive.column, data.rows);
  let low = Infinity;
  let high = -Infinity;
  for (const p of reference) {
    low = Math.min(low, p);
    high = Math.max(high, p);
  }
  if (!(low >= 0 && high <= 1)) {
    throw new ImportError(
      `the model's success column is not a probability on the CSV (min ${low}, max ${high}): export it with probabilities (e.g. skl2onnx without raw_scores), or name the probability output in the map's "output"`,
    );
  }
  log(`      success is column ${positive.column}${positive.label !== null ? ` (class ${JSON.stringify(positive.label)})` : ""}; probabilities from ${low.toFixed(4)} to ${high.toFixed(4)}`);

  // 3. The served file in both runtimes.
  log("[3/6] building the served file (features [N, 45] -> the map's columns -> the model -> probability [N, 1])");
  const sourceSha = sha256Hex(options.original);
  const served = buildServedModel({
    analysis,
    map: compiled,
    probabilityWidth: width,
    positiveColumn: positive.column,
    probabilityIsDouble: refOut.data instanceof Float64Array,
    metadata: [
      ["flash.import.source_sha256", sourceSha],
      ["flash.import.source_file", options.originalFile],
      ["encoding_hash", ENCODING_HASH],
    ],
  });
  for (const line of served.added) log(`      added: ${line}`);
  if (served.dropped.length > 0) log(`      dropped (only the label or a ZipMap used them): ${served.dropped.join(", ")}`);
  const feed = { name: "features", data: data.features, dims: [data.rows, FEATURE_COUNT] };
  const servedNode = await runOnnxOnce("node", served.onnx, feed, "probability");
  const servedWeb = await runOnnxOnce("web", served.onnx, feed, "probability");
  const nodeDiff = maxAbsDiff(servedNode.data, reference);
  const webDiff = maxAbsDiff(servedWeb.data, reference);
  log(`      max |served - original|: onnxruntime-node ${nodeDiff.diff.toExponential(2)}, onnxruntime-web (WASM) ${webDiff.diff.toExponential(2)}`);
  for (const [engine, d] of [["onnxruntime-node", nodeDiff], ["onnxruntime-web", webDiff]] as const) {
    if (!(d.diff <= IMPORT_TOLERANCE)) {
      throw new ImportError(`the served file in ${engine} differs from the original by ${d.diff} on CSV row ${d.row + 1} (allowed ${IMPORT_TOLERANCE}): the feature map's columns or the rewrite are wrong`);
    }
  }

  // 4. The TypeScript tree walk, when the file is a tree ensemble it reads.
  log("[4/6] the TypeScript tree walk (explanations and a fresh isolate's first answers)");
  let evaluator: ImportRecord["evaluator"] = "onnxruntime";
  let evaluatorReason: string;
  let treeDiff: number | null = null;
  let explanationDiff: number | null = null;
  let explainer: TreeExplainer | undefined;
  if (analysis.treeOperators.length === 0) {
    evaluatorReason = `not a tree ensemble (${analysis.operators.join(", ")}): onnxruntime serves it, explanations are occlusion rows scored by onnxruntime`;
  } else if (options.evaluator === "onnxruntime") {
    evaluatorReason = "--onnxruntime-only: onnxruntime serves it, explanations are occlusion rows scored by onnxruntime";
  } else {
    try {
      const trees = readTreeModel(served.onnx, { featureCount: FEATURE_COUNT, map: compiled, input: served.modelInput });
      explainer = new TreeExplainer(trees);
      const walked = Float64Array.from({ length: data.rows }, (_, r) => explainer!.score(data.features, r * FEATURE_COUNT));
      const d = maxAbsDiff(walked, reference);
      treeDiff = d.diff;
      if (!(d.diff <= IMPORT_TOLERANCE)) {
        throw new ImportError(`the TypeScript walk of the ${trees.operator} differs from onnxruntime by ${d.diff} on CSV row ${d.row + 1} (allowed ${IMPORT_TOLERANCE}); this is a bug in core/onnx-trees.ts: import with --onnxruntime-only meanwhile`);
      }
      evaluator = "trees";
      evaluatorReason = `${trees.roots.length} trees of the ${trees.operator} (${trees.feature.length} nodes${trees.inputs && trees.inputs.width > compiled.width ? `, ${trees.inputs.width - compiled.width} derived equality/set columns` : ""}), probability = ${trees.linkName} of the summed margin`;
      log(`      ${evaluatorReason}`);
      log(`      max |tree walk - onnxruntime| ${d.diff.toExponential(2)} on ${data.rows} rows`);
    } catch (error) {
      if (!(error instanceof OnnxTreesError)) throw error;
      evaluatorReason = `the tree walk cannot read it (${error.message}): onnxruntime serves it, explanations are occlusion rows scored by onnxruntime`;
    }
  }
  // Explanations: the walk against the same occlusion rows scored by onnxruntime (the definition).
  const scoreServed = async (features: Float32Array, rows: number) =>
    (await runOnnxOnce("node", served.onnx, { name: "features", data: features, dims: [rows, FEATURE_COUNT] }, "probability")).data;
  const rowExplainer = createBatchRowExplainer(scoreServed);
  const sampleRows = Math.min(EXPLANATION_ROWS, data.rows);
  if (explainer) {
    const rows = await rowExplainer.explainBatch(data.features.subarray(0, sampleRows * FEATURE_COUNT), sampleRows);
    let worst = 0;
    rows.forEach((want, r) => {
      const got = explainer!.explain(data.features, r * FEATURE_COUNT);
      const pairs: Array<[number, number]> = [[got.full, want.full], ...got.pillars.map((p, k): [number, number] => [p, want.pillars[k]!])];
      for (let f = 0; f < FEATURE_COUNT; f++) if (!Number.isNaN(want.withoutFeature[f]!)) pairs.push([got.withoutFeature[f]!, want.withoutFeature[f]!]);
      for (const [a, b] of pairs) worst = Math.max(worst, Number.isNaN(a - b) ? Infinity : Math.abs(a - b));
    });
    explanationDiff = worst;
    log(`      explanations of ${sampleRows} rows (every pillar-alone and feature-withheld variant): max |tree walk - onnxruntime rows| ${worst.toExponential(2)}`);
    if (!(worst <= 1e-5)) throw new ImportError(`the tree walk's explanations differ from onnxruntime's occlusion rows by ${worst}: a bug in core/tree-explainer.ts; import with --onnxruntime-only meanwhile`);
  } else {
    log(`      ${evaluatorReason}`);
  }

  // 5. Calibration on half the rows, evaluation on the other half.
  const seed = options.seed ?? 42;
  const split = splitCalibrationTest(data.labels, seed);
  const rawServed = Float64Array.from(servedNode.data);
  const pick = (indices: Uint32Array) => Float64Array.from(indices, (i) => rawServed[i]!);
  const calibrationRows = selectRows(data, split.calibration);
  const testRows = selectRows(data, split.test);
  log(`[5/6] calibration: chosen by cross-validation on ${calibrationRows.rows} rows; tested on the other ${testRows.rows}`);
  const choice = chooseCalibration(pick(split.calibration), calibrationRows.labels, { seed });
  log(`      ${choice.reason}`);
  const rawTest = pick(split.test);
  const calibratedTest = rawTest.map((p) => calibrateProbability(choice.calibration, p));
  const testMetrics = evaluatePredictions(calibratedTest, testRows.labels);
  const rawMetrics = evaluatePredictions(rawTest, testRows.labels);
  log(`      test rows: AUC ${testMetrics.auc.toFixed(4)}, Brier ${testMetrics.brier.toFixed(4)} (raw ${rawMetrics.brier.toFixed(4)}), ECE ${testMetrics.ece.toFixed(4)} (raw ${rawMetrics.ece.toFixed(4)})`);
  log("      reliability of the served probabilities on the test rows:");
  for (const line of formatReliability(testMetrics)) log(line);

  // 6. Importance by occlusion, and the manifest.
  log(`[6/6] importance: mean |occlusion impact| per feature over ${testRows.rows} test rows`);
  const explanations = explainer
    ? Array.from({ length: testRows.rows }, (_, r) => explainer!.explain(testRows.features, r * FEATURE_COUNT))
    : await rowExplainer.explainBatch(testRows.features, testRows.rows);
  const importance = occlusionImportance(explanations);
  const top = Object.entries(importance.features).sort((a, b) => b[1] - a[1]).slice(0, 5);
  log(`      top: ${top.map(([f, s]) => `${f} ${(s * 100).toFixed(1)}%`).join(", ")}`);

  const sha256 = sha256Hex(served.onnx);
  const servedModel = readOnnxModel(served.onnx);
  const manifest: ImportedModelManifest = {
    name: options.name ?? options.originalFile.replace(/\.onnx$/i, ""),
    version: options.version ?? sha256.slice(0, 12),
    created_at: (options.createdAt ?? new Date()).toISOString(),
    source: "imported",
    onnx: {
      file: ONNX_FILE_NAME,
      sha256,
      bytes: served.onnx.length,
      input: "features",
      output: "probability",
      ir_version: servedModel.irVersion,
      opsets: Object.fromEntries([...servedModel.opsets].map(([d, v]) => [d || "ai.onnx", v])),
      output_is_calibrated: false,
    },
    encoding: { version: ENCODING_VERSION, hash: ENCODING_HASH, features: FEATURE_NAMES },
    calibration: choice.calibration,
    calibration_choice: { method: choice.method, reason: choice.reason, candidates: choice.candidates },
    metrics: { test: testMetrics, test_uncalibrated: rawMetrics },
    importance,
    data: {
      source: "csv",
      description: options.data.description,
      rows: data.rows,
      bad_rows: options.data.badRows,
      base_rate: rate,
      fingerprint: fingerprintDataset(data),
      splits: { calibration: calibrationRows.rows, test: testRows.rows },
    },
    import: {
      original: {
        file: options.originalFile,
        sha256: sourceSha,
        bytes: options.original.length,
        producer: `${model.producerName}${model.producerVersion ? ` ${model.producerVersion}` : ""}`.trim(),
        ir_version: model.irVersion,
        opsets: Object.fromEntries([...model.opsets].map(([d, v]) => [d || "ai.onnx", v])),
        doc_string: model.docString,
      },
      layout: describeLayout(analysis, positive),
      model_input: served.modelInput,
      evaluator,
      evaluator_reason: evaluatorReason,
      feature_map: map,
      served_graph: { added: served.added, dropped: served.dropped },
      parity: {
        rows: data.rows,
        served_onnxruntime_node: nodeDiff.diff,
        served_onnxruntime_web: webDiff.diff,
        trees: treeDiff,
        explanations: explanationDiff,
        explanation_rows: explainer ? sampleRows : 0,
      },
      duration_ms: Date.now() - started,
    },
  };
  return { manifest, onnx: served.onnx, notices, reference };
}

function describeLayout(analysis: ModelAnalysis, positive: { column: number; label: string | number | null }): ImportRecord["layout"] {
  return {
    operators: analysis.operators,
    tree_operator: analysis.treeOperators[0] ?? null,
    input: analysis.input,
    input_type: analysis.inputType === TENSOR_TYPE.DOUBLE ? "double" : "float",
    probabilities: analysis.probabilities,
    zipmap: analysis.zipMap,
    positive_column: positive.column,
    positive_label: positive.label,
  };
}
