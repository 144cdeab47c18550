/**
 * Fits the Platt calibration that core/calibration.ts applies: p = sigmoid(a * logit(raw) + b),
 * the logistic regression of the label on the raw log-odds, by Newton's method (IRLS).
 *
 * A tiny ridge pulls (a, b) towards (1, 0), the identity: it makes the objective strictly
 * convex, so Newton always has a unique minimum to converge to, even when the rows are
 * perfectly separable or of one class (where plain maximum likelihood runs off to infinity).
 * At 1e-3 against a sum of per-row losses it moves nothing a real fit would notice.
 */

import { clampedLogit, sigmoid, type PlattCalibration } from "../../core/calibration.js";

export interface FitPlattOptions {
  /** Weight of the penalty ridge * ((a - 1)^2 + b^2) added to the summed log loss (default 1e-3). */
  readonly ridge?: number;
  /** Newton steps at most (default 100; a well-posed fit needs under 10). */
  readonly maxIterations?: number;
}

export interface FitPlattResult {
  readonly calibration: PlattCalibration;
  /** Newton steps taken. */
  readonly iterations: number;
}

export function fitPlatt(raw: ArrayLike<number>, labels: ArrayLike<number>, options: FitPlattOptions = {}): FitPlattResult {
  if (raw.length !== labels.length) throw new RangeError(`fitPlatt: ${raw.length} scores but ${labels.length} labels`);
  if (raw.length === 0) throw new RangeError("fitPlatt: no rows to calibrate on");
  const ridge = options.ridge ?? 1e-3;
  if (!(ridge > 0)) throw new RangeError("fitPlatt: ridge must be positive (it is what guarantees convergence)");
  const maxIterations = options.maxIterations ?? 100;
  const n = raw.length;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = clampedLogit(raw[i]!);

  const objective = (a: number, b: number): number => {
    let sum = ridge * ((a - 1) ** 2 + b * b);
    for (let i = 0; i < n; i++) {
      const t = a * z[i]! + b;
      // -log sigmoid(t) = softplus(-t), -log(1 - sigmoid(t)) = softplus(t), computed stably.
      sum += labels[i] ? softplus(-t) : softplus(t);
    }
    return sum;
  };

  let a = 1;
  let b = 0;
  let current = objective(a, b);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    // Gradient and Hessian of the penalised summed log loss in (a, b).
    let ga = 2 * ridge * (a - 1);
    let gb = 2 * ridge * b;
    let haa = 2 * ridge;
    let hab = 0;
    let hbb = 2 * ridge;
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      const p = sigmoid(a * zi + b);
      const r = p - (labels[i] ? 1 : 0);
      const w = p * (1 - p);
      ga += r * zi;
      gb += r;
      haa += w * zi * zi;
      hab += w * zi;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    // The ridge keeps det > 0 in exact arithmetic; fall back to a gradient step if rounding says otherwise.
    let da: number;
    let db: number;
    if (det > 0 && Number.isFinite(det)) {
      da = (hbb * ga - hab * gb) / det;
      db = (haa * gb - hab * ga) / det;
    } else {
      da = ga / haa;
      db = gb / hbb;
    }
    // Backtracking: halve the step until the objective does not increase (Newton can overshoot
    // far from the minimum; the objective is convex, so a short enough step always descends).
    let step = 1;
    let next = objective(a - da, b - db);
    while (!(next <= current) && step > 1e-10) {
      step /= 2;
      next = objective(a - step * da, b - step * db);
    }
    if (!(next <= current)) break;
    a -= step * da;
    b -= step * db;
    const improvement = current - next;
    current = next;
    if (Math.abs(step * da) < 1e-10 && Math.abs(step * db) < 1e-10) break;
    if (improvement <= 1e-14 * Math.max(1, current)) break;
  }
  return { calibration: { method: "platt", a, b }, iterations };
}

function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}
