/**
 * Quantile binning for the histogram trainer. Each feature's non-missing training values are
 * cut into at most `maxBins` bins; a split "after bin b" becomes the float32 threshold
 * `cuts[b]`, chosen halfway between the largest value of bin b and the smallest of bin b+1.
 *
 * The invariant the exporter relies on: for ANY float32 x, `x <= cuts[b]` exactly when
 * binOf(x) <= b. So routing rows by bin code during training and routing raw float32 values
 * by threshold (TypeScript evaluator, onnxruntime) always agree, for seen and unseen values.
 */

import type { Dataset } from "./dataset.js";

export interface FeatureBins {
  /** Ascending float32 cut points; a feature has cuts.length + 1 bins. */
  readonly cuts: Float32Array;
}

export interface BinnedData {
  readonly rows: number;
  readonly featureCount: number;
  /** Bin code per value (row-major); MISSING_BIN for NaN. */
  readonly codes: Uint8Array;
}

/** Codes 0..254 are bins; 255 marks a missing value, so at most 255 bins per feature. */
export const MISSING_BIN = 255;
export const MAX_BINS = 255;

/** A float32 strictly between a and b when one exists, else a (so `a <= cut < b` holds). */
function cutBetween(a: number, b: number): number {
  const mid = Math.fround(a + (b - a) / 2);
  return mid >= a && mid < b ? mid : a;
}

/**
 * Bins for one feature from its sorted non-missing values: equal-count bins over the distinct
 * values, where a value that alone fills a bin's share (zero revenue, say) gets its own bin.
 */
export function computeFeatureBins(sortedValues: Float32Array, maxBins: number): FeatureBins {
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sortedValues.length; i++) {
    const v = sortedValues[i]!;
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) counts[counts.length - 1]!++;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const cuts: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) cuts.push(cutBetween(distinct[i]!, distinct[i + 1]!));
    return { cuts: Float32Array.from(cuts) };
  }
  let remainingRows = sortedValues.length;
  let remainingBins = maxBins;
  let inBin = 0;
  for (let i = 0; i + 1 < distinct.length && remainingBins > 1; i++) {
    inBin += counts[i]!;
    const target = remainingRows / remainingBins;
    // Close the bin when it is full, or when the next value alone would overfill the next one.
    if (inBin >= target || counts[i + 1]! >= target) {
      cuts.push(cutBetween(distinct[i]!, distinct[i + 1]!));
      remainingRows -= inBin;
      remainingBins--;
      inBin = 0;
    }
  }
  return { cuts: Float32Array.from(cuts) };
}

export function computeBins(data: Dataset, maxBins = MAX_BINS): FeatureBins[] {
  if (maxBins < 2 || maxBins > MAX_BINS) throw new RangeError(`maxBins must be in [2, ${MAX_BINS}]`);
  const { rows, featureCount, features } = data;
  const bins: FeatureBins[] = [];
  const column = new Float32Array(rows);
  for (let f = 0; f < featureCount; f++) {
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const v = features[r * featureCount + f]!;
      if (!Number.isNaN(v)) column[n++] = v;
    }
    const sorted = column.slice(0, n).sort();
    bins.push(computeFeatureBins(sorted, maxBins));
  }
  return bins;
}

/** First bin whose cut is >= x (binary search); NaN maps to MISSING_BIN. */
export function binOf(cuts: Float32Array, x: number): number {
  if (Number.isNaN(x)) return MISSING_BIN;
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function applyBins(data: Dataset, bins: readonly FeatureBins[]): BinnedData {
  const { rows, featureCount, features } = data;
  const codes = new Uint8Array(rows * featureCount);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < featureCount; f++) {
      const i = r * featureCount + f;
      codes[i] = binOf(bins[f]!.cuts, Math.fround(features[i]!));
    }
  }
  return { rows, featureCount, codes };
}
