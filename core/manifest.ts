/**
 * The manifest written beside every model.onnx by model-build and read by the Worker: what the
 * model is (version, sha256 of its bytes), what input it expects (the encoding hash), how to
 * calibrate its output, and how good it was on data it never saw. Types only, plus a small
 * structural check, so the Worker can import it without pulling in training code.
 */

import type { Calibration, CalibrationMethod } from "./calibration.js";
import { CALIBRATION_METHODS, checkCalibration } from "./calibration.js";
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

export interface ModelManifest {
  readonly name: string;
  /** Derived from the ONNX bytes unless given: the same model always has the same version. */
  readonly version: string;
  readonly created_at: string;
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
