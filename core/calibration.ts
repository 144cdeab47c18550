/**
 * Calibration: turns the model's raw (uncalibrated) probability into a calibrated one with the
 * method stored in the model's manifest. Pure and tiny on purpose: the Worker applies it per
 * request, model-build applies it when it evaluates and chooses, and both must give the same number.
 *
 * Three methods, because none is best for every model (model-build/src/calibration-choice.ts
 * picks one on the calibration split's cross-validated log loss and ECE):
 * - "isotonic": a monotone piecewise-linear table. Fixes any monotone distortion, but with
 *   a few thousand rows its knots follow noise, and it can make a well-calibrated model worse.
 * - "platt": p = sigmoid(a * logit(raw) + b). Two numbers: fixes a model that is over- or
 *   under-confident (a) or biased (b), and cannot chase noise.
 * - "none": the raw probability as it is (a boosted model trained on log loss is often
 *   calibrated already, and then any fitted correction only adds noise).
 */

export interface IsotonicCalibration {
  readonly method: "isotonic";
  /** Raw probabilities, strictly increasing. */
  readonly x: readonly number[];
  /** Calibrated probabilities at each knot, non-decreasing, within [0, 1]. */
  readonly y: readonly number[];
}

/** Platt scaling on the log-odds: p = sigmoid(a * logit(raw) + b). */
export interface PlattCalibration {
  readonly method: "platt";
  /** Slope on logit(raw): below 1 the model was over-confident, above 1 under-confident. */
  readonly a: number;
  /** Intercept: shifts every log-odds (a biased base rate). */
  readonly b: number;
}

/** The raw probability served as it is. */
export interface NoCalibration {
  readonly method: "none";
}

export type Calibration = IsotonicCalibration | PlattCalibration | NoCalibration;

export type CalibrationMethod = Calibration["method"];

/** Every method, simplest first (the order near-ties are settled in). */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ["none", "platt", "isotonic"];

/**
 * Platt's logit clamps the raw probability into [PLATT_EPSILON, 1 - PLATT_EPSILON]: a float32
 * sigmoid can round to exactly 0 or 1, whose logit is infinite. 1e-6 is ~13.8 in log-odds, far
 * beyond anything a trained model means, and still representable as 1 - 1e-6 in float32.
 */
export const PLATT_EPSILON = 1e-6;

/** logit(raw) with raw clamped away from 0 and 1, as Platt scaling reads it. */
export function clampedLogit(rawProbability: number): number {
  const p = Math.min(Math.max(rawProbability, PLATT_EPSILON), 1 - PLATT_EPSILON);
  return Math.log(p / (1 - p));
}

export function sigmoid(z: number): number {
  // Two branches so neither exp overflows for large |z|.
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The calibrated probability for one raw model output.
 * A NaN input gives NaN whatever the method: it means a broken model and must stay visible to
 * the caller.
 */
export function calibrateProbability(calibration: Calibration, rawProbability: number): number {
  if (Number.isNaN(rawProbability)) return Number.NaN;
  switch (calibration.method) {
    case "none":
      return clamp01(rawProbability);
    case "platt":
      return sigmoid(calibration.a * clampedLogit(rawProbability) + calibration.b);
    case "isotonic":
      return interpolateIsotonic(calibration, rawProbability);
  }
}

/**
 * Piecewise-linear interpolation between knots, flat outside them, clamped to [0, 1].
 * Linear rather than step interpolation so that two startups with different raw scores rarely
 * get the exact same calibrated probability, while staying monotone.
 */
function interpolateIsotonic(calibration: IsotonicCalibration, rawProbability: number): number {
  const { x, y } = calibration;
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
 * Problems with a calibration (empty list when it is usable), each naming the field and the
 * rule. The Worker checks a manifest once at load, so a hand-edited or truncated calibration
 * fails loudly instead of serving nonsense probabilities.
 */
export function checkCalibration(calibration: unknown): string[] {
  if (typeof calibration !== "object" || calibration === null || Array.isArray(calibration)) return ["calibration must be an object"];
  const c = calibration as Record<string, unknown>;
  switch (c.method) {
    case "isotonic":
      return checkIsotonic(c);
    case "platt":
      return checkPlatt(c);
    case "none":
      return [];
    default:
      return [`calibration.method must be one of ${CALIBRATION_METHODS.map((m) => JSON.stringify(m)).join(", ")}, got ${describeValue(c.method)}`];
  }
}

/**
 * Bounds on Platt's numbers: |a| or |b| beyond this maps nearly every raw score to 0 or 1,
 * which no fit on real data gives (the fit's ridge keeps them far smaller); it is a corrupted
 * manifest. A negative slope would reverse the model's ranking, which calibration must never do.
 */
const PLATT_LIMIT = 100;

function checkPlatt(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of ["a", "b"] as const) {
    const v = c[key];
    if (typeof v !== "number" || !Number.isFinite(v)) problems.push(`calibration.${key} must be a finite number, got ${describeValue(v)}`);
    else if (Math.abs(v) > PLATT_LIMIT) problems.push(`calibration.${key} must be within [-${PLATT_LIMIT}, ${PLATT_LIMIT}], got ${v}`);
  }
  if (typeof c.a === "number" && Number.isFinite(c.a) && !(c.a > 0)) problems.push(`calibration.a must be positive (a slope <= 0 would reverse or erase the model's ranking), got ${c.a}`);
  return problems;
}

/** A value as an error message shows it: JSON, except that NaN and Infinity keep their names. */
function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number") return String(v);
  return JSON.stringify(v) ?? String(v);
}

function checkIsotonic(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const { x, y } = c;
  if (!Array.isArray(x) || !Array.isArray(y)) return ["calibration.x and calibration.y must be arrays"];
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
