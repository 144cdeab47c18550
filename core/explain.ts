/**
 * Explanations that come from the model itself, by occlusion: what the model says about the
 * startup with some values withheld (NaN, which the trees treat as "missing", exactly as when a
 * client leaves a field out).
 *
 * - Pillar score: the calibrated probability the model gives the startup when it sees only that
 *   pillar's features (every other value withheld). "Judged on its capital alone, 0.72."
 *   A pillar the client sent nothing for scores the model's prior for an unknown startup.
 * - Factor: for each feature the client sent, the change in the calibrated probability between
 *   the full row and the row without that value. Positive: knowing this value raises the
 *   probability; negative: it lowers it.
 *
 * An `Explainer` gives the raw probabilities of those variants. In the Worker it walks the
 * bundled ONNX file's own trees (core/tree-explainer.ts), so the variants cost no extra model
 * rows; `createRowExplainer` scores them as rows through any synchronous scorer (stand-in models
 * in tests, and the reference the tree walk is tested against), and `createBatchRowExplainer`
 * through onnxruntime for imported models that are not trees.
 */

import type { FeatureValue, FeatureValues } from "./encoding.js";
import { FEATURES, FEATURE_COUNT, PILLARS, PILLAR_FEATURE_INDICES, type Pillar } from "./schema.js";

/** Raw (uncalibrated) probabilities of a startup's occlusion variants. */
export interface OcclusionScores {
  /** The full row. */
  readonly full: number;
  /** Each pillar alone, in PILLARS order. */
  readonly pillars: readonly number[];
  /** Indexed by feature (FEATURES order): the row without that value; NaN where the row has none. */
  readonly withoutFeature: ArrayLike<number>;
}

export interface Explainer {
  /** The variants of the encoded row at `offset` in `x` (FEATURE_COUNT float32 values, NaN = missing). */
  explain(x: Float32Array, offset: number): OcclusionScores;
}

/**
 * Explanations for several rows at once, scored asynchronously: the occlusion variants of every
 * row in ONE model run. How a model the TypeScript walk cannot read (a logistic regression, an
 * MLP; model:import) is explained: by onnxruntime itself.
 */
export interface BatchExplainer {
  explainBatch(x: Float32Array, rows: number): Promise<OcclusionScores[]>;
}

export function isBatchExplainer(explainer: Explainer | BatchExplainer): explainer is BatchExplainer {
  return "explainBatch" in explainer;
}

interface Variants {
  /** Present features of the row, in order: variant 1 + PILLARS.length + k withholds present[k]. */
  readonly present: number[];
  readonly rows: number;
}

/** Writes the row's variants (full, each pillar alone, each present feature withheld) at `out[at..]`. */
function writeVariants(full: Float32Array, out: Float32Array, at: number): Variants {
  const present: number[] = [];
  for (let i = 0; i < FEATURE_COUNT; i++) if (full[i] === full[i]) present.push(i);
  const rows = 1 + PILLARS.length + present.length;
  out.fill(Number.NaN, at, at + rows * FEATURE_COUNT);
  out.set(full, at);
  PILLARS.forEach((pillar, k) => {
    for (const i of PILLAR_FEATURE_INDICES[pillar]) out[at + (1 + k) * FEATURE_COUNT + i] = full[i]!;
  });
  present.forEach((i, k) => {
    const base = at + (1 + PILLARS.length + k) * FEATURE_COUNT;
    out.set(full, base);
    out[base + i] = Number.NaN;
  });
  return { present, rows };
}

function variantCount(full: Float32Array): number {
  let present = 0;
  for (let i = 0; i < FEATURE_COUNT; i++) if (full[i] === full[i]) present++;
  return 1 + PILLARS.length + present;
}

function readVariants(scores: ArrayLike<number>, at: number, v: Variants): OcclusionScores {
  const withoutFeature = new Float64Array(FEATURE_COUNT).fill(Number.NaN);
  v.present.forEach((i, k) => {
    withoutFeature[i] = scores[at + 1 + PILLARS.length + k]!;
  });
  return { full: scores[at]!, pillars: PILLARS.map((_, k) => scores[at + 1 + k]!), withoutFeature };
}

/**
 * An Explainer that scores every variant as a row: 1 + 5 + (features present) rows per call.
 * Exact for any model, and the definition the tree walk must match.
 */
export function createRowExplainer(scoreRows: (features: Float32Array, rows: number) => ArrayLike<number>): Explainer {
  return {
    explain(x, offset) {
      const full = x.subarray(offset, offset + FEATURE_COUNT);
      const out = new Float32Array(variantCount(full) * FEATURE_COUNT);
      const v = writeVariants(full, out, 0);
      return readVariants(scoreRows(out, v.rows), 0, v);
    },
  };
}

/** The same variants for every row of a batch, scored in one call of an asynchronous scorer. */
export function createBatchRowExplainer(scoreRows: (features: Float32Array, rows: number) => Promise<ArrayLike<number>>): BatchExplainer {
  return {
    async explainBatch(x, rows) {
      let total = 0;
      for (let r = 0; r < rows; r++) total += variantCount(x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT));
      const out = new Float32Array(total * FEATURE_COUNT);
      const layout: { at: number; v: Variants }[] = [];
      let at = 0;
      for (let r = 0; r < rows; r++) {
        const v = writeVariants(x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), out, at * FEATURE_COUNT);
        layout.push({ at, v });
        at += v.rows;
      }
      const scores = await scoreRows(out, total);
      if (scores.length !== total) throw new RangeError(`the model returned ${scores.length} scores for ${total} explanation rows`);
      return layout.map(({ at: start, v }) => readVariants(scores, start, v));
    },
  };
}

export type FactorSize = "small" | "moderate" | "large";

export interface Factor {
  readonly feature: string;
  readonly pillar: Pillar;
  readonly value: FeatureValue;
  /** Change in success probability from knowing this value (probability points as a fraction). */
  readonly impact: number;
  readonly direction: "positive" | "negative";
  readonly size: FactorSize;
  readonly explanation: string;
}

/** Calibrated pillar-only probabilities. */
export function readPillarScores(scores: OcclusionScores, calibrate: (raw: number) => number): Record<Pillar, number> {
  const out = {} as Record<Pillar, number>;
  PILLARS.forEach((pillar, k) => {
    out[pillar] = roundTo(calibrate(scores.pillars[k]!), 4);
  });
  return out;
}

/** Which pillars the client sent at least one value for. */
export function listPillarsWithData(values: FeatureValues): Pillar[] {
  return PILLARS.filter((p) => PILLAR_FEATURE_INDICES[p].some((i) => values[FEATURES[i]!.name] !== undefined));
}

export function classifyFactorSize(impact: number): FactorSize {
  const a = Math.abs(impact);
  return a >= 0.05 ? "large" : a >= 0.02 ? "moderate" : "small";
}

/** Below this |impact| a value makes no practical difference and is not listed. */
export const NEGLIGIBLE_IMPACT = 0.0005;

function formatValue(feature: (typeof FEATURES)[number], value: FeatureValue): string {
  if (feature.type === "boolean") return value ? "yes" : "no";
  if (feature.type === "category") return String(value);
  const v = value as number;
  const text = Math.abs(v) >= 1e6 ? `${Number((v / 1e6).toPrecision(4))}M` : String(Number(v.toPrecision(6)));
  return `${text} ${feature.unit}`;
}

/**
 * The strongest drivers of this prediction: up to `perDirection` positive and as many negative,
 * strongest first, over every feature the client sent. Impacts are in calibrated probability;
 * the raw impact breaks ties where calibration is flat over a stretch.
 */
export function computeFactors(
  values: FeatureValues,
  scores: OcclusionScores,
  calibrate: (raw: number) => number,
  perDirection = 5,
): Factor[] {
  const p = calibrate(scores.full);
  const candidates: { index: number; impact: number; rawImpact: number }[] = [];
  for (let index = 0; index < FEATURE_COUNT; index++) {
    const without = scores.withoutFeature[index]!;
    if (without !== without || values[FEATURES[index]!.name] === undefined) continue;
    candidates.push({ index, impact: p - calibrate(without), rawImpact: scores.full - without });
  }
  const strongest = (sign: 1 | -1) =>
    candidates
      .filter((c) => sign * c.impact >= NEGLIGIBLE_IMPACT)
      .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact) || Math.abs(b.rawImpact) - Math.abs(a.rawImpact) || a.index - b.index)
      .slice(0, perDirection);
  return [...strongest(1), ...strongest(-1)]
    .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact))
    .map(({ index, impact }) => {
      const feature = FEATURES[index]!;
      const value = values[feature.name]!;
      const points = Math.abs(impact * 100).toFixed(1);
      const direction = impact > 0 ? "positive" : "negative";
      return {
        feature: feature.name,
        pillar: feature.pillar,
        value,
        impact: roundTo(impact, 4),
        direction,
        size: classifyFactorSize(impact),
        explanation: `${feature.name} = ${formatValue(feature, value)} ${impact > 0 ? "raises" : "lowers"} the success probability by ${points} points compared with leaving it out.`,
      } satisfies Factor;
    });
}

export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
