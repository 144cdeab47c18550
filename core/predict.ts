/**
 * The prediction itself, independent of where the model runs: validated features in, the full
 * FLASH answer out. The model is behind the `Model` interface, so this runs in Node tests with
 * a stand-in and in the Worker with onnxruntime-web, and both paths share every line here.
 *
 * Everything this module returns is a pure function of (model, features), so it is what a cache
 * may store; per-request fields (id, timestamp, timing, unknown-field warnings) are added by
 * the caller.
 */

import { calibrateProbability } from "./calibration.js";
import { computeConfidenceInterval, type UncertaintyLevel } from "./confidence.js";
import { computeCompleteness, encodeFeaturesInto, type FeatureValues } from "./encoding.js";
import { computeFactors, isBatchExplainer, listPillarsWithData, readPillarScores, roundTo, type BatchExplainer, type Explainer, type Factor, type OcclusionScores } from "./explain.js";
import { computeFlags, type Flag } from "./flags.js";
import type { AnyModelManifest, ReliabilityBin } from "./manifest.js";
import { FEATURES, FEATURE_COUNT, type Pillar } from "./schema.js";
import { computeVerdictConfidence, findVerdict, type VerdictId } from "./verdict.js";
import { computeDataWarnings, type Warning } from "./warnings.js";

/** A loaded model: raw (uncalibrated) probabilities for a batch of encoded rows. */
export interface Model {
  /**
   * `features` holds `rows` rows of FEATURE_COUNT float32 values (row-major, FEATURES order,
   * NaN = missing); the result has one raw probability per row.
   */
  predict(features: Float32Array, rows: number): Promise<Float32Array>;
}

/**
 * What a full prediction needs from the loaded model: the model that scores the startups
 * (onnxruntime in the Worker) and an explainer over the same model for pillar scores and factors.
 */
export interface PredictionEngine {
  readonly model: Model;
  /** Synchronous per row (the tree walk), or per batch through the model itself (occlusion rows). */
  readonly explainer: Explainer | BatchExplainer;
}

/**
 * The explainer's full-row probability must be the model's own, up to float rounding: a larger
 * gap means the explainer is not reading the model that scores (a broken bundle), and its
 * pillar scores and factors would be about another model.
 */
export const EXPLAINER_TOLERANCE = 1e-4;

/** What serving needs from a manifest, derived once per model. */
export interface PredictionContext {
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string };
  /** Raw model output -> calibrated probability (or a constant, under fault injection). */
  readonly calibrate: (raw: number) => number;
  /** Feature importance shares (sum 1), for the missing-data term of the interval. */
  readonly importance: Readonly<Record<string, number>>;
  /** Spread of the model's predictions over the test split, in logits. */
  readonly populationLogitStd: number;
  /** Calibration support: test rows per probability bin. */
  readonly reliability: readonly ReliabilityBin[];
}

export interface CreatePredictionContextOptions {
  /** Replace every probability with this value (fault injection for demos and rollout tests). */
  readonly constantProbability?: number;
}

/** Fewer comparable test rows than this and the binomial standard error means little. */
export const MIN_CALIBRATION_COUNT = 10;

export function createPredictionContext(
  manifest: AnyModelManifest,
  options: CreatePredictionContextOptions = {},
): PredictionContext {
  const spread = manifest.metrics.test.prediction;
  const mean = Math.min(0.99, Math.max(0.01, spread.mean));
  // Delta method: SD in probability / (p(1-p)) at the mean is the SD in logits.
  const populationLogitStd = Math.min(4, Math.max(0.1, spread.std / (mean * (1 - mean))));
  const constant = options.constantProbability;
  return {
    model: { name: manifest.name, version: manifest.version, sha256: manifest.onnx.sha256 },
    calibrate:
      constant === undefined ? (raw) => calibrateProbability(manifest.calibration, raw) : () => constant,
    importance: manifest.importance.features,
    populationLogitStd,
    reliability: manifest.metrics.test.reliability,
  };
}

export type PillarScores = Record<Pillar, number>;

/** The cacheable part of a /predict answer. */
export interface PredictionCore {
  readonly success_probability: number;
  readonly confidence_interval: { readonly lower: number; readonly upper: number; readonly width: number };
  readonly confidence_score: number;
  readonly uncertainty_level: UncertaintyLevel;
  /** FLASH's label, e.g. "CONDITIONAL PASS". */
  readonly verdict: string;
  /** The same verdict as an identifier, e.g. "conditional_pass" (what the router's metrics use). */
  readonly verdict_code: VerdictId;
  readonly verdict_confidence: number;
  readonly pillar_scores: PillarScores;
  readonly factors: readonly Factor[];
  readonly flags: readonly Flag[];
  /** Data-quality warnings (unknown-field warnings are per request and added by the caller). */
  readonly warnings: readonly Warning[];
  readonly data_completeness: number;
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string };
}

/** Test rows in the reliability bin that contains p (the bins cover [0, 1]). */
export function findCalibrationCount(reliability: readonly ReliabilityBin[], p: number): number {
  const bin =
    reliability.find((b, i) => p >= b.lower && (p < b.upper || (i === reliability.length - 1 && p <= b.upper))) ??
    reliability[reliability.length - 1];
  return Math.max(MIN_CALIBRATION_COUNT, bin?.count ?? 0);
}

/** Share of the model's feature importance on features the client did not send. */
export function computeMissingImportanceShare(values: FeatureValues, importance: Readonly<Record<string, number>>): number {
  let total = 0;
  let missing = 0;
  for (const f of FEATURES) {
    const w = importance[f.name] ?? 0;
    total += w;
    if (values[f.name] === undefined) missing += w;
  }
  if (total > 0) return missing / total;
  // No importance recorded: fall back to the share of features missing.
  return 1 - computeCompleteness(values);
}

function assemblePrediction(values: FeatureValues, p: number, scores: OcclusionScores, context: PredictionContext): PredictionCore {
  const pillarScores = readPillarScores(scores, context.calibrate);
  const pillarsWithData = listPillarsWithData(values);
  const interval = computeConfidenceInterval({
    probability: p,
    pillarProbabilities: pillarsWithData.map((pillar) => pillarScores[pillar]),
    missingImportanceShare: computeMissingImportanceShare(values, context.importance),
    populationLogitStd: context.populationLogitStd,
    calibrationCount: findCalibrationCount(context.reliability, p),
  });
  const verdict = findVerdict(p);
  return {
    success_probability: p,
    confidence_interval: { lower: interval.lower, upper: interval.upper, width: interval.width },
    confidence_score: interval.confidence_score,
    uncertainty_level: interval.uncertainty_level,
    verdict: verdict.label,
    verdict_code: verdict.id,
    verdict_confidence: computeVerdictConfidence(p, interval.lower, interval.upper),
    pillar_scores: pillarScores,
    factors: computeFactors(values, scores, context.calibrate),
    flags: computeFlags(values),
    warnings: computeDataWarnings(values),
    data_completeness: roundTo(computeCompleteness(values), 4),
    model: context.model,
  };
}

/** The model gave something that is not a probability: a broken model, never the client's fault. */
export class ModelOutputError extends Error {
  override readonly name = "ModelOutputError";
}

async function runModel(model: Model, features: Float32Array, rows: number): Promise<Float32Array> {
  const raw = await model.predict(features, rows);
  if (raw.length !== rows) throw new ModelOutputError(`the model returned ${raw.length} values for ${rows} rows`);
  return raw;
}

function calibrateAll(raw: Float32Array, context: PredictionContext): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = context.calibrate(raw[i]!);
  return out;
}

/**
 * Full predictions (with pillar scores and factors) for several startups: every startup is
 * scored in ONE model run, and explained by the engine's explainer over the same rows.
 */
export async function predictStartups(
  engine: PredictionEngine,
  context: PredictionContext,
  items: readonly FeatureValues[],
): Promise<PredictionCore[]> {
  if (items.length === 0) return [];
  const features = new Float32Array(items.length * FEATURE_COUNT);
  items.forEach((values, k) => encodeFeaturesInto(values, features, k));
  const raw = await runModel(engine.model, features, items.length);
  const explainer = engine.explainer;
  const batch = isBatchExplainer(explainer) ? await explainer.explainBatch(features, items.length) : undefined;
  return items.map((values, k) => {
    const p = context.calibrate(raw[k]!);
    if (!Number.isFinite(p)) throw new ModelOutputError(`the model returned ${raw[k]} for a valid row`);
    const scores = batch ? batch[k]! : (explainer as Explainer).explain(features, k * FEATURE_COUNT);
    if (!(Math.abs(scores.full - raw[k]!) <= EXPLAINER_TOLERANCE)) {
      throw new ModelOutputError(`the explainer scores ${scores.full} where the model scores ${raw[k]}: they do not read the same model`);
    }
    return assemblePrediction(values, p, scores, context);
  });
}

/** Calibrated probabilities only (no explanation), one model run: for what-if scenarios. */
export async function scoreStartups(
  model: Model,
  context: PredictionContext,
  items: readonly FeatureValues[],
): Promise<number[]> {
  if (items.length === 0) return [];
  const features = new Float32Array(items.length * FEATURE_COUNT);
  items.forEach((values, k) => encodeFeaturesInto(values, features, k));
  const raw = await runModel(model, features, items.length);
  return Array.from(calibrateAll(raw, context), (p, k) => {
    if (!Number.isFinite(p)) throw new ModelOutputError(`the model returned ${raw[k]} for a valid row`);
    return p;
  });
}
