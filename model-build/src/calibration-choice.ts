/**
 * Chooses the calibration a model serves (isotonic, Platt or none) on evidence: K-fold
 * cross-validation on the calibration split, then the chosen method refitted on all its rows.
 * model-build and model:import both call it, so every model says the same thing about why.
 *
 * The rule, and why:
 * 1. Every method is scored out of fold: each fold's rows are calibrated by a fit on the other
 *    folds, and the pooled out-of-fold predictions give one CV log loss and one CV ECE per
 *    method ("none" scores the raw probabilities). Pooling keeps ECE's ten bins filled; a
 *    per-fold ECE on a fifth of a small split is mostly noise.
 * 2. A method is eligible only if its CV ECE *and* its CV log loss are not worse than no
 *    calibration: a correction fitted on a few thousand rows must earn its place on both the
 *    number the model card quotes (ECE) and the proper score (log loss), or the raw model is
 *    served. This is what keeps a chosen calibration from being worse than raw on held-out rows.
 * 3. Among the eligible, the lowest CV log loss wins (log loss, not ECE, because it is a proper
 *    score that also rewards sharpness; ECE can be gamed by predicting the base rate), except
 *    that a simpler method (none < platt < isotonic) within one standard error of the winner's
 *    log loss is preferred: the "one-standard-error rule" of CV model selection. The standard
 *    error is that of the paired per-row log loss differences, so it says how much of the gap
 *    the noise of this split could explain. A 2-number Platt fit or no fit at all is less
 *    likely to chase that noise than a table of dozens of knots.
 *
 * Deterministic given the seed: folds are a seeded stratified shuffle (every fold gets its share
 * of successes), and the fits themselves have no randomness.
 */

import { checkCalibration, calibrateProbability, type Calibration, type CalibrationMethod } from "../../core/calibration.js";
import type { CalibrationCandidateMetrics } from "../../core/manifest.js";
import { fitIsotonic } from "./isotonic.js";
import { computeEce, computeRowLogLoss } from "./metrics.js";
import { fitPlatt } from "./platt.js";
import { createRandom, shuffle } from "./random.js";

export interface ChooseCalibrationOptions {
  /** Cross-validation folds (default 5). */
  readonly folds?: number;
  /** Seed of the fold assignment (default 0). */
  readonly seed?: number;
}

/** A method's CV log loss and ECE (10 equal-width bins) of its pooled out-of-fold predictions. */
export type CalibrationCandidate = CalibrationCandidateMetrics;

export interface CalibrationChoice {
  /** The chosen method refitted on every given row: what the manifest serves. */
  readonly calibration: Calibration;
  readonly method: CalibrationMethod;
  /** One sentence with the figures: which method and why, and why not the others. */
  readonly reason: string;
  /** Every method's CV figures, simplest first (none, platt, isotonic). */
  readonly candidates: CalibrationCandidate[];
}

export const DEFAULT_CALIBRATION_FOLDS = 5;

/** Simplest first: the order near-ties are settled in. */
const METHODS = ["none", "platt", "isotonic"] as const satisfies readonly CalibrationMethod[];

const LABELS: Record<CalibrationMethod, string> = { none: "no calibration", platt: "Platt", isotonic: "isotonic" };

/** A calibration in a few words, for logs and the model card. */
export function describeCalibration(calibration: Calibration): string {
  switch (calibration.method) {
    case "none":
      return "none (the raw probabilities are served)";
    case "platt":
      return `Platt, p = sigmoid(${calibration.a.toFixed(4)} * logit(raw) ${calibration.b < 0 ? "-" : "+"} ${Math.abs(calibration.b).toFixed(4)})`;
    case "isotonic":
      return `isotonic, ${calibration.x.length} knots`;
  }
}

/** Fits one method on the given rows. */
export function fitCalibration(method: CalibrationMethod, raw: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  switch (method) {
    case "none":
      return { method: "none" };
    case "platt":
      return fitPlatt(raw, labels).calibration;
    case "isotonic":
      return fitIsotonic(raw, labels);
  }
}

/**
 * Stratified fold of each row (0 .. folds - 1): each class is shuffled with the seed and dealt
 * out in turn, so every fold gets the same share of successes (within one row).
 */
export function assignFolds(labels: ArrayLike<number>, folds: number, seed: number): Uint8Array {
  const rng = createRandom(seed);
  const fold = new Uint8Array(labels.length);
  // One turn counter across both classes, so the folds' sizes differ by at most one row too.
  let turn = 0;
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if ((labels[i] ? 1 : 0) === cls) members.push(i);
    shuffle(members, rng);
    for (const row of members) fold[row] = turn++ % folds;
  }
  return fold;
}

export function chooseCalibration(raw: ArrayLike<number>, labels: ArrayLike<number>, options: ChooseCalibrationOptions = {}): CalibrationChoice {
  const n = raw.length;
  const folds = options.folds ?? DEFAULT_CALIBRATION_FOLDS;
  const seed = options.seed ?? 0;
  if (labels.length !== n) throw new RangeError(`chooseCalibration: ${n} scores but ${labels.length} labels`);
  if (!Number.isInteger(folds) || folds < 2 || folds > 255) throw new RangeError(`chooseCalibration: folds must be an integer from 2 to 255, got ${folds}`);
  if (n < folds) throw new RangeError(`chooseCalibration: ${folds}-fold cross-validation needs at least ${folds} rows, got ${n}`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const r = raw[i]!;
    if (!(r >= 0 && r <= 1)) throw new RangeError(`chooseCalibration: raw probability ${i} must be a number in [0, 1], got ${r}`);
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`chooseCalibration: label ${i} must be 0 or 1, got ${y}`);
    positives += y;
  }
  if (positives === 0 || positives === n) throw new RangeError(`chooseCalibration: the rows need both outcomes to calibrate on, got ${positives} successes of ${n}`);

  // Out-of-fold predictions of every method.
  const fold = assignFolds(labels, folds, seed);
  const oof: Record<CalibrationMethod, Float64Array> = { none: Float64Array.from(raw), platt: new Float64Array(n), isotonic: new Float64Array(n) };
  for (let k = 0; k < folds; k++) {
    const fitRaw: number[] = [];
    const fitLabels: number[] = [];
    for (let i = 0; i < n; i++) {
      if (fold[i] !== k) {
        fitRaw.push(raw[i]!);
        fitLabels.push(labels[i]!);
      }
    }
    for (const method of ["platt", "isotonic"] as const) {
      const fitted = fitCalibration(method, fitRaw, fitLabels);
      for (let i = 0; i < n; i++) if (fold[i] === k) oof[method][i] = calibrateProbability(fitted, raw[i]!);
    }
  }
  const rowLoss = {} as Record<CalibrationMethod, Float64Array>;
  const candidates: CalibrationCandidate[] = METHODS.map((method) => {
    const losses = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += losses[i] = computeRowLogLoss(oof[method][i]!, labels[i]!);
    rowLoss[method] = losses;
    return { method, cv_log_loss: sum / n, cv_ece: computeEce(oof[method], labels) };
  });
  const byMethod = Object.fromEntries(candidates.map((c) => [c.method, c])) as Record<CalibrationMethod, CalibrationCandidate>;
  const none = byMethod.none;

  // The final fits on every row; one that the Worker would refuse (a Platt slope <= 0: the raw
  // scores rank successes below failures, a broken model or a mis-mapped output) is not eligible.
  const fits = Object.fromEntries(METHODS.map((m) => [m, fitCalibration(m, raw, labels)])) as Record<CalibrationMethod, Calibration>;
  const unusable = Object.fromEntries(METHODS.map((m) => [m, checkCalibration(fits[m])])) as Record<CalibrationMethod, string[]>;
  const eligible = candidates.filter(
    (c) => c.method === "none" || (unusable[c.method].length === 0 && c.cv_ece <= none.cv_ece && c.cv_log_loss <= none.cv_log_loss),
  );
  const best = eligible.reduce((a, b) => (b.cv_log_loss < a.cv_log_loss ? b : a));
  const standardError = (method: CalibrationMethod): number => pairedStandardError(rowLoss[method], rowLoss[best.method]);
  // Simplest eligible method within one standard error of the best (the best itself at worst).
  const chosen = eligible.find((c) => c.method === best.method || c.cv_log_loss - best.cv_log_loss <= standardError(c.method))!;
  const calibration = fits[chosen.method];

  const ll = (c: CalibrationCandidate): string => c.cv_log_loss.toFixed(5);
  const ece = (c: CalibrationCandidate): string => c.cv_ece.toFixed(4);
  const why =
    chosen.method === best.method
      ? chosen.method === "none"
        ? `${LABELS.none}: no fitted calibration beat the raw probabilities' CV log loss ${ll(none)} and ECE ${ece(none)}`
        : `${LABELS[chosen.method]}: the lowest CV log loss, ${ll(chosen)} against raw ${ll(none)}, with CV ECE ${ece(chosen)} against raw ${ece(none)}`
      : `${LABELS[chosen.method]}: ${LABELS[best.method]}'s lower CV log loss (${ll(best)} against ${ll(chosen)}) is within one standard error (${standardError(chosen.method).toFixed(5)}), so the simpler method wins`;
  const others = candidates
    .filter((c) => c !== chosen && c !== best)
    .map((c) => {
      if (unusable[c.method].length > 0) return `${LABELS[c.method]}'s fit is unusable (${unusable[c.method].join("; ")})`;
      const worse = [
        ...(c.cv_ece > none.cv_ece ? [`CV ECE ${ece(c)} is worse than raw ${ece(none)}`] : []),
        ...(c.cv_log_loss > none.cv_log_loss ? [`CV log loss ${ll(c)} is worse than raw ${ll(none)}`] : []),
      ];
      if (worse.length > 0) return `${LABELS[c.method]}'s ${worse.join(" and its ")}`;
      return c.cv_log_loss > chosen.cv_log_loss
        ? `${LABELS[c.method]}'s CV log loss ${ll(c)} is higher`
        : `${LABELS[c.method]}'s CV log loss ${ll(c)} is lower by less than one standard error`;
    });
  const reason = `${[why, ...others].join("; ")} (${folds}-fold cross-validation on ${n} calibration rows)`;
  return { calibration, method: chosen.method, reason, candidates };
}

/** Standard error of the mean of a[i] - b[i] (0 when the two agree on every row). */
function pairedStandardError(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i]! - b[i]!;
  mean /= n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (a[i]! - b[i]! - mean) ** 2;
  return Math.sqrt(sq / (n - 1) / n);
}
