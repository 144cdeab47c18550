/**
 * The manifest written beside every model.onnx by model-build and read by the Worker: what the
 * model is (version, sha256 of its bytes), what input it expects (the encoding hash), how to
 * calibrate its output, and how good it was on data it never saw. Types only, plus a small
 * structural check, so the Worker can import it without pulling in training code.
 */

import type { Calibration, CalibrationMethod } from "./calibration.js";
import { CALIBRATION_METHODS, checkCalibration } from "./calibration.js";
import { checkFeatureMap, type FeatureMap } from "./feature-map.js";
import type { Pillar } from "./schema.js";

export interface ReliabilityBin {
  /** Bin edges over the predicted probability: [lower, upper) (the last bin includes 1). */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean prediction and observed success rate in the bin (null when the bin is empty). */
  readonly mean_predicted: number | null;
  readonly observed_rate: number | null;
}

export interface PredictionSpread {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
}

export interface EvaluationMetrics {
  readonly n: number;
  readonly base_rate: number;
  readonly auc: number;
  readonly brier: number;
  readonly log_loss: number;
  /** Expected calibration error over 10 equal-width bins. */
  readonly ece: number;
  readonly prediction: PredictionSpread;
  readonly reliability: readonly ReliabilityBin[];
}

/** One calibration method's cross-validated figures on the calibration split. */
export interface CalibrationCandidateMetrics {
  readonly method: CalibrationMethod;
  readonly cv_log_loss: number;
  readonly cv_ece: number;
}

/** Why the model serves the calibration it does (model-build/src/calibration-choice.ts). */
export interface CalibrationChoiceRecord {
  /** Always `calibration.method`. */
  readonly method: CalibrationMethod;
  /** The rule's verdict in a sentence, with the figures. */
  readonly reason: string;
  /** Every method's CV figures, simplest first. */
  readonly candidates: readonly CalibrationCandidateMetrics[];
}

/** A model built here by `npm run model:build` (manifests written before imports existed say nothing). */
export interface ModelManifest {
  readonly name: string;
  /** Derived from the ONNX bytes unless given: the same model always has the same version. */
  readonly version: string;
  readonly created_at: string;
  readonly source?: "built";
  readonly seed: number;
  readonly onnx: {
    readonly file: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly input: "features";
    readonly output: "probability";
    readonly ir_version: number;
    readonly opsets: Readonly<Record<string, number>>;
    readonly output_is_calibrated: false;
  };
  readonly encoding: {
    readonly version: number;
    readonly hash: string;
    readonly features: readonly string[];
  };
  readonly calibration: Calibration;
  /**
   * How the calibration was chosen. Optional: manifests written before the choice existed
   * (always isotonic) have none and still serve.
   */
  readonly calibration_choice?: CalibrationChoiceRecord;
  readonly metrics: {
    /** Calibrated predictions on the untouched test split: the numbers to quote. */
    readonly test: EvaluationMetrics;
    /** The raw ONNX output on the same rows, before calibration. */
    readonly test_uncalibrated: EvaluationMetrics;
    /** The validation split that chose the number of trees (scored with the early-stopped model). */
    readonly validation: { readonly n: number; readonly auc: number; readonly log_loss: number };
  };
  readonly importance: {
    /** Share of total split gain per feature (sums to 1). */
    readonly features: Readonly<Record<string, number>>;
    readonly pillars: Readonly<Record<Pillar, number>>;
  };
  readonly data: {
    readonly source: "synthetic" | "csv";
    /** The CSV path as given, or a description of the generator. */
    readonly description: string;
    readonly rows: number;
    readonly bad_rows: number;
    readonly base_rate: number;
    /** sha256 over the encoded rows and labels actually used. */
    readonly fingerprint: string;
    readonly splits: {
      readonly train: number;
      readonly validation: number;
      readonly calibration: number;
      readonly test: number;
    };
  };
  readonly training: {
    readonly algorithm: "histogram-gbdt";
    readonly trees: number;
    /** Trees chosen by early stopping on the validation split. */
    readonly best_iteration: number;
    /** Whether the final trees were retrained on train + validation with that tree count. */
    readonly refit: boolean;
    readonly max_iterations: number;
    readonly learning_rate: number;
    readonly max_depth: number;
    readonly min_child_weight: number;
    readonly l2: number;
    readonly min_split_gain: number;
    readonly max_bins: number;
    readonly early_stopping_rounds: number;
    readonly row_subsample: number;
    readonly column_subsample: number;
    readonly duration_ms: number;
    /** Largest |TypeScript - onnxruntime| probability difference over the test split. */
    readonly onnx_max_abs_diff: number;
  };
}

/** How the served ONNX file was made from a model trained elsewhere (`npm run model:import`). */
export interface ImportRecord {
  /** The file as given. */
  readonly original: {
    readonly file: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly producer: string;
    readonly ir_version: number;
    readonly opsets: Readonly<Record<string, number>>;
    readonly doc_string: string;
  };
  /** What was found in it. */
  readonly layout: {
    readonly operators: readonly string[];
    /** The tree-ensemble operator, null for other models. */
    readonly tree_operator: string | null;
    readonly input: string;
    readonly input_type: "float" | "double";
    /** The tensor with the class probabilities (a ZipMap's input when there is one). */
    readonly probabilities: string;
    readonly zipmap: boolean;
    readonly positive_column: number;
    readonly positive_label: string | number | null;
  };
  /** The tensor of the served file that holds the model's own input columns (what its trees read). */
  readonly model_input: string;
  /**
   * "trees": the file's trees are walked in TypeScript too (explanations, and the first answers
   * of a fresh isolate); "onnxruntime": onnxruntime alone serves, explanations score occlusion rows.
   */
  readonly evaluator: "trees" | "onnxruntime";
  readonly evaluator_reason: string;
  readonly feature_map: FeatureMap;
  /** The nodes put around the model's own (the served interface), and the ones dropped. */
  readonly served_graph: { readonly added: readonly string[]; readonly dropped: readonly string[] };
  /** Largest |difference| from onnxruntime-node on the original file, over the CSV's rows. */
  readonly parity: {
    readonly rows: number;
    readonly served_onnxruntime_node: number;
    readonly served_onnxruntime_web: number;
    /** The TypeScript tree walk (null: not a tree model). */
    readonly trees: number | null;
    /** Explanations (every occlusion variant) of the walk vs the same variants scored as rows. */
    readonly explanations: number | null;
    readonly explanation_rows: number;
  };
  readonly duration_ms: number;
}

/** A model trained elsewhere, imported with a feature map and evaluated on a labelled CSV. */
export interface ImportedModelManifest {
  readonly name: string;
  /** The first 12 hex digits of the served ONNX file's sha256 unless given. */
  readonly version: string;
  readonly created_at: string;
  readonly source: "imported";
  readonly onnx: ModelManifest["onnx"];
  readonly encoding: ModelManifest["encoding"];
  readonly calibration: Calibration;
  readonly calibration_choice?: CalibrationChoiceRecord;
  readonly metrics: {
    /** Served (calibrated) predictions on the CSV's test rows, which calibration never saw. */
    readonly test: EvaluationMetrics;
    readonly test_uncalibrated: EvaluationMetrics;
  };
  readonly importance: {
    /** Mean |occlusion impact| per feature over the CSV's rows, as shares (sum 1). */
    readonly features: Readonly<Record<string, number>>;
    readonly pillars: Readonly<Record<Pillar, number>>;
    readonly method: "occlusion";
  };
  readonly data: {
    readonly source: "csv";
    readonly description: string;
    readonly rows: number;
    readonly bad_rows: number;
    readonly base_rate: number;
    /** sha256 over the encoded rows and labels evaluated on. */
    readonly fingerprint: string;
    readonly splits: { readonly calibration: number; readonly test: number };
  };
  readonly import: ImportRecord;
}

/** Any manifest the Worker serves. */
export type AnyModelManifest = ModelManifest | ImportedModelManifest;

export function isImportedManifest(manifest: AnyModelManifest): manifest is ImportedModelManifest {
  return manifest.source === "imported";
}

/**
 * Structural problems with a parsed manifest (empty when usable). Checks what a consumer relies
 * on (ONNX identity, I/O names, encoding hash, calibration), not every metric.
 */
export function checkManifest(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return ["manifest must be a JSON object"];
  const m = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ["name", "version", "created_at"]) {
    if (typeof m[key] !== "string" || m[key] === "") problems.push(`manifest.${key} must be a non-empty string`);
  }
  const onnx = m.onnx as Record<string, unknown> | undefined;
  if (typeof onnx !== "object" || onnx === null) {
    problems.push("manifest.onnx must be an object");
  } else {
    if (typeof onnx.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(onnx.sha256)) {
      problems.push("manifest.onnx.sha256 must be 64 lower-case hex digits");
    }
    if (onnx.input !== "features") problems.push('manifest.onnx.input must be "features"');
    if (onnx.output !== "probability") problems.push('manifest.onnx.output must be "probability"');
  }
  const encoding = m.encoding as Record<string, unknown> | undefined;
  if (typeof encoding !== "object" || encoding === null || typeof encoding.hash !== "string") {
    problems.push("manifest.encoding.hash must be a string");
  }
  problems.push(...checkCalibration(m.calibration).map((p) => `manifest.${p}`));
  if (m.calibration_choice !== undefined) problems.push(...checkCalibrationChoice(m.calibration_choice, m.calibration));
  if (m.source === "imported") problems.push(...checkImportRecord(m.import));
  else if (m.source !== undefined && m.source !== "built") problems.push(`manifest.source must be "built" or "imported", got ${JSON.stringify(m.source)}`);
  return problems;
}

/** What the Worker relies on in an imported model's record: how to read its trees, or not to. */
function checkImportRecord(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return ["manifest.import must be an object (source is \"imported\")"];
  const r = value as Record<string, unknown>;
  const problems: string[] = [];
  if (r.evaluator !== "trees" && r.evaluator !== "onnxruntime") problems.push(`manifest.import.evaluator must be "trees" or "onnxruntime", got ${JSON.stringify(r.evaluator)}`);
  if (typeof r.model_input !== "string" || r.model_input === "") problems.push("manifest.import.model_input must be a non-empty string");
  problems.push(...checkFeatureMap(r.feature_map).map((i) => `manifest.import.feature_map.${i.field}: ${i.message}`));
  return problems;
}

/** The record must describe the calibration actually served, or it misleads whoever reads it. */
function checkCalibrationChoice(value: unknown, calibration: unknown): string[] {
  const at = "manifest.calibration_choice";
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${at} must be an object`];
  const c = value as Record<string, unknown>;
  const problems: string[] = [];
  const allowed = CALIBRATION_METHODS.map((m) => JSON.stringify(m)).join(", ");
  if (!CALIBRATION_METHODS.includes(c.method as CalibrationMethod)) {
    problems.push(`${at}.method must be one of ${allowed}, got ${JSON.stringify(c.method) ?? "nothing"}`);
  } else {
    const served = (calibration as { method?: unknown } | null | undefined)?.method;
    if (c.method !== served) problems.push(`${at}.method must equal manifest.calibration.method (${JSON.stringify(served) ?? "nothing"}), got ${JSON.stringify(c.method)}`);
  }
  if (typeof c.reason !== "string" || c.reason === "") problems.push(`${at}.reason must be a non-empty string`);
  if (!Array.isArray(c.candidates)) {
    problems.push(`${at}.candidates must be an array`);
  } else {
    c.candidates.forEach((candidate: unknown, i) => {
      const k = (typeof candidate === "object" && candidate !== null ? candidate : {}) as Record<string, unknown>;
      if (!CALIBRATION_METHODS.includes(k.method as CalibrationMethod)) problems.push(`${at}.candidates[${i}].method must be one of ${allowed}`);
      for (const key of ["cv_log_loss", "cv_ece"]) {
        const v = k[key];
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0) problems.push(`${at}.candidates[${i}].${key} must be a finite number >= 0`);
      }
    });
  }
  return problems;
}
