/**
 * Explanations that come from the model itself, by occlusion: the startup's row is scored
 * together with variants of it in which some values are withheld (set to NaN, which the trees
 * treat as "missing", exactly as when a client leaves a field out).
 *
 * - Pillar score: the calibrated probability the model gives the startup when it sees only that
 *   pillar's features (every other value withheld). "Judged on its capital alone, 0.72."
 *   A pillar the client sent nothing for scores the model's prior for an unknown startup.
 * - Factor: for each feature the client sent, the change in the calibrated probability between
 *   the full row and the row without that value. Positive: knowing this value raises the
 *   probability; negative: it lowers it.
 *
 * So one prediction costs 1 + 5 + (features present) rows, all scored in the same ONNX run. To
 * keep that batch small (each row costs the trees a few microseconds), factors are measured for
 * at most MAX_FACTOR_FEATURES present features, those the model relies on most (share of split
 * gain in the manifest); with the default model the top 12 features carry 81% of the gain, so a
 * feature left out could only be a weak driver.
 */

import { encodeFeaturesInto, type FeatureValue, type FeatureValues } from "./encoding.js";
import { FEATURES, FEATURE_COUNT, PILLARS, PILLAR_FEATURE_INDICES, type Pillar } from "./schema.js";

export interface ExplanationPlan {
  /** Rows this startup needs: full row, then one per pillar, then one per present feature. */
  readonly rowCount: number;
  /** Indices (FEATURES order) of the features the client sent, in row order after the pillar rows. */
  readonly presentIndices: readonly number[];
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

/** Present features measured for factors, at most (the rows per startup are 6 + this). */
export const MAX_FACTOR_FEATURES = 12;

export function planExplanation(
  values: FeatureValues,
  importance: Readonly<Record<string, number>> = {},
  maxFactorFeatures = MAX_FACTOR_FEATURES,
): ExplanationPlan {
  const present: number[] = [];
  for (let i = 0; i < FEATURE_COUNT; i++) if (values[FEATURES[i]!.name] !== undefined) present.push(i);
  let presentIndices = present;
  if (present.length > maxFactorFeatures) {
    const weight = (i: number) => importance[FEATURES[i]!.name] ?? 0;
    // Most important first; ties keep schema order, so the plan is deterministic.
    presentIndices = [...present].sort((a, b) => weight(b) - weight(a) || a - b).slice(0, maxFactorFeatures);
  }
  return { rowCount: 1 + PILLARS.length + presentIndices.length, presentIndices };
}

/**
 * Write the plan's rows into `out` (row-major) starting at row `firstRow`.
 * The full row is encoded once and copied; each variant then blanks values out.
 */
export function writeExplanationRows(values: FeatureValues, plan: ExplanationPlan, out: Float32Array, firstRow: number): void {
  encodeFeaturesInto(values, out, firstRow);
  const full = out.subarray(firstRow * FEATURE_COUNT, (firstRow + 1) * FEATURE_COUNT);
  let row = firstRow + 1;
  for (const pillar of PILLARS) {
    const base = row * FEATURE_COUNT;
    out.fill(Number.NaN, base, base + FEATURE_COUNT);
    for (const i of PILLAR_FEATURE_INDICES[pillar]) out[base + i] = full[i]!;
    row++;
  }
  for (const i of plan.presentIndices) {
    const base = row * FEATURE_COUNT;
    out.set(full, base);
    out[base + i] = Number.NaN;
    row++;
  }
}

/** Calibrated pillar-only probabilities, from rows 1..5 of a plan's block. */
export function readPillarScores(calibrated: ArrayLike<number>, offset: number): Record<Pillar, number> {
  const scores = {} as Record<Pillar, number>;
  PILLARS.forEach((pillar, k) => {
    scores[pillar] = roundTo(calibrated[offset + 1 + k]!, 4);
  });
  return scores;
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
 * strongest first. `calibrated` holds the block's calibrated probabilities; the full row is at
 * `offset`, the per-feature rows after the pillar rows. `raw` breaks ties when calibration is
 * flat over a stretch (equal calibrated impacts, different raw ones).
 */
export function computeFactors(
  values: FeatureValues,
  plan: ExplanationPlan,
  calibrated: ArrayLike<number>,
  raw: ArrayLike<number>,
  offset: number,
  perDirection = 5,
): Factor[] {
  const p = calibrated[offset]!;
  const r = raw[offset]!;
  const candidates: { index: number; impact: number; rawImpact: number }[] = [];
  plan.presentIndices.forEach((index, k) => {
    const row = offset + 1 + PILLARS.length + k;
    candidates.push({ index, impact: p - calibrated[row]!, rawImpact: r - raw[row]! });
  });
  const strongest = (sign: 1 | -1) =>
    candidates
      .filter((c) => sign * c.impact >= NEGLIGIBLE_IMPACT)
      .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact) || Math.abs(b.rawImpact) - Math.abs(a.rawImpact))
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
