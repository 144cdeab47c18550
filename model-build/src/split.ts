/**
 * Stratified, seeded train / validation / calibration / test split. Each split gets the same
 * share of successes, so a small data set does not end up with a test split of one class.
 * Indices inside a split keep the data's order, so the result depends only on data and seed.
 */

import { createRandom, shuffle } from "./random.js";

export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
  readonly calibration: number;
  readonly test: number;
}

export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.6, validation: 0.1, calibration: 0.15, test: 0.15 };

export interface SplitIndices {
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
  readonly calibration: Uint32Array;
  readonly test: Uint32Array;
}

const NAMES = ["train", "validation", "calibration", "test"] as const;

export function splitStratified(labels: ArrayLike<number>, seed: number, fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS): SplitIndices {
  const sorted = splitByFractions(labels, seed, NAMES.map((n) => fractions[n]));
  return { train: sorted[0]!, validation: sorted[1]!, calibration: sorted[2]!, test: sorted[3]! };
}

/**
 * model:import's split of a labelled CSV: rows to choose and fit the calibration on, and test
 * rows that calibration never sees (the figures to quote). Stratified and seeded as above.
 */
export function splitCalibrationTest(labels: ArrayLike<number>, seed: number, calibrationShare = 0.5): { calibration: Uint32Array; test: Uint32Array } {
  const [calibration, test] = splitByFractions(labels, seed, [calibrationShare, 1 - calibrationShare]);
  return { calibration: calibration!, test: test! };
}

function splitByFractions(labels: ArrayLike<number>, seed: number, fractions: readonly number[]): Uint32Array[] {
  const total = fractions.reduce((s, f) => s + f, 0);
  if (fractions.some((f) => !(f > 0)) || Math.abs(total - 1) > 1e-9) {
    throw new RangeError("splitStratified: every fraction must be > 0 and they must sum to 1");
  }
  const rng = createRandom(seed);
  const parts: number[][] = fractions.map(() => []);
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if ((labels[i] ? 1 : 0) === cls) members.push(i);
    shuffle(members, rng);
    // Cumulative rounding, so the class's rows are shared out exactly once.
    let start = 0;
    let cumulative = 0;
    fractions.forEach((fraction, k) => {
      cumulative += fraction;
      const end = k === fractions.length - 1 ? members.length : Math.round(cumulative * members.length);
      for (let i = start; i < end; i++) parts[k]!.push(members[i]!);
      start = end;
    });
  }
  return parts.map((p) => Uint32Array.from(p.sort((a, b) => a - b)));
}
