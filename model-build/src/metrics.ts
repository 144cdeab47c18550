/**
 * Evaluation metrics for probabilistic binary predictions, written out so their definitions are
 * plain: AUC by ranks (ties count half), Brier score, log loss, expected calibration error
 * over 10 equal-width bins, the reliability table behind it, and the spread of predictions.
 */

import type { EvaluationMetrics, PredictionSpread, ReliabilityBin } from "../../core/manifest.js";

/** Probabilities are clipped to [EPS, 1 - EPS] for log loss, as scikit-learn does. */
const EPS = 1e-15;

function checkLengths(p: ArrayLike<number>, y: ArrayLike<number>): void {
  if (p.length !== y.length) throw new RangeError(`metrics: ${p.length} predictions but ${y.length} labels`);
}

/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative,
 * ties counting one half (Mann-Whitney U with average ranks). NaN when a class is absent.
 */
export function computeAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSumPositives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]) {
        positives++;
        rankSumPositives += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function computeBrier(p: ArrayLike<number>, y: ArrayLike<number>): number {
  checkLengths(p, y);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (p[i]! - y[i]!) ** 2;
  return p.length === 0 ? Number.NaN : sum / p.length;
}

/** One row's log loss (the mean of these is computeLogLoss), for paired comparisons. */
export function computeRowLogLoss(p: number, y: number): number {
  const q = Math.min(Math.max(p, EPS), 1 - EPS);
  return y ? -Math.log(q) : -Math.log(1 - q);
}

export function computeLogLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  checkLengths(p, y);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += computeRowLogLoss(p[i]!, y[i]!);
  return p.length === 0 ? Number.NaN : sum / p.length;
}

/** Equal-width bins over [0, 1]; bin i is [i/bins, (i+1)/bins), the last one includes 1. */
export function computeReliability(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  checkLengths(p, y);
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(Math.max(Math.floor(p[i]! * bins), 0), bins - 1);
    count[b]!++;
    sumP[b]! += p[i]!;
    sumY[b]! += y[i]!;
  }
  return count.map((c, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: c,
    mean_predicted: c === 0 ? null : sumP[b]! / c,
    observed_rate: c === 0 ? null : sumY[b]! / c,
  }));
}

/** Expected calibration error: the count-weighted mean |mean prediction - observed rate| per bin. */
export function computeEce(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): number {
  const table = computeReliability(p, y, bins);
  let sum = 0;
  for (const bin of table) {
    if (bin.count > 0) sum += bin.count * Math.abs(bin.mean_predicted! - bin.observed_rate!);
  }
  return p.length === 0 ? Number.NaN : sum / p.length;
}

/** Min, max, mean and population standard deviation. */
export function computeSpread(p: ArrayLike<number>): PredictionSpread {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    min = Math.min(min, p[i]!);
    max = Math.max(max, p[i]!);
    sum += p[i]!;
  }
  const mean = sum / p.length;
  let sq = 0;
  for (let i = 0; i < p.length; i++) sq += (p[i]! - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(sq / p.length) };
}

export function evaluatePredictions(p: ArrayLike<number>, y: ArrayLike<number>): EvaluationMetrics {
  checkLengths(p, y);
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i]!;
  return {
    n: p.length,
    base_rate: p.length === 0 ? Number.NaN : positives / p.length,
    auc: computeAuc(p, y),
    brier: computeBrier(p, y),
    log_loss: computeLogLoss(p, y),
    ece: computeEce(p, y),
    prediction: computeSpread(p),
    reliability: computeReliability(p, y),
  };
}
