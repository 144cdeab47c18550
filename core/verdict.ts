/**
 * FLASH's six verdicts: fixed bands over the calibrated success probability. The bands are part
 * of the public contract (clients and the router's metrics label on them), so they live here
 * once and every consumer reads the same thresholds.
 */

export type VerdictId = "strong_pass" | "pass" | "conditional_pass" | "conditional_fail" | "fail" | "strong_fail";

export interface VerdictBand {
  readonly id: VerdictId;
  /** What clients read in `verdict` (FLASH v1's spelling). */
  readonly label: string;
  /** Inclusive lower bound of the band. */
  readonly min: number;
  /** Exclusive upper bound (1 is included in the top band). */
  readonly max: number;
}

/** From the best band down; each band is [min, max). */
export const VERDICT_BANDS: readonly VerdictBand[] = [
  { id: "strong_pass", label: "STRONG PASS", min: 0.8, max: 1 },
  { id: "pass", label: "PASS", min: 0.65, max: 0.8 },
  { id: "conditional_pass", label: "CONDITIONAL PASS", min: 0.5, max: 0.65 },
  { id: "conditional_fail", label: "CONDITIONAL FAIL", min: 0.35, max: 0.5 },
  { id: "fail", label: "FAIL", min: 0.2, max: 0.35 },
  { id: "strong_fail", label: "STRONG FAIL", min: 0, max: 0.2 },
];

/** The band a calibrated probability falls in. */
export function findVerdict(probability: number): VerdictBand {
  for (const band of VERDICT_BANDS) if (probability >= band.min) return band;
  return VERDICT_BANDS[VERDICT_BANDS.length - 1]!;
}

export function findVerdictById(id: string): VerdictBand | undefined {
  return VERDICT_BANDS.find((b) => b.id === id);
}

/**
 * How sure we are of the verdict itself: the share of the confidence interval that lies inside
 * the verdict's band. A point interval (width 0) inside the band gives 1; an interval that
 * straddles a threshold gives the share on the verdict's side, so a probability of 0.651 with
 * [0.60, 0.70] is a PASS with verdict confidence 0.49.
 */
export function computeVerdictConfidence(probability: number, lower: number, upper: number): number {
  const band = findVerdict(probability);
  const width = upper - lower;
  if (!(width > 0)) return 1;
  // The top band includes 1, so its upper edge is effectively open beyond 1.
  const bandMax = band.max >= 1 ? Number.POSITIVE_INFINITY : band.max;
  const inside = Math.min(upper, bandMax) - Math.max(lower, band.min);
  return round(Math.min(1, Math.max(0, inside / width)), 4);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
