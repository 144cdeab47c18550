/**
 * The whole build from an encoded data set to the artefacts' contents: split, train with early
 * stopping, calibrate on its own split, evaluate on the untouched test split, export ONNX,
 * check the ONNX file against the TypeScript model, and assemble the manifest.
 * No file I/O here (see artifacts.ts), so tests run it on small sets in memory.
 */

import { calibrateProbability } from "../../core/calibration.js";
import { ENCODING_HASH, ENCODING_VERSION } from "../../core/encoding.js";
import type { ModelManifest } from "../../core/manifest.js";
import { FEATURE_NAMES, FEATURES, PILLARS, type Pillar } from "../../core/schema.js";
import { createHash } from "node:crypto";
import { baseRate, fingerprintDataset, selectRows, type Dataset } from "./dataset.js";
import { trainGbdt, type TrainGbdtOptions } from "./gbdt.js";
import { chooseCalibration, describeCalibration } from "./calibration-choice.js";
import { computeAuc, computeLogLoss, evaluatePredictions } from "./metrics.js";
import { compareOnnxWithModel } from "./onnx-check.js";
import { exportOnnx, ONNX_IR_VERSION, ONNX_ML_OPSET, ONNX_OPSET } from "./onnx-export.js";
import { deriveSeed } from "./random.js";
import { DEFAULT_SPLIT_FRACTIONS, splitStratified, type SplitFractions, type SplitIndices } from "./split.js";
import { predictProbabilities, type TreeEnsemble } from "./tree-model.js";

export interface DataSource {
  readonly kind: "synthetic" | "csv";
  readonly description: string;
  readonly badRows: number;
}

export interface BuildModelOptions {
  readonly data: Dataset;
  readonly source: DataSource;
  readonly seed: number;
  readonly name?: string;
  /** Defaults to the first 12 hex digits of the ONNX file's sha256. */
  readonly version?: string;
  /** Trainer settings; its seed is derived from `seed` unless given. */
  readonly gbdt?: Omit<TrainGbdtOptions, "onIteration">;
  readonly splits?: SplitFractions;
  readonly createdAt?: Date;
  /** Retrain on train + validation with the tree count early stopping chose (default true). */
  readonly refit?: boolean;
  /** Largest allowed |TypeScript - onnxruntime| probability on the test split. */
  readonly onnxTolerance?: number;
  readonly log?: (line: string) => void;
}

export interface BuildModelResult {
  readonly manifest: ModelManifest;
  readonly onnx: Uint8Array;
  readonly model: TreeEnsemble;
  /** Row indices of each split in `data` (for reports that compare against other models). */
  readonly split: SplitIndices;
}

export const ONNX_FILE_NAME = "model.onnx";

/** Minimum rows: every split needs both classes to train, stop early, calibrate and score. */
export const MIN_ROWS = 200;

export class BuildError extends Error {
  override readonly name = "BuildError";
}

function importanceFromGain(featureGain: Float64Array): ModelManifest["importance"] {
  let total = 0;
  for (const g of featureGain) total += g;
  const features: Record<string, number> = {};
  const pillars = Object.fromEntries(PILLARS.map((p) => [p, 0])) as Record<Pillar, number>;
  FEATURES.forEach((feature, i) => {
    const share = total > 0 ? featureGain[i]! / total : 0;
    features[feature.name] = share;
    pillars[feature.pillar] += share;
  });
  return { features, pillars };
}

export async function buildModel(options: BuildModelOptions): Promise<BuildModelResult> {
  const { data, source, seed } = options;
  const log = options.log ?? (() => {});
  const started = Date.now();
  if (data.featureCount !== FEATURE_NAMES.length) {
    throw new BuildError(`the data has ${data.featureCount} features per row, the schema has ${FEATURE_NAMES.length}`);
  }
  if (data.rows < MIN_ROWS) throw new BuildError(`need at least ${MIN_ROWS} rows to build a model, got ${data.rows}`);
  const rate = baseRate(data.labels);
  const positives = Math.round(rate * data.rows);
  if (positives < 20 || data.rows - positives < 20) {
    throw new BuildError(`need at least 20 successes and 20 failures, got ${positives} and ${data.rows - positives}`);
  }

  const fractions = options.splits ?? DEFAULT_SPLIT_FRACTIONS;
  const split = splitStratified(data.labels, deriveSeed(seed, 1), fractions);
  const train = selectRows(data, split.train);
  const validation = selectRows(data, split.validation);
  const calibration = selectRows(data, split.calibration);
  const test = selectRows(data, split.test);
  log(`split: train ${train.rows}, validation ${validation.rows}, calibration ${calibration.rows}, test ${test.rows} (base rate ${(rate * 100).toFixed(1)}%)`);

  const trainStarted = Date.now();
  const gbdtSeed = options.gbdt?.seed ?? deriveSeed(seed, 2);
  const stopped = trainGbdt(train, validation, {
    ...options.gbdt,
    seed: gbdtSeed,
    onIteration: (p) => {
      if (p.iteration === 1 || p.iteration % 25 === 0) {
        log(`  tree ${String(p.iteration).padStart(4)}  train loss ${p.trainLoss.toFixed(5)}  validation loss ${p.validationLoss?.toFixed(5) ?? "-"}  (best at ${p.bestIteration})`);
      }
    },
  });
  const last = stopped.history[stopped.history.length - 1];
  log(
    `early stopping chose ${stopped.bestIteration} trees in ${((Date.now() - trainStarted) / 1000).toFixed(1)} s` +
      (stopped.stoppedEarly
        ? ` (stopped at tree ${last?.iteration}: no better validation loss for ${stopped.options.earlyStoppingRounds} trees)`
        : stopped.bestIteration === stopped.options.maxIterations
          ? ` (the cap of ${stopped.options.maxIterations} trees: the validation loss was still improving)`
          : ""),
  );
  if (stopped.model.trees.length === 0) throw new BuildError("no split improved the loss: the features carry no signal for this label");

  // Refit on train + validation with the tree count early stopping chose (scaled to the larger
  // set): the validation rows only had to pick a number, and on small data sets 12% more rows
  // to learn from is worth more than anything else. Calibration and test stay untouched.
  // The scaled count never exceeds maxIterations, so the cap bounds the served model's size
  // (its serving cost grows with every tree).
  let trained = stopped;
  if (options.refit ?? true) {
    const refitStarted = Date.now();
    const combined = selectRows(data, Uint32Array.from([...split.train, ...split.validation]).sort());
    const trees = Math.min(stopped.options.maxIterations, Math.max(1, Math.round((stopped.bestIteration * combined.rows) / train.rows)));
    trained = trainGbdt(combined, null, { ...options.gbdt, seed: gbdtSeed, maxIterations: trees });
    log(`refit on train + validation (${combined.rows} rows): ${trained.model.trees.length} trees in ${((Date.now() - refitStarted) / 1000).toFixed(1)} s`);
  }

  const rawValidation = predictProbabilities(stopped.model, validation.features, validation.rows);
  const rawCalibration = predictProbabilities(trained.model, calibration.features, calibration.rows);
  // The calibration is chosen on the calibration split alone (cross-validated within it), so the
  // test split stays an honest check of the choice.
  const choice = chooseCalibration(rawCalibration, calibration.labels, { seed: deriveSeed(seed, 3) });
  const table = choice.calibration;
  log(`calibration: ${describeCalibration(table)} on ${calibration.rows} rows`);
  for (const c of choice.candidates) log(`  ${c.method.padEnd(9)} CV log loss ${c.cv_log_loss.toFixed(5)}  CV ECE ${c.cv_ece.toFixed(4)}${c.method === choice.method ? "  <- chosen" : ""}`);
  log(`  why: ${choice.reason}`);

  const rawTest = predictProbabilities(trained.model, test.features, test.rows);
  const calibratedTest = rawTest.map((p) => calibrateProbability(table, p));
  const testMetrics = evaluatePredictions(calibratedTest, test.labels);
  const rawMetrics = evaluatePredictions(rawTest, test.labels);
  log(`evaluation on ${test.rows} test rows: AUC ${testMetrics.auc.toFixed(4)}, Brier ${testMetrics.brier.toFixed(4)}, ECE ${testMetrics.ece.toFixed(4)} (raw ${rawMetrics.ece.toFixed(4)})`);

  const onnx = exportOnnx(trained.model, {
    docString: "FLASH startup success: uncalibrated probability from the 45 CAMP features (core/schema.ts order, NaN = missing)",
    metadata: { encoding_hash: ENCODING_HASH, encoding_version: String(ENCODING_VERSION) },
  });
  const sha256 = createHash("sha256").update(onnx).digest("hex");
  const check = await compareOnnxWithModel(onnx, test.features, test.rows, test.featureCount, rawTest);
  const tolerance = options.onnxTolerance ?? 1e-5;
  if (!(check.maxAbsDiff <= tolerance)) {
    throw new BuildError(`the ONNX model disagrees with the TypeScript model by ${check.maxAbsDiff} on test row ${check.worstRow} (allowed ${tolerance})`);
  }
  log(`onnx: ${onnx.length} bytes, sha256 ${sha256.slice(0, 16)}…, max |onnxruntime - TypeScript| on the test split ${check.maxAbsDiff.toExponential(2)}`);

  const o = trained.options;
  const manifest: ModelManifest = {
    name: options.name ?? "flash-default",
    version: options.version ?? sha256.slice(0, 12),
    created_at: (options.createdAt ?? new Date()).toISOString(),
    seed,
    onnx: {
      file: ONNX_FILE_NAME,
      sha256,
      bytes: onnx.length,
      input: "features",
      output: "probability",
      ir_version: ONNX_IR_VERSION,
      opsets: { "ai.onnx": ONNX_OPSET, "ai.onnx.ml": ONNX_ML_OPSET },
      output_is_calibrated: false,
    },
    encoding: { version: ENCODING_VERSION, hash: ENCODING_HASH, features: FEATURE_NAMES },
    calibration: table,
    calibration_choice: { method: choice.method, reason: choice.reason, candidates: choice.candidates },
    metrics: {
      test: testMetrics,
      test_uncalibrated: rawMetrics,
      validation: {
        n: validation.rows,
        auc: computeAuc(rawValidation, validation.labels),
        log_loss: computeLogLoss(rawValidation, validation.labels),
      },
    },
    importance: importanceFromGain(trained.featureGain),
    data: {
      source: source.kind,
      description: source.description,
      rows: data.rows,
      bad_rows: source.badRows,
      base_rate: rate,
      fingerprint: fingerprintDataset(data),
      splits: { train: train.rows, validation: validation.rows, calibration: calibration.rows, test: test.rows },
    },
    training: {
      algorithm: "histogram-gbdt",
      trees: trained.model.trees.length,
      best_iteration: stopped.bestIteration,
      refit: options.refit ?? true,
      max_iterations: stopped.options.maxIterations,
      learning_rate: o.learningRate,
      max_depth: o.maxDepth,
      min_child_weight: o.minChildWeight,
      l2: o.l2,
      min_split_gain: o.minSplitGain,
      max_bins: o.maxBins,
      early_stopping_rounds: o.earlyStoppingRounds,
      row_subsample: o.rowSubsample,
      column_subsample: o.columnSubsample,
      duration_ms: Date.now() - started,
      onnx_max_abs_diff: check.maxAbsDiff,
    },
  };
  return { manifest, onnx, model: trained.model, split };
}
