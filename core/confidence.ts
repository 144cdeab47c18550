/**
 * The confidence interval around a calibrated success probability.
 *
 * Method (a documented heuristic band, not a frequentist guarantee). Work on the logit scale,
 * where uncertainties add, and combine three independent sources:
 *
 * 1. Calibration sampling error, sigma_cal = 1 / sqrt(n * p * (1 - p)): the calibrated value is
 *    an observed success rate estimated from the n test rows in the reliability bin around p
 *    (the binomial standard error, mapped to logits by the delta method). Few comparable rows,
 *    or a score near 0.5, give a wider band.
 * 2. Missing data, sigma_missing = sigma_population * sqrt(m): m is the share of the model's
 *    feature importance that sits on features the client did not send, and sigma_population the
 *    spread (in logits) of the model's predictions over real startups (the test split). With
 *    nothing known the band spans the population's spread; with everything known this term is 0.
 * 3. Disagreement between pillars, sigma_conflict = 0.5 * SD(logit of each pillar-only score),
 *    over pillars with data: when capital says 0.8 and people say 0.2, the model's evidence
 *    conflicts and the combined answer is less certain. (Halved because each pillar-only score
 *    also regresses towards the prior, which inflates their spread.)
 *
 * half-width w = z * sqrt(sigma_cal^2 + sigma_missing^2 + sigma_conflict^2), z = 1.645 (a 90%
 * band if the terms were normal), and the interval is sigmoid(logit(p) -/+ w). So it always
 * contains p, stays within [0, 1], is asymmetric near the ends as probabilities should be, and
 * widens monotonically with each source.
 */

export type UncertaintyLevel = "low" | "moderate" | "high" | "very_high";

export interface ConfidenceInputs {
  /** The calibrated success probability. */
  readonly probability: number;
  /** Calibrated pillar-only probabilities of the pillars the client sent data for. */
  readonly pillarProbabilities: readonly number[];
  /** Share (0..1) of feature importance on missing features. */
  readonly missingImportanceShare: number;
  /** Spread of the model's predictions over the population, in logits. */
  readonly populationLogitStd: number;
  /** Test rows behind the calibration near this probability. */
  readonly calibrationCount: number;
}

export interface ConfidenceResult {
  readonly lower: number;
  readonly upper: number;
  readonly width: number;
  /** 1 - width: 1 is a point estimate, 0 is "anything from 0 to 1". */
  readonly confidence_score: number;
  readonly uncertainty_level: UncertaintyLevel;
  /** The three terms (logits), so clients and tests can see why a band is wide. */
  readonly components: { readonly calibration: number; readonly missing_data: number; readonly pillar_conflict: number };
}

export const INTERVAL_Z = 1.645;
const CONFLICT_WEIGHT = 0.5;
/** Keeps logits finite for probabilities of exactly 0 or 1. */
const EPSILON = 1e-4;

/** Upper width limits of each level; wider than the last is very_high. */
export const UNCERTAINTY_LEVELS: readonly { readonly level: UncertaintyLevel; readonly maxWidth: number }[] = [
  { level: "low", maxWidth: 0.15 },
  { level: "moderate", maxWidth: 0.3 },
  { level: "high", maxWidth: 0.45 },
];

export function logit(p: number): number {
  const q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
  return Math.log(q / (1 - q));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function classifyUncertainty(width: number): UncertaintyLevel {
  for (const { level, maxWidth } of UNCERTAINTY_LEVELS) if (width < maxWidth) return level;
  return "very_high";
}

function standardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance);
}

export function computeConfidenceInterval(inputs: ConfidenceInputs): ConfidenceResult {
  const p = inputs.probability;
  const q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
  const n = Math.max(1, inputs.calibrationCount);
  const calibration = 1 / Math.sqrt(n * q * (1 - q));
  const m = Math.min(1, Math.max(0, inputs.missingImportanceShare));
  const missingData = Math.max(0, inputs.populationLogitStd) * Math.sqrt(m);
  const pillarConflict = CONFLICT_WEIGHT * standardDeviation(inputs.pillarProbabilities.map(logit));
  const halfWidth = INTERVAL_Z * Math.sqrt(calibration ** 2 + missingData ** 2 + pillarConflict ** 2);
  const centre = logit(p);
  // min/max with p keep lower <= p <= upper exactly, even after rounding at the ends.
  const lower = Math.min(p, roundDown(sigmoid(centre - halfWidth)));
  const upper = Math.max(p, roundUp(sigmoid(centre + halfWidth)));
  const width = round(upper - lower);
  return {
    lower,
    upper,
    width,
    confidence_score: round(Math.max(0, 1 - width)),
    uncertainty_level: classifyUncertainty(width),
    components: { calibration: round(calibration), missing_data: round(missingData), pillar_conflict: round(pillarConflict) },
  };
}

const SCALE = 1e6;
function round(v: number): number {
  return Math.round(v * SCALE) / SCALE;
}
function roundDown(v: number): number {
  return Math.max(0, Math.floor(v * SCALE) / SCALE);
}
function roundUp(v: number): number {
  return Math.min(1, Math.ceil(v * SCALE) / SCALE);
}
