/**
 * A reference for quality checks, not part of the build: a re-implementation of scikit-learn's
 * GradientBoostingClassifier defaults as the quality bar uses them (binomial deviance,
 * 100 trees, depth 3, learning rate 0.1, subsample 1, min_samples_leaf 1, exact splits on
 * midpoints, Friedman MSE criterion on the residuals, Newton-step leaf values, log-odds prior).
 * scikit-learn itself cannot be installed here; this lets `compare-reference.ts` measure
 * model-build against the same kind of model on many data sets.
 *
 * Missing values: trees try sending them left and right at each split and keep the better one,
 * as scikit-learn's trees do since 1.3.
 */

import type { Dataset } from "../src/dataset.js";

export interface ReferenceGbcOptions {
  readonly trees?: number;
  readonly depth?: number;
  readonly learningRate?: number;
}

interface RefNode {
  feature: number;
  threshold: number;
  missingLeft: boolean;
  left: number;
  right: number;
  value: number;
}

export interface ReferenceGbc {
  readonly init: number;
  readonly trees: RefNode[][];
  readonly learningRate: number;
  readonly featureCount: number;
}

export function trainReferenceGbc(data: Dataset, options: ReferenceGbcOptions = {}): ReferenceGbc {
  const nTrees = options.trees ?? 100;
  const maxDepth = options.depth ?? 3;
  const lr = options.learningRate ?? 0.1;
  const { rows: n, featureCount: F, features, labels } = data;
  // Presort each feature's non-missing rows once.
  const sorted: Uint32Array[] = [];
  for (let f = 0; f < F; f++) {
    const idx: number[] = [];
    for (let r = 0; r < n; r++) if (!Number.isNaN(features[r * F + f]!)) idx.push(r);
    idx.sort((a, b) => features[a * F + f]! - features[b * F + f]!);
    sorted.push(Uint32Array.from(idx));
  }
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i]!;
  const init = Math.log(pos / (n - pos));
  const margin = new Float64Array(n).fill(init);
  const residual = new Float64Array(n);
  const nodeOf = new Int32Array(n);
  const trees: RefNode[][] = [];

  for (let t = 0; t < nTrees; t++) {
    for (let i = 0; i < n; i++) residual[i] = labels[i]! - 1 / (1 + Math.exp(-margin[i]!));
    const nodes: RefNode[] = [{ feature: -1, threshold: 0, missingLeft: false, left: -1, right: -1, value: 0 }];
    nodeOf.fill(0);
    let frontier = [0];
    for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
      // Per frontier node: totals, then the best split over all features.
      const slotOf = new Int32Array(2 ** (maxDepth + 1)).fill(-1);
      frontier.forEach((id, k) => (slotOf[id] = k));
      const slot = { get: (id: number): number | undefined => (slotOf[id]! < 0 ? undefined : slotOf[id]) };
      const K = frontier.length;
      const totN = new Float64Array(K);
      const totS = new Float64Array(K);
      for (let i = 0; i < n; i++) {
        const k = slot.get(nodeOf[i]!);
        if (k === undefined) continue;
        totN[k]!++;
        totS[k]! += residual[i]!;
      }
      const best = Array.from({ length: K }, () => ({ gain: 0, feature: -1, threshold: 0, missingLeft: false }));
      const ln = new Float64Array(K);
      const ls = new Float64Array(K);
      const mN = new Float64Array(K);
      const mS = new Float64Array(K);
      const lastX = new Float64Array(K);
      const evalSplit = (k: number, nl: number, sl: number, f: number, thr: number, missingLeft: boolean): void => {
        const nr = totN[k]! - nl;
        if (nl < 1 || nr < 1) return;
        const sr = totS[k]! - sl;
        const diff = sl / nl - sr / nr;
        const gain = ((nl * nr) / (nl + nr)) * diff * diff;
        if (gain > best[k]!.gain + 1e-12) best[k] = { gain, feature: f, threshold: thr, missingLeft };
      };
      for (let f = 0; f < F; f++) {
        ln.fill(0);
        ls.fill(0);
        lastX.fill(Number.NaN);
        // missing totals per node for this feature
        mN.fill(0);
        mS.fill(0);
        for (let k = 0; k < K; k++) {
          mN[k] = totN[k]!;
          mS[k] = totS[k]!;
        }
        const order = sorted[f]!;
        for (let j = 0; j < order.length; j++) {
          const r = order[j]!;
          const k = slot.get(nodeOf[r]!);
          if (k === undefined) continue;
          mN[k]!--;
          mS[k]! -= residual[r]!;
        }
        for (let j = 0; j < order.length; j++) {
          const r = order[j]!;
          const k = slot.get(nodeOf[r]!);
          if (k === undefined) continue;
          const x = features[r * F + f]!;
          if (ln[k]! > 0 && x !== lastX[k]) {
            const thr = (lastX[k]! + x) / 2;
            evalSplit(k, ln[k]!, ls[k]!, f, thr, false);
            if (mN[k]! > 0) evalSplit(k, ln[k]! + mN[k]!, ls[k]! + mS[k]!, f, thr, true);
          }
          ln[k]!++;
          ls[k]! += residual[r]!;
          lastX[k] = x;
        }
        for (let k = 0; k < K; k++) if (mN[k]! > 0 && ln[k]! > 0) evalSplit(k, ln[k]!, ls[k]!, f, Infinity, false);
      }
      const next: number[] = [];
      frontier.forEach((id, k) => {
        const b = best[k]!;
        if (b.feature < 0) return;
        const node = nodes[id]!;
        node.feature = b.feature;
        node.threshold = b.threshold;
        node.missingLeft = b.missingLeft;
        node.left = nodes.length;
        nodes.push({ feature: -1, threshold: 0, missingLeft: false, left: -1, right: -1, value: 0 });
        node.right = nodes.length;
        nodes.push({ feature: -1, threshold: 0, missingLeft: false, left: -1, right: -1, value: 0 });
        next.push(node.left, node.right);
      });
      for (let i = 0; i < n; i++) {
        const node = nodes[nodeOf[i]!]!;
        if (node.feature < 0 || slot.get(nodeOf[i]!) === undefined) continue;
        const x = features[i * F + node.feature]!;
        nodeOf[i] = Number.isNaN(x) ? (node.missingLeft ? node.left : node.right) : x <= node.threshold ? node.left : node.right;
      }
      frontier = next;
    }
    // Newton step per leaf: sum(residual) / sum(p (1 - p)).
    const num = new Float64Array(nodes.length);
    const den = new Float64Array(nodes.length);
    for (let i = 0; i < n; i++) {
      const p = labels[i]! - residual[i]!;
      num[nodeOf[i]!]! += residual[i]!;
      den[nodeOf[i]!]! += p * (1 - p);
    }
    nodes.forEach((node, id) => {
      if (node.feature < 0) node.value = Math.abs(den[id]!) < 1e-150 ? 0 : num[id]! / den[id]!;
    });
    for (let i = 0; i < n; i++) margin[i]! += lr * nodes[nodeOf[i]!]!.value;
    trees.push(nodes);
  }
  return { init, trees, learningRate: lr, featureCount: F };
}

export function predictReferenceGbc(model: ReferenceGbc, features: Float32Array, rows: number): Float64Array {
  const out = new Float64Array(rows);
  const F = model.featureCount;
  for (let r = 0; r < rows; r++) {
    let z = model.init;
    for (const nodes of model.trees) {
      let id = 0;
      for (;;) {
        const node = nodes[id]!;
        if (node.feature < 0) break;
        const x = features[r * F + node.feature]!;
        id = Number.isNaN(x) ? (node.missingLeft ? node.left : node.right) : x <= node.threshold ? node.left : node.right;
      }
      z += model.learningRate * nodes[id]!.value;
    }
    out[r] = 1 / (1 + Math.exp(-z));
  }
  return out;
}
