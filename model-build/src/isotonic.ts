/**
 * Fits the isotonic calibration table that core/calibration.ts applies.
 *
 * Pool-adjacent-violators gives the best non-decreasing step function of the raw scores. Its
 * knots are then placed at each block's centroid (mean raw score) and joined by straight lines
 * ("centred isotonic regression"): still monotone, still calibrated, but strictly increasing
 * between blocks, so the calibrated scores keep the raw model's ranking (and its AUC) instead
 * of collapsing whole blocks into ties.
 */

import type { IsotonicCalibration } from "../../core/calibration.js";

export interface FitIsotonicOptions {
  /**
   * Calibrated values are kept within [floor, 1 - floor]: a block of a few thousand rows with
   * no success does not prove a 0% chance, and 0 or 1 would make log loss infinite.
   */
  readonly floor?: number;
}

export function fitIsotonic(raw: ArrayLike<number>, labels: ArrayLike<number>, options: FitIsotonicOptions = {}): IsotonicCalibration {
  if (raw.length !== labels.length) throw new RangeError(`fitIsotonic: ${raw.length} scores but ${labels.length} labels`);
  if (raw.length === 0) throw new RangeError("fitIsotonic: no rows to calibrate on");
  const floor = options.floor ?? 1e-3;
  const order = Array.from({ length: raw.length }, (_, i) => i).sort((a, b) => raw[a]! - raw[b]!);

  // Blocks: weight (rows), sum of raw scores, sum of labels. Equal scores start in one block.
  const weight: number[] = [];
  const sumX: number[] = [];
  const sumY: number[] = [];
  let previous = Number.NaN;
  for (let i = 0; i < order.length; i++) {
    const x = raw[order[i]!]!;
    const y = labels[order[i]!]!;
    const last = weight.length - 1;
    // Rows with the same score cannot be told apart, so they always share a block.
    const tie = x === previous;
    previous = x;
    if (tie) {
      weight[last]!++;
      sumX[last]! += x;
      sumY[last]! += y;
    } else {
      weight.push(1);
      sumX.push(x);
      sumY.push(y);
    }
    // Merge while the newest block's mean does not exceed the previous one (>= keeps the
    // resulting values strictly increasing, so knots never repeat a y value needlessly).
    while (weight.length >= 2) {
      const k = weight.length - 1;
      if (sumY[k - 1]! / weight[k - 1]! < sumY[k]! / weight[k]!) break;
      weight[k - 1]! += weight[k]!;
      sumX[k - 1]! += sumX[k]!;
      sumY[k - 1]! += sumY[k]!;
      weight.pop();
      sumX.pop();
      sumY.pop();
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < weight.length; k++) {
    const cx = sumX[k]! / weight[k]!;
    const cy = Math.min(Math.max(sumY[k]! / weight[k]!, floor), 1 - floor);
    // Centroids are strictly increasing in exact arithmetic; guard against float ties anyway.
    if (x.length > 0 && cx <= x[x.length - 1]!) continue;
    x.push(cx);
    y.push(cy);
  }
  return { method: "isotonic", x, y };
}
