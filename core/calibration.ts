/**
 * Calibration: turns the model's raw (uncalibrated) probability into a calibrated one with the
 * isotonic table stored in the model's manifest. Pure and tiny on purpose: the Worker applies it
 * per request, model-build applies it when it evaluates, and both must give the same number.
 */

export interface IsotonicCalibration {
  readonly method: "isotonic";
  /** Raw probabilities, strictly increasing. */
  readonly x: readonly number[];
  /** Calibrated probabilities at each knot, non-decreasing, within [0, 1]. */
  readonly y: readonly number[];
}

export type Calibration = IsotonicCalibration;

/**
 * Piecewise-linear interpolation between knots, flat outside them, clamped to [0, 1].
 * Linear rather than step interpolation so that two startups with different raw scores rarely
 * get the exact same calibrated probability, while staying monotone.
 * A NaN input gives NaN: it means a broken model and must stay visible to the caller.
 */
export function calibrateProbability(calibration: Calibration, rawProbability: number): number {
  const { x, y } = calibration;
  if (Number.isNaN(rawProbability)) return Number.NaN;
  const n = Math.min(x.length, y.length);
  if (n === 0) return clamp01(rawProbability);
  if (rawProbability <= x[0]!) return clamp01(y[0]!);
  if (rawProbability >= x[n - 1]!) return clamp01(y[n - 1]!);
  // Binary search for the last knot <= raw.
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= rawProbability) lo = mid;
    else hi = mid;
  }
  const x0 = x[lo]!;
  const x1 = x[hi]!;
  const y0 = y[lo]!;
  const y1 = y[hi]!;
  const t = x1 > x0 ? (rawProbability - x0) / (x1 - x0) : 0;
  return clamp01(y0 + t * (y1 - y0));
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Problems with a calibration table (empty list when it is usable). The Worker checks a
 * manifest once at load, so a hand-edited or truncated table fails loudly instead of serving
 * nonsense probabilities.
 */
export function checkCalibration(calibration: unknown): string[] {
  const problems: string[] = [];
  if (typeof calibration !== "object" || calibration === null) return ["calibration must be an object"];
  const c = calibration as Record<string, unknown>;
  if (c.method !== "isotonic") problems.push(`calibration.method must be "isotonic", got ${JSON.stringify(c.method)}`);
  const { x, y } = c;
  if (!Array.isArray(x) || !Array.isArray(y)) return [...problems, "calibration.x and calibration.y must be arrays"];
  if (x.length !== y.length) problems.push(`calibration.x has ${x.length} knots but calibration.y has ${y.length}`);
  if (x.length === 0) problems.push("calibration needs at least one knot");
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (typeof xi !== "number" || !Number.isFinite(xi) || xi < 0 || xi > 1) {
      problems.push(`calibration.x[${i}] must be a number in [0, 1]`);
    } else if (i > 0 && !(xi > (x[i - 1] as number))) {
      problems.push(`calibration.x must be strictly increasing (at index ${i})`);
    }
  }
  for (let i = 0; i < y.length; i++) {
    const yi = y[i];
    if (typeof yi !== "number" || !Number.isFinite(yi) || yi < 0 || yi > 1) {
      problems.push(`calibration.y[${i}] must be a number in [0, 1]`);
    } else if (i > 0 && yi < (y[i - 1] as number)) {
      problems.push(`calibration.y must be non-decreasing (at index ${i})`);
    }
  }
  return problems;
}
